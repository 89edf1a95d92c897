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
  SQLAlchemy engine for every query, and with it an empty statement cache, so every query is compiled
  again; and they open the index database to ask whether a table exists before each partition lookup.
  These keep one engine per database file (connections are still opened per use and closed after,
  as Dagster's are) and remember the tables found.

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
from sqlalchemy.pool import NullPool

CHECKED_WITH_DAGSTER = "1.13.27"
OPEN_RUN_DATABASES = 8  # engines kept for run-sharded event databases (the index database's is kept too)


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


class EngineReusingRunStorage(_InInstanceDirectory, SqliteRunStorage):
    """SqliteRunStorage with one engine for its database."""

    UNDER = ("history",)

    @classmethod
    def _ready(cls, directory: str, inst_data):
        return cls.from_local(directory, inst_data=inst_data)

    @property
    def _engine(self) -> Engine:
        engine = self.__dict__.get("_reused_engine")
        if engine is None:
            engine = self.__dict__["_reused_engine"] = create_engine(self._conn_string, poolclass=NullPool)
        return engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()
        if (engine := self.__dict__.pop("_reused_engine", None)) is not None:
            engine.dispose()


class EngineReusingEventLogStorage(_InInstanceDirectory, SqliteEventLogStorage):
    """SqliteEventLogStorage with one engine per database file (the newest OPEN_RUN_DATABASES run
    databases and the index) and the tables it has found remembered."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data)

    UNDER = ("history", "runs")

    @classmethod
    def _ready(cls, directory: str, inst_data):
        return cls(directory, inst_data=inst_data)

    def _engine_for(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(self.conn_string_for_shard(shard), poolclass=NullPool,
                                   connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        self._engines[shard] = engine  # the most recently used last
        runs = [s for s in self._engines if s != "index"]
        for old in runs[:-OPEN_RUN_DATABASES]:
            self._engines.pop(old).dispose()
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

    def dispose(self) -> None:
        super().dispose()
        while self._engines:
            self._engines.popitem()[1].dispose()


__all__ = ["CHECKED_WITH_DAGSTER", "CheckStatus", "EngineReusingEventLogStorage", "EngineReusingRunStorage",
           "unexpected_termination"]
