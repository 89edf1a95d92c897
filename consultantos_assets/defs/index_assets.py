"""The research index and the insight index: the company's chunks in LanceDB, embedded once per text."""

import hashlib

import dagster as dg

from ..index.chunking import insight_chunks, research_chunks
from ..models import (
    PESTEL,
    SWOT,
    BlueOcean,
    CompanyResearch,
    EvidenceSet,
    PorterFiveForces,
    ResearchIndexSummary,
    Synthesis,
)
from .company_graph import company_asset, latest_metadata_text, ticker_of
from .metadata import ROW_COUNT, URI
from .resources import IndexResource


@company_asset(group="index", kind="lancedb")
def research_index(
    context: dg.AssetExecutionContext,
    index: IndexResource,
    company_research: CompanyResearch,
    evidence: EvidenceSet,
) -> dg.Output[ResearchIndexSummary]:
    """The company's research documents, filing facts and price statistics as embedded chunks in LanceDB
    (content-hash ids; the company's rows replaced in one commit; only new text embedded)."""
    ticker = ticker_of(context)
    return _index_company(context, index, ticker, research_chunks(company_research, evidence.items), "research")


def _index_company(context: dg.AssetExecutionContext, index: IndexResource, ticker: str, chunks: list,
                   scope: str) -> dg.Output[ResearchIndexSummary]:
    from ..index.embedders import EmbedderError
    from ..index.writer import replace_company_anywhere

    gap, store = None, None
    try:
        store = index.store()
        result = replace_company_anywhere(store, ticker, chunks, scope)
    except EmbedderError as exc:
        store, result, gap = _index_locally(context, store, ticker, chunks, scope, exc)
    if store.embedder.name.startswith("lexical"):
        context.log.warning("indexed with the LEXICAL fallback embedder (words, not meaning): run `make install` "
                            "for the local semantic embedders")
    previous = latest_metadata_text(context, context.asset_key.path[-1], ticker, "embedder")
    switched = previous is not None and previous != store.embedder.name
    if switched:
        context.log.info(f"embedder changed from {previous} to {store.embedder.name}: {ticker} is indexed afresh in "
                         f"{store.table_name}; the vectors of {previous} stay in their own table")
    by_kind: dict[str, int] = {}
    for c in chunks:
        by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
    summary = ResearchIndexSummary(
        ticker=ticker, table=store.table_name, uri=store.uri, embedder=store.embedder.name,
        dimension=store.embedder.dimension, rows_for_company=result.rows,
        chunks_embedded=result.embedded, chunks_reused=result.reused, by_kind=dict(sorted(by_kind.items())),
        gap=gap,
    )
    # the version depends on what is indexed, not on how much had to be embedded this time
    version = hashlib.sha256("\n".join([store.embedder.name, *sorted(c.id for c in chunks)]).encode()).hexdigest()[:16]
    return dg.Output(summary, data_version=dg.DataVersion(version), metadata={
        "scope": scope,
        "rows": result.rows,
        "chunks_embedded": result.embedded,
        "chunks_reused": result.reused,
        "rows_inserted": result.inserted,
        "rows_updated": result.updated,
        "rows_deleted": result.deleted,
        "embedder": summary.embedder,
        "embedder_change": f"from {previous}: re-indexed in its own table" if switched else "none",
        "dimension": summary.dimension,
        ROW_COUNT: result.rows,
        URI: f"{store.uri}/{store.table_name}",
        "by_kind": dg.MetadataValue.json(summary.by_kind),
        "table_version": result.version,
        "index_maintenance": dg.MetadataValue.json(result.indexes or {}),
        "data_version": version,
        "embedder_gap": gap or "none",
    })


def _index_locally(context: dg.AssetExecutionContext, store, ticker: str, chunks: list, scope: str, exc: Exception):
    """A failed or malformed Gemini embedding answer: index with the local embedder (its own table and
    dimension) and say so, instead of failing the index and with it the report. Other embedder errors
    (configuration) still fail the step."""
    from ..index.embedders import local_embedder
    from ..index.store import ChunkStore

    if store is None or getattr(store.embedder, "kind", "") != "gemini":
        raise dg.Failure(description=str(exc)) from exc
    local = ChunkStore(store.uri, local_embedder())
    gap = (f"Gemini embeddings failed ({exc}); indexed with the local embedder {local.embedder.name} in its own "
           f"table {local.table_name}, so search ranks by it until Gemini embeddings answer again")
    context.log.warning(gap)
    return local, local.replace_company(ticker, chunks, scope=scope), gap


@company_asset(group="index", kind="lancedb")
def insight_index(
    context: dg.AssetExecutionContext,
    index: IndexResource,
    porter_five_forces: PorterFiveForces,
    swot: SWOT,
    pestel: PESTEL,
    blue_ocean: BlueOcean,
    synthesis: Synthesis,
) -> dg.Output[ResearchIndexSummary]:
    """The company's framework and synthesis points as `framework_point` chunks in the same LanceDB table, so
    the portfolio's conclusions are searchable. Downstream of the frameworks (which retrieve from
    research_index), so the graph has no cycle; replaces only this company's points."""
    ticker = ticker_of(context)
    chunks = insight_chunks(porter_five_forces, swot, pestel, blue_ocean, synthesis)
    return _index_company(context, index, ticker, chunks, "insight")


