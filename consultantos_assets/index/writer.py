"""One company's index write as a plain function of picklable arguments, so that it can run in a
worker process (`consultantos_assets.workers`) where LanceDB is already loaded (no dagster)."""

from __future__ import annotations

from ..models import Chunk
from .embedders import LOCAL_KINDS, Embedder


def replace_company(uri: str, embedder: Embedder, ticker: str, chunks: list[Chunk], scope: str):
    """`ChunkStore(uri, embedder).replace_company(ticker, chunks, scope)` (see index.store)."""
    from .store import ChunkStore

    return ChunkStore(uri, embedder).replace_company(ticker, chunks, scope=scope)


def replace_company_anywhere(store, ticker: str, chunks: list[Chunk], scope: str):
    """The write of `store.replace_company`, in a worker when a pool runs and the embedder is local."""
    from .. import workers

    # local embedders compute where they are held (Gemini's calls the service: no gain in a worker)
    if getattr(store.embedder, "kind", "") in {*LOCAL_KINDS, "lexical"} and workers.active():
        return workers.call(f"{__name__}:replace_company", store.uri, store.embedder, ticker, chunks, scope,
                            lane="index")
    return store.replace_company(ticker, chunks, scope=scope)
