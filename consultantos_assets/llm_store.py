"""Storage behind the LLM analyst: the answer cache and the cost ledger (I/O, no dagster).

<home>/llm/cache/<k[:2]>/<key>.json   one validated answer per cache key (sha256 of model, prompt version,
                                       framework, response schema and prompt), written atomically
<home>/llm/ledger.duckdb              table llm_calls: one row per framework answer per company and run
                                       (model asked and model_version that answered, outcome and reason,
                                       finish_reason, input/output/thinking tokens, cost)

DuckDB allows one writing process per file, so every ledger access opens the file, does one statement
and closes it under a file lock (held for milliseconds, never during a model call); concurrent runs
and the parallel framework steps of one run queue on the lock instead of failing.

The production profile keeps the same records where every machine sees them: GCSAnswerCache (the cache
records as objects in the bucket) and PostgresLedger (the same table in PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .analysis.llm import CallRecord
from .atomic import atomic_write_text

log = logging.getLogger(__name__)

COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR", "asset": "VARCHAR", "ticker": "VARCHAR", "framework": "VARCHAR", "model": "VARCHAR",
    "prompt_version": "VARCHAR", "cache_key": "VARCHAR", "outcome": "VARCHAR", "calls": "INTEGER",
    "input_tokens": "BIGINT", "output_tokens": "BIGINT", "latency_s": "DOUBLE", "cost_usd": "DOUBLE",
    "invalid_answers": "INTEGER", "http_retries": "INTEGER", "detail": "VARCHAR", "recorded_at": "TIMESTAMPTZ",
    # added later: tables made before them gain them on first use (ADD COLUMN IF NOT EXISTS)
    "thinking_tokens": "BIGINT", "model_version": "VARCHAR", "finish_reason": "VARCHAR", "reason": "VARCHAR",
}
ADDED_COLUMNS = ("thinking_tokens", "model_version", "finish_reason", "reason")


def llm_dir(home: Path | str) -> Path:
    return Path(home) / "llm"


def _cache_record(key: str, value: str, meta: dict[str, Any]) -> dict[str, Any]:
    """A cache entry as stored: the answer (JSON) with its key, metadata and when it was stored."""
    return {"key": key, "meta": meta, "stored_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "answer": json.loads(value)}


def _answer_of(record: Any) -> str | None:
    """The answer of a stored cache entry as JSON text; None when it has none."""
    answer = record.get("answer") if isinstance(record, dict) else None
    return json.dumps(answer) if answer is not None else None

class JsonAnswerCache:
    """Validated model answers as JSON files keyed by content hash; safe for concurrent writers."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"bad cache key {key!r}")
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        path = self._path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("unreadable LLM cache entry %s (%s): ignored", path, exc)
            return None
        return _answer_of(record)

    def put(self, key: str, value: str, meta: dict[str, Any]) -> None:
        record = _cache_record(key, value, meta)
        atomic_write_text(self._path(key), json.dumps(record, ensure_ascii=False, sort_keys=True))

    def count(self) -> int:
        return sum(1 for _ in self.directory.glob("*/*.json")) if self.directory.is_dir() else 0


class _SqlLedger:
    """What both ledgers do with their one table; subclasses run SQL (`_rows`) in their database."""

    TABLE = "llm_calls"
    PARAM = "?"                 # the driver's placeholder

    def _rows(self, sql: str, params: list[Any]) -> tuple[list[str], list[tuple]]:
        """Run one statement; the column names and rows it returns (none for writes)."""
        raise NotImplementedError

    @staticmethod
    def _rounded(expr: str, digits: int) -> str:
        return f"ROUND({expr}, {digits})"

    def _schema_sql(self, types: dict[str, str]) -> list[str]:
        """CREATE TABLE, then the columns older tables lack (both databases take ADD COLUMN IF NOT EXISTS)."""
        cols = ", ".join(f"{k} {types[k]}" for k in COLUMNS)
        return [f"CREATE TABLE IF NOT EXISTS {self.TABLE} ({cols})",
                *(f"ALTER TABLE {self.TABLE} ADD COLUMN IF NOT EXISTS {k} {types[k]}" for k in ADDED_COLUMNS)]

    def record(self, row: CallRecord) -> None:
        data = row.as_row()
        names = list(COLUMNS)
        self._rows(f"INSERT INTO {self.TABLE} ({', '.join(names)}) VALUES ({', '.join([self.PARAM] * len(names))})",
                   [data[n] for n in names])

    def spent(self, ticker: str, scope: str, run_id: str) -> float:
        where, params = f"ticker = {self.PARAM}", [ticker]
        if scope == "run":
            where += f" AND run_id = {self.PARAM}"
            params.append(run_id)
        elif scope == "day":
            where += f" AND recorded_at >= {self.PARAM}"
            params.append(dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0))
        _, rows = self._rows(f"SELECT COALESCE(SUM(cost_usd), 0) FROM {self.TABLE} WHERE {where}", params)
        return float(rows[0][0])

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of any read query over the ledger, as dicts (tests, CLI, notebooks; `PARAM` placeholders)."""
        names, rows = self._rows(sql, params or [])
        return [dict(zip(names, r, strict=True)) for r in rows]

    def totals(self, ticker: str | None = None) -> list[dict[str, Any]]:
        """Per company and asset: answers, model calls, tokens, latency and cost."""
        where = f"WHERE ticker = {self.PARAM}" if ticker else ""
        return self.query(
            f"""SELECT ticker, asset, COUNT(*) AS answers, SUM(calls) AS calls,
                       SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                       SUM(thinking_tokens) AS thinking_tokens,
                       {self._rounded("SUM(latency_s)", 3)} AS latency_s,
                       {self._rounded("SUM(cost_usd)", 6)} AS cost_usd,
                       COUNT(*) FILTER (WHERE outcome = 'cache') AS cache_hits,
                       COUNT(*) FILTER (WHERE outcome IN ('fallback', 'budget')) AS fallbacks
                FROM {self.TABLE} {where} GROUP BY ticker, asset ORDER BY ticker, asset""",
            [ticker] if ticker else [])


class DuckDBLedger(_SqlLedger):
    """The queryable cost ledger (see module docstring for the locking)."""

    def __init__(self, path: Path | str, lock_timeout_s: float = 120.0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path) + ".lock", timeout=lock_timeout_s)
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        import duckdb

        try:
            with self._lock:
                for attempt in range(6):  # a process outside our lock (a user's duckdb shell) may hold the file
                    try:
                        con = duckdb.connect(str(self.path))
                        break
                    except duckdb.IOException:
                        if attempt == 5:
                            raise
                        time.sleep(0.2 * 2 ** attempt)
                try:
                    if not self._ready:
                        for sql in self._schema_sql(COLUMNS):
                            con.execute(sql)
                        self._ready = True
                    yield con
                finally:
                    con.close()
        except Timeout as exc:
            raise RuntimeError(f"the LLM cost ledger {self.path} stayed locked; is another process stuck?") from exc

    def _rows(self, sql: str, params: list[Any]) -> tuple[list[str], list[tuple]]:
        with self._connect() as con:
            cur = con.execute(sql, params)
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()


# ---- production profile: shared across machines, outliving any of them --------------------------
class GCSAnswerCache:
    """JsonAnswerCache's records as objects in a bucket: <prefix>/<k[:2]>/<key>.json (create-only, so the
    first answer stored for a key stays; every machine reads the same cache)."""

    def __init__(self, bucket: Any, prefix: str):
        self.bucket = bucket  # a google.cloud.storage Bucket
        self.prefix = prefix.strip("/")

    def _name(self, key: str) -> str:
        if not key.isalnum():
            raise ValueError(f"bad cache key {key!r}")
        return f"{self.prefix}/{key[:2]}/{key}.json"

    def get(self, key: str) -> str | None:
        from google.api_core.exceptions import NotFound

        name = self._name(key)
        try:
            record = json.loads(self.bucket.blob(name).download_as_text())
        except NotFound:
            return None
        except ValueError as exc:
            log.warning("unreadable LLM cache entry gs://%s/%s (%s): ignored", self.bucket.name, name, exc)
            return None
        return _answer_of(record)

    def put(self, key: str, value: str, meta: dict[str, Any]) -> None:
        from google.api_core.exceptions import PreconditionFailed

        record = _cache_record(key, value, meta)
        try:
            self.bucket.blob(self._name(key)).upload_from_string(
                json.dumps(record, ensure_ascii=False, sort_keys=True), content_type="application/json",
                if_generation_match=0)
        except PreconditionFailed:  # another run stored an answer for the same inputs first
            pass

    def count(self) -> int:
        return sum(1 for b in self.bucket.client.list_blobs(self.bucket, prefix=f"{self.prefix}/")
                   if b.name.endswith(".json"))


_PG_TYPES = {"DOUBLE": "DOUBLE PRECISION"}


class PostgresLedger(_SqlLedger):
    """DuckDBLedger's table in PostgreSQL (the Dagster instance's database by default), written by every
    machine at once. One short connection per statement, as with DuckDB; PostgreSQL handles concurrent
    writers itself. Queries use psycopg2's %s placeholders."""

    PARAM = "%s"

    def __init__(self, dsn: str, connect_timeout_s: int = 10):
        self.dsn = dsn
        self.connect_timeout_s = connect_timeout_s
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        import psycopg2

        try:
            con = psycopg2.connect(self.dsn, connect_timeout=self.connect_timeout_s)
        except psycopg2.OperationalError as exc:  # the message names host and database, never the password
            raise RuntimeError(f"the LLM cost ledger's PostgreSQL database is unreachable: {exc}".strip()) from None
        try:
            with con, con.cursor() as cur:  # one transaction: committed on success, rolled back on error
                if not self._ready:
                    # concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog; serialise it
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"consultantos.{self.TABLE}"])
                    for sql in self._schema_sql({k: _PG_TYPES.get(v, v) for k, v in COLUMNS.items()}):
                        cur.execute(sql)
                    cur.execute(f"CREATE INDEX IF NOT EXISTS {self.TABLE}_ticker_idx ON {self.TABLE} "
                                "(ticker, recorded_at)")
                yield cur
            self._ready = True
        finally:
            con.close()

    def _rows(self, sql: str, params: list[Any]) -> tuple[list[str], list[tuple]]:
        with self._connect() as cur:
            cur.execute(sql, params)
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()

    @staticmethod
    def _rounded(expr: str, digits: int) -> str:
        return f"ROUND(({expr})::numeric, {digits})::float"
