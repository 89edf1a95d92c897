"""LanceDB access: one table of chunks for all companies, replaced per company atomically."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
from filelock import FileLock

from ..models import Chunk
from .embedders import Embedder

log = logging.getLogger(__name__)
TABLE = "research_chunks"


def _schema(dim: int) -> pa.Schema:
    return pa.schema([
        pa.field("id", pa.string()),
        pa.field("ticker", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("source", pa.string()),
        pa.field("evidence_id", pa.string()),
        pa.field("date", pa.string()),
        pa.field("text", pa.string()),
        pa.field("embedder", pa.string()),
        pa.field("vector", pa.list_(pa.float32(), dim)),
    ])


class ChunkStore:
    def __init__(self, uri: str | Path, embedder: Embedder, table: str = TABLE):
        self.uri = str(uri)
        self.embedder = embedder
        self.table_name = table
        Path(self.uri).mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(Path(self.uri) / f".{table}.lock"))

    def _db(self):
        import lancedb

        return lancedb.connect(self.uri)

    def _open(self, db):
        if self.table_name in db.table_names():
            table = db.open_table(self.table_name)
            field = table.schema.field("vector")
            if field.type.list_size != self.embedder.dimension:
                raise ValueError(
                    f"table {self.table_name} holds {field.type.list_size}-d vectors but embedder "
                    f"{self.embedder.name} makes {self.embedder.dimension}-d ones"
                )
            return table
        return db.create_table(self.table_name, schema=_schema(self.embedder.dimension))

    def replace_company(self, ticker: str, chunks: list[Chunk]) -> tuple[int, int]:
        """Make the table hold exactly `chunks` for `ticker`; embed only chunks not stored yet.

        Returns (embedded, reused). One merge-insert commit: readers see old or new rows, never a mix.
        """
        with self._lock:
            db = self._db()
            table = self._open(db)
            existing: dict[str, list[float]] = {}
            if chunks:
                ids = ", ".join(f"'{c.id}'" for c in chunks)
                rows = table.search().where(
                    f"id IN ({ids}) AND embedder = '{self.embedder.name}'"
                ).select(["id", "vector"]).limit(len(chunks) + 1).to_list()
                existing = {r["id"]: r["vector"] for r in rows}
            todo = [c for c in chunks if c.id not in existing]
            vectors = dict(zip([c.id for c in todo], self.embedder.embed([c.text for c in todo]), strict=True))
            vectors.update(existing)
            data = [
                {
                    "id": c.id, "ticker": c.ticker, "kind": c.kind, "source": c.source,
                    "evidence_id": c.evidence_id, "date": c.date.isoformat() if c.date else "",
                    "text": c.text, "embedder": self.embedder.name, "vector": vectors[c.id],
                }
                for c in chunks
            ]
            safe = ticker.replace("'", "")
            (
                table.merge_insert("id")
                .when_matched_update_all()
                .when_not_matched_insert_all()
                .when_not_matched_by_source_delete(f"ticker = '{safe}'")
                .execute(pa.Table.from_pylist(data, schema=_schema(self.embedder.dimension)))
            )
            return len(todo), len(existing)

    def count(self, ticker: str | None = None) -> int:
        db = self._db()
        if self.table_name not in db.table_names():
            return 0
        table = db.open_table(self.table_name)
        return table.count_rows(f"ticker = '{ticker}'" if ticker else None)

    def search(self, query: str, ticker: str | None = None, k: int = 5) -> list[Chunk]:
        db = self._db()
        if self.table_name not in db.table_names():
            return []
        table = db.open_table(self.table_name)
        q = table.search(self.embedder.embed([query])[0]).metric("cosine").limit(k)
        if ticker:
            q = q.where(f"ticker = '{ticker}'", prefilter=True)
        out = []
        for r in q.to_list():
            out.append(Chunk(id=r["id"], ticker=r["ticker"], kind=r["kind"], source=r["source"],
                             evidence_id=r["evidence_id"], date=r["date"] or None, text=r["text"],
                             score=round(1 - float(r["_distance"]), 4)))
        return out
