"""The Dagster internals this project cannot do without, in one place (no public API offers them in
Dagster 1.13). Nothing else imports from `dagster._`; test_structure.py pins the version they were
checked against, so an upgrade re-checks them.

- `unexpected_termination()`: the failure data that marks a run failed as an unexpected termination,
  which run retries re-execute from failure whatever `retry_on_asset_or_op_failure` says
  (`DagsterInstance.report_run_failed` takes it; the public API has no way to say why a run failed).
- `CheckStatus`: the status of an asset check's latest execution, as the event log storage's
  `get_asset_check_partition_info` reports it.
- `EngineReusingRunStorage` and `EngineReusingEventLogStorage`: Dagster's SQLite run and event-log
  storages (the same files, schema and locking), configured in dagster.yaml. Dagster's own build a new
  SQLAlchemy engine for every query, with an empty statement cache and no pool, so every query is
  compiled again and opens the database file, reads its schema and closes it; and they open the index
  database to ask whether a table exists before each partition lookup. These keep one engine per
  database file whose connections stay open between queries (SQLAlchemy's QueuePool, its default for
  a file database; every query is still its own transaction, and in WAL mode an idle connection holds
  no lock), and remember the tables found. A forked child makes its own engines; `wipe()`, which
  deletes the run databases, closes their connections first.

This module is loaded by the instance before any definitions, so it imports nothing of the project.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster import Field, StringSource
from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as CheckStatus
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection, Engine

CHECKED_WITH_DAGSTER = "1.13.27"
OPEN_RUN_DATABASES = 8  # engines kept for run-sharded event databases (the index database's is kept too)
POOL_SIZE = 2  # connections kept open per database file: the executing thread and the CLI's progress reader


def _pooled_engine(conn_string: str, **connect_args) -> Engine:
    return create_engine(conn_string, pool_size=POOL_SIZE, max_overflow=8, connect_args=connect_args)


class _ProcessEngines:
    """Engines of this process: a forked child drops the ones it inherited (without closing the
    parent's connections) and makes its own."""

    def _own_engines(self) -> dict[str, Engine]:
        if self.__dict__.get("_engines_pid") != os.getpid():
            for engine in self.__dict__.get("_pooled", {}).values():
                engine.dispose(close=False)
            self.__dict__["_pooled"], self.__dict__["_engines_pid"] = OrderedDict(), os.getpid()
        return self.__dict__["_pooled"]

    def _close_engines(self, keep=lambda name: False) -> None:
        engines = self._own_engines()
        for name in [n for n in engines if not keep(n)]:
            engines.pop(name).dispose()


def unexpected_termination() -> JobFailureData:
    return JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION)


_CONFIG = {"base_dir": Field(StringSource, is_required=False,
                             description="default: under the instance's directory, where Dagster's default storage is")}


class _InInstanceDirectory:
    """Without `base_dir`, the storage lives where Dagster's default one does, under the instance's own
    directory, which is known once the instance registers its storages (it does so first thing)."""

    UNDER: tuple[str, ...] = ()  # the storage's folder below the instance's directory; `_ready(folder,
    # inst_data)` of each storage opens its files there

    @classmethod
    def config_type(cls):
        return _CONFIG

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        if config_value.get("base_dir"):
            return cls._ready(config_value["base_dir"], inst_data)
        pending = cls.__new__(cls)
        pending._inst_data, pending._pending = inst_data, True
        return pending

    def register_instance(self, instance) -> None:
        if self.__dict__.pop("_pending", False):  # set up exactly as a storage built with the directory
            ready = self._ready(os.path.join(instance.root_directory, *self.UNDER, ""), self._inst_data)
            self.__dict__.update(vars(ready))
        super().register_instance(instance)


class EngineReusingRunStorage(_InInstanceDirectory, _ProcessEngines, SqliteRunStorage):
    """SqliteRunStorage with one engine for its database."""

    UNDER = ("history",)

    @classmethod
    def _ready(cls, directory: str, inst_data):
        return cls.from_local(directory, inst_data=inst_data)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        engines = self._own_engines()
        if "runs" not in engines:
            engines["runs"] = _pooled_engine(self._conn_string)
        with engines["runs"].connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()
        self._close_engines()


class EngineReusingEventLogStorage(_InInstanceDirectory, _ProcessEngines, SqliteEventLogStorage):
    """SqliteEventLogStorage with one engine per database file (the newest OPEN_RUN_DATABASES run
    databases and the index) and the tables it has found remembered."""

    def __init__(self, base_dir: str, inst_data=None):
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)

    UNDER = ("history", "runs")

    @classmethod
    def _ready(cls, directory: str, inst_data):
        return cls(directory, inst_data=inst_data)

    def _engine_for(self, shard: str) -> Engine:
        engines = self._own_engines()
        engine = engines.pop(shard, None)
        if engine is None:
            engine = _pooled_engine(self.conn_string_for_shard(shard), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        engines[shard] = engine  # the most recently used last
        runs = [s for s in engines if s != "index"]
        for old in runs[:-OPEN_RUN_DATABASES]:
            engines.pop(old).dispose()
        if shard not in self._initialized_dbs:  # emptied again by wipe()
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            with self._engine_for(shard).connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        if table_name in self._tables_found:  # tables are only ever added (by migrations)
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_found.add(table_name)
        return found

    def wipe(self) -> None:
        with self._db_lock:  # no connection stays open on a run database about to be deleted
            self._close_engines(keep=lambda shard: shard == "index")
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_engines()


__all__ = ["CHECKED_WITH_DAGSTER", "CheckStatus", "EngineReusingEventLogStorage", "EngineReusingRunStorage",
           "unexpected_termination"]
