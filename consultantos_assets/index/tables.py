"""The research index's tables: names per embedder and scope, the Arrow schema, filters, the LanceDB
connection (local path or remote URI) and the retry of commits that conflict with a concurrent writer."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.util
import logging
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .embedders import Embedder

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

TABLE_PREFIX = "research_chunks"


VECTOR_INDEX = "vector_idx"


FTS_INDEX = "text_idx"


MODES = ("vector", "fts", "hybrid")


SCOPES = ("research", "insight")


class IndexMismatch(ValueError):
    """A table holds vectors of another embedder or dimension than the one asked to use it."""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def table_name_for(embedder_name: str) -> str:
    return f"{TABLE_PREFIX}__{_slug(embedder_name)}"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def table_names(db) -> list[str]:
    names: list[str] = []
    token = None
    while True:
        page = db.list_tables(page_token=token)
        names.extend(page.tables)
        token = page.page_token
        if not token:
            return names


def sql_quote(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def schema_for(embedder: Embedder) -> pa.Schema:
    import pyarrow as pa  # where the index is written: the run's process only reads the store's names

    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("ticker", pa.string(), nullable=False),
            pa.field("scope", pa.string(), nullable=False),
            pa.field("kind", pa.string()),
            pa.field("source", pa.string()),
            pa.field("evidence_id", pa.string()),
            pa.field("date", pa.string()),  # ISO date or null; ISO strings compare in date order
            pa.field("text", pa.string()),
            pa.field("text_hash", pa.string()),
            pa.field("row_hash", pa.string()),
            pa.field("embedder", pa.string()),
            pa.field("vector", pa.list_(pa.float32(), embedder.dimension)),
        ],
        metadata={"embedder": embedder.name, "dimension": str(embedder.dimension)},
    )


def build_filter(ticker: str | None = None, kinds: Sequence[str] | None = None,
                 date_from: dt.date | str | None = None, date_to: dt.date | str | None = None,
                 exclude_kinds: Sequence[str] | None = None) -> str | None:
    """A SQL filter for the search filters (None when there is nothing to filter)."""
    parts = []
    if ticker:
        parts.append(f"ticker = {sql_quote(ticker.upper())}")
    if kinds:
        parts.append(f"kind IN ({', '.join(sql_quote(k) for k in kinds)})")
    if exclude_kinds:
        parts.append(f"kind NOT IN ({', '.join(sql_quote(k) for k in exclude_kinds)})")
    if date_from:
        parts.append(f"date >= {sql_quote(str(date_from))}")
    if date_to:
        parts.append(f"date <= {sql_quote(str(date_to))}")
    return " AND ".join(parts) or None


_CONFLICT = re.compile(r"conflict|concurrent|retryable", re.IGNORECASE)


def retry_conflicts(commit, what: str, attempts: int = 5, base_delay_s: float = 0.2):
    """Run a LanceDB commit, retrying when it loses a commit race to a writer outside this store's file
    lock (another host on shared storage, a process with another lock directory). A merge-insert is
    idempotent for the same input (ids are content hashes), so a retry cannot duplicate rows."""
    for attempt in range(1, attempts + 1):
        try:
            return commit()
        except Exception as exc:  # lancedb raises plain OSError/RuntimeError/ValueError with the reason
            if attempt == attempts or not _CONFLICT.search(str(exc)):
                raise
            delay = base_delay_s * 2 ** (attempt - 1)
            log.warning("%s: commit conflict on the index (%s); retrying in %.1fs (attempt %d of %d)",
                        what, str(exc).splitlines()[0][:160], delay, attempt + 1, attempts)
            time.sleep(delay)
    raise AssertionError("unreachable")


@dataclass
class ReplaceResult:
    embedded: int
    reused: int
    inserted: int
    updated: int
    deleted: int
    rows: int
    version: int
    indexes: dict[str, str] = field(default_factory=dict)


_REST_CLIENT = "lance_namespace_urllib3_client"


def lancedb_module():
    """``lancedb``, imported without executing the package body of the generated REST namespace client.

    ``import lancedb`` pulls in ``lance_namespace``, which needs only the client's ``models`` (request
    and response types), but the client package's ``__init__`` also builds every REST API class: about
    1 s of a cold report (``python -X importtime``), for a service a local table never calls. The
    package is registered unexecuted, so its ``models`` subpackage imports on its own; the first use of
    any other name the package exports (a REST namespace) executes the real ``__init__`` in place.
    """
    if "lancedb" in sys.modules or _REST_CLIENT in sys.modules:
        return importlib.import_module("lancedb")
    spec = importlib.util.find_spec(_REST_CLIENT)
    if spec is not None and spec.loader is not None and spec.submodule_search_locations is not None:
        package = importlib.util.module_from_spec(spec)
        loaded = False

        def __getattr__(name: str):
            nonlocal loaded
            if loaded or name.startswith("__"):
                raise AttributeError(f"module {_REST_CLIENT!r} has no attribute {name!r}")
            loaded = True
            spec.loader.exec_module(package)
            return getattr(package, name)

        package.__getattr__ = __getattr__
        sys.modules[_REST_CLIENT] = package
    return importlib.import_module("lancedb")
