"""LanceDB access: the research index (no dagster).

One table per embedder (``research_chunks__<embedder>``), holding every company's chunks. The table's
schema metadata records the embedder and the dimension that made its vectors, and each row names its
embedder too, so vectors of different spaces are never mixed: switching embedders writes to (and
searches) that embedder's own table, where a company's chunks are embedded afresh on its next
indexing; switching back finds the old table and its vectors still there.

Writes: ``replace_company`` makes the table hold exactly the given chunks for one company and one
scope ("research" = documents and facts, "insight" = framework points) in a single merge-insert
commit (insert new ids, update changed rows, delete the scope's rows that are gone), so readers see
the old or the new rows, never a mix. Writers in any process serialise on a file lock beside the
table. Vectors are reused by content hash (the same text is never embedded twice in one space).

Search: vector (cosine), native full-text (BM25) and hybrid (reciprocal-rank fusion of the two),
filtered by ticker, kind and date. An approximate vector index is built once the table holds
``ann_min_rows`` rows and rebuilt when the rows it does not cover exceed ``drift_ratio`` of the table;
the full-text index likewise (unindexed rows are still searched, only more slowly).

Table names, the schema, filters and the connection are in tables.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from filelock import FileLock

from ..models import Chunk
from .embedders import Embedder
from .tables import (
    FTS_INDEX,
    MODES,
    SCOPES,
    TABLE_PREFIX,
    VECTOR_INDEX,
    IndexMismatch,
    ReplaceResult,
    build_filter,
    lancedb_module,
    retry_conflicts,
    schema_for,
    sql_quote,
    table_name_for,
    table_names,
    text_hash,
)

log = logging.getLogger(__name__)
RRF_K = 60
_LOOKUP_BATCH = 400


class ChunkStore:
    """The index table of one embedder under `uri`.

    ANN defaults (IVF_PQ, cosine, sqrt(rows) partitions, dimension/8 sub-vectors, nprobes 20, exact
    re-ranking of 10 x k candidates) come from bench/index_bench.py: at 100k chunks p50 12.6 ms,
    recall@10 0.965 against exact search (exact: p50 308 ms).
    """

    def __init__(self, uri: str | Path, embedder: Embedder, table: str | None = None, *,
                 ann_min_rows: int = 5000, drift_ratio: float = 0.1, fts_drift_rows: int = 2000,
                 index_type: str = "IVF_PQ", nprobes: int = 20, refine_factor: int | None = 10,
                 ef: int | None = None):
        self.uri = str(uri)
        self.embedder = embedder
        self.table_name = table or table_name_for(embedder.name)
        self.ann_min_rows = ann_min_rows
        self.drift_ratio = drift_ratio
        self.fts_drift_rows = fts_drift_rows
        self.index_type = index_type
        self.nprobes = nprobes
        self.refine_factor = refine_factor
        self.ef = ef
        if "://" in self.uri:  # an object store (gs://, s3://): its conditional commits order writers across
            # machines; the lock file, in the temp dir, only queues this machine's writers
            digest = hashlib.sha256(self.uri.encode()).hexdigest()[:16]
            lock_dir = Path(tempfile.gettempdir()) / f"consultantos-index-{digest}"
        else:
            lock_dir = Path(self.uri)
        lock_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(lock_dir / f".{self.table_name}.lock"))

    # ------------------------------------------------------------------------------- tables
    def _db(self):
        return lancedb_module().connect(self.uri)

    def _check(self, table) -> None:
        meta = table.schema.metadata or {}
        name = meta.get(b"embedder", b"").decode()
        dim = table.schema.field("vector").type.list_size
        if name != self.embedder.name or dim != self.embedder.dimension:
            raise IndexMismatch(
                f"table {self.table_name} holds {dim}-d vectors from {name or 'an unknown embedder'}, not "
                f"{self.embedder.dimension}-d vectors from {self.embedder.name}"
            )

    def _existing(self, db=None):
        db = db or self._db()
        if self.table_name not in table_names(db):
            return None
        table = db.open_table(self.table_name)
        self._check(table)
        return table

    def _open_or_create(self, db):
        table = self._existing(db)
        if table is None:
            table = db.create_table(self.table_name, schema=schema_for(self.embedder), exist_ok=True)
            self._check(table)
        return table

    def exists(self) -> bool:
        return self._existing() is not None

    def other_tables(self) -> list[tuple[str, str, int]]:
        """(table, embedder, rows) for the index tables of other embedders under this uri."""
        db = self._db()
        out = []
        for name in table_names(db):
            if name.startswith(TABLE_PREFIX) and name != self.table_name:
                t = db.open_table(name)
                out.append((name, (t.schema.metadata or {}).get(b"embedder", b"?").decode(), t.count_rows()))
        return out

    # ------------------------------------------------------------------------------- writes
    def _cached_vectors(self, table, hashes: Iterable[str]) -> dict[str, list[float]]:
        wanted = sorted(set(hashes))
        found: dict[str, list[float]] = {}
        for start in range(0, len(wanted), _LOOKUP_BATCH):
            batch = wanted[start : start + _LOOKUP_BATCH]
            rows = (
                table.search()
                .where(f"text_hash IN ({', '.join(sql_quote(h) for h in batch)}) AND embedder = {sql_quote(self.embedder.name)}")
                .select(["text_hash", "vector"])
                .limit(None)
                .to_arrow()
            )
            for h, v in zip(rows["text_hash"].to_pylist(), rows["vector"].to_pylist(), strict=True):
                found.setdefault(h, v)
        return found

    def replace_company(self, ticker: str, chunks: list[Chunk], scope: str = "research") -> ReplaceResult:
        """Make the table hold exactly `chunks` for `ticker` within `scope`, in one commit.

        Only chunks whose text has no stored vector in this embedder's space are embedded.
        """
        import pyarrow as pa  # where the index is written (a worker); a reader of names need not load it

        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}")
        ticker = ticker.upper()
        wrong = sorted({c.ticker for c in chunks} - {ticker})
        if wrong:
            raise ValueError(f"chunks for {', '.join(wrong)} passed to replace_company({ticker!r})")
        hashes = {c.id: text_hash(c.text) for c in chunks}
        # the lookup and the embedding (a network call with Gemini) take no lock, so other companies'
        # writes do not queue behind them: the vectors found are read from a version of the table,
        # which writers only extend; at worst two writers of the same text both embed it
        db = self._db()
        existing = self._existing(db) if chunks else None
        cached = self._cached_vectors(existing, hashes.values()) if existing is not None else {}
        todo: dict[str, str] = {}
        for c in chunks:
            h = hashes[c.id]
            if h not in cached:
                todo.setdefault(h, c.text)
        fresh = dict(zip(todo, self.embedder.embed(list(todo.values())), strict=True))
        vectors = {**cached, **fresh}
        data = []
        for c in chunks:
            date = c.date.isoformat() if c.date else None
            row_hash = text_hash("\x1f".join([scope, c.kind, c.source, c.evidence_id, date or "", c.text]))
            data.append({
                "id": c.id, "ticker": ticker, "scope": scope, "kind": c.kind, "source": c.source,
                "evidence_id": c.evidence_id, "date": date, "text": c.text, "text_hash": hashes[c.id],
                "row_hash": row_hash, "embedder": self.embedder.name, "vector": vectors[hashes[c.id]],
            })
        batch = pa.Table.from_pylist(data, schema=schema_for(self.embedder))
        with self._lock:  # the commit and the index upkeep, one writer at a time
            table = self._open_or_create(db)
            result = retry_conflicts(lambda: (
                table.merge_insert("id")
                .when_matched_update_all(where="target.row_hash <> source.row_hash")
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete(f"ticker = {sql_quote(ticker)} AND scope = {sql_quote(scope)}")
                .execute(batch)
            ), f"{ticker}/{scope}")
            indexes = self._maintain(table)
            n_chunks = len(chunks)
            reused = sum(1 for c in chunks if hashes[c.id] in cached)
            log.info("%s/%s: %d chunks (%d embedded, %d reused), +%d ~%d -%d rows, version %s",
                     ticker, scope, n_chunks, n_chunks - reused, reused, result.num_inserted_rows,
                     result.num_updated_rows, result.num_deleted_rows, result.version)
            return ReplaceResult(
                embedded=n_chunks - reused, reused=reused, inserted=result.num_inserted_rows,
                updated=result.num_updated_rows, deleted=result.num_deleted_rows,
                rows=table.count_rows(f"ticker = {sql_quote(ticker)} AND scope = {sql_quote(scope)}"),
                version=result.version, indexes=indexes,
            )

    # ------------------------------------------------------------------------------- indexes
    def _stats(self, table, name: str):
        try:
            return table.index_stats(name)
        except Exception:  # lancedb raises when the index does not exist in some versions
            return None

    def _vector_config(self, rows: int):
        from lancedb.index import HnswSq, IvfPq

        partitions = max(1, min(1024, round(rows**0.5)))
        if self.index_type == "IVF_PQ":
            return IvfPq(distance_type="cosine", num_partitions=partitions,
                         num_sub_vectors=max(1, self.embedder.dimension // 8))
        if self.index_type == "IVF_HNSW_SQ":
            return HnswSq(distance_type="cosine", num_partitions=max(1, partitions // 8))
        raise ValueError(f"unsupported index type {self.index_type}")

    def build_vector_index(self, table=None) -> None:
        table = table if table is not None else self._existing()
        if table is None:
            return
        rows = table.count_rows()
        log.info("building %s on %s (%d rows)", self.index_type, self.table_name, rows)
        table.create_index("vector", config=self._vector_config(rows), replace=True, name=VECTOR_INDEX)

    def build_fts_index(self, table=None) -> None:
        from lancedb.index import FTS

        table = table if table is not None else self._existing()
        if table is None:
            return
        table.create_index("text", config=FTS(with_position=False, stem=True, remove_stop_words=True),
                           replace=True, name=FTS_INDEX)

    def _maintain(self, table) -> dict[str, str]:
        """Create or rebuild the indexes the table's size and drift call for. Caller holds the lock."""
        actions: dict[str, str] = {}
        rows = table.count_rows()
        if rows == 0:
            return actions
        fts = self._stats(table, FTS_INDEX)
        if fts is None:
            self.build_fts_index(table)
            actions["fts"] = "built"
        elif fts.num_unindexed_rows > max(self.fts_drift_rows, self.drift_ratio * rows):
            self.build_fts_index(table)
            actions["fts"] = f"rebuilt ({fts.num_unindexed_rows} unindexed rows)"
        vec = self._stats(table, VECTOR_INDEX)
        if vec is None:
            if rows >= self.ann_min_rows:
                self.build_vector_index(table)
                actions["vector"] = "built"
        elif vec.num_unindexed_rows > self.drift_ratio * rows:
            self.build_vector_index(table)
            actions["vector"] = f"rebuilt ({vec.num_unindexed_rows} unindexed rows)"
        return actions

    def maintain(self) -> dict[str, str]:
        with self._lock:
            table = self._existing()
            return self._maintain(table) if table is not None else {}

    def index_state(self) -> dict[str, object]:
        table = self._existing()
        if table is None:
            return {"table": self.table_name, "rows": 0}
        state: dict[str, object] = {"table": self.table_name, "rows": table.count_rows(), "version": table.version,
                                    "embedder": self.embedder.name, "dimension": self.embedder.dimension}
        for key, name in (("vector_index", VECTOR_INDEX), ("fts_index", FTS_INDEX)):
            s = self._stats(table, name)
            state[key] = ({"type": s.index_type, "indexed": s.num_indexed_rows, "unindexed": s.num_unindexed_rows}
                          if s else None)
        return state

    # ------------------------------------------------------------------------------- reads
    def count(self, ticker: str | None = None, kind: str | None = None, scope: str | None = None) -> int:
        table = self._existing()
        if table is None:
            return 0
        where = " AND ".join(
            p for p in (
                f"ticker = {sql_quote(ticker.upper())}" if ticker else "",
                f"kind = {sql_quote(kind)}" if kind else "",
                f"scope = {sql_quote(scope)}" if scope else "",
            ) if p
        )
        return table.count_rows(where or None)

    def rows(self, ticker: str | None = None) -> list[dict]:
        """Stored rows (without vectors) for inspection and tests."""
        table = self._existing()
        if table is None:
            return []
        q = table.search().select([f for f in table.schema.names if f != "vector"]).limit(None)
        if ticker:
            q = q.where(f"ticker = {sql_quote(ticker.upper())}")
        return q.to_arrow().to_pylist()

    @staticmethod
    def _chunk(row: dict, score: float) -> Chunk:
        return Chunk(id=row["id"], ticker=row["ticker"], kind=row["kind"], source=row["source"],
                     evidence_id=row["evidence_id"], date=row["date"] or None, text=row["text"],
                     score=round(float(score), 6))

    _COLUMNS = ["id", "ticker", "kind", "source", "evidence_id", "date", "text"]

    def vector_search(self, vector: Sequence[float], where: str | None = None, k: int = 10,
                      exact: bool = False, table=None) -> list[tuple[dict, float]]:
        """(row, cosine similarity), best first. `exact` bypasses the approximate index."""
        table = table if table is not None else self._existing()
        if table is None:
            return []
        q = table.search(list(vector), vector_column_name="vector").distance_type("cosine").limit(k)
        q = q.select([*self._COLUMNS, "_distance"])
        if where:
            q = q.where(where, prefilter=True)
        if exact:
            q = q.bypass_vector_index()
        else:
            q = q.nprobes(self.nprobes)
            if self.refine_factor:
                q = q.refine_factor(self.refine_factor)
            if self.ef:
                q = q.ef(self.ef)
        return [(r, 1.0 - float(r["_distance"])) for r in q.to_list()]

    def fts_search(self, query: str, where: str | None = None, k: int = 10, table=None) -> list[tuple[dict, float]]:
        """(row, BM25 score), best first. Query words are matched with stemming; any word may match."""
        table = table if table is not None else self._existing()
        terms = " ".join(re.findall(r"\w+", query))
        if table is None or not terms:
            return []
        q = table.search(terms, query_type="fts", fts_columns="text").limit(k).select([*self._COLUMNS, "_score"])
        if where:
            q = q.where(where, prefilter=True)
        return [(r, float(r["_score"])) for r in q.to_list()]

    def search(self, query: str, ticker: str | None = None, k: int = 10, mode: str = "hybrid", *,
               kinds: Sequence[str] | None = None, exclude_kinds: Sequence[str] | None = None,
               date_from: dt.date | str | None = None, date_to: dt.date | str | None = None,
               exact: bool = False) -> list[Chunk]:
        """Top `k` chunks for `query`. Scores: cosine similarity (vector), BM25 (fts), RRF (hybrid)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        table = self._existing()
        if table is None or k <= 0:
            return []
        where = build_filter(ticker, kinds, date_from, date_to, exclude_kinds)
        if mode == "vector":
            hits = self.vector_search(self.embedder.embed_query(query), where, k, exact, table)
            return [self._chunk(r, s) for r, s in hits]
        if mode == "fts":
            return [self._chunk(r, s) for r, s in self.fts_search(query, where, k, table)]
        depth = max(20, 3 * k)
        ranked = [
            self.vector_search(self.embedder.embed_query(query), where, depth, exact, table),
            self.fts_search(query, where, depth, table),
        ]
        return [self._chunk(r, s) for r, s in reciprocal_rank_fusion(ranked)[:k]]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[tuple[dict, float]]], k: int = RRF_K
                           ) -> list[tuple[dict, float]]:
    """Fuse ranked lists: score(d) = sum over lists of 1 / (k + rank), rank from 1. Ties keep first-seen order."""
    scores: dict[str, float] = {}
    rows: dict[str, dict] = {}
    for ranking in rankings:
        for rank, (row, _) in enumerate(ranking, 1):
            scores[row["id"]] = scores.get(row["id"], 0.0) + 1.0 / (k + rank)
            rows.setdefault(row["id"], row)
    order = sorted(scores, key=lambda i: -scores[i])
    return [(rows[i], scores[i]) for i in order]
