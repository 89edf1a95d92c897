"""The company asset graph after the sources (source_assets.py): the research index, the frameworks, the
synthesis, the insight index and the report, and what every company asset shares. Assets stay thin:
load inputs, call a resource or analysis function, return a model with metadata."""


import hashlib
import warnings

import dagster as dg

from ..analysis.analyst import EvidencePack, Frameworks
from ..analysis.assemble import report_input
from ..analysis.grounding import check_result, framework_texts
from ..index.chunking import insight_chunks, research_chunks
from ..models import (
    PESTEL,
    SWOT,
    AssetVersion,
    BlueOcean,
    CompanyResearch,
    EvidenceSet,
    Financials,
    InvalidTicker,
    MarketTrends,
    PorterFiveForces,
    ResearchIndexSummary,
    Synthesis,
    content_hash,
    normalize_ticker,
)
from .catalog import CODE_VERSIONS, kinds_for
from .metadata import ROW_COUNT, URI
from .partitions import companies
from .pools import POOLS
from .resources import AnalystResource, IndexResource, ReportStore

# Output(data_version=...) is marked beta; it is how sources report content-hash versions.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*data_version.*")

_REFRESH = {"retrieved_at", "refresh_fault", "refresh_failed_at"}
VOLATILE = {"provenance": _REFRESH, "price_provenance": _REFRESH}


def company_asset(group: str, kind: str = "python", **kwargs):
    """`dg.asset` with what every asset here shares: one partition per company, a group, kinds, a tag
    for the layer and the code version derived from what makes the asset (defs/catalog.py)."""

    def wrap(fn):
        name = kwargs.get("name", fn.__name__)
        return dg.asset(partitions_def=companies, group_name=group, kinds=kinds_for(name, kind),
                        code_version=CODE_VERSIONS[name], tags={"consultantos/layer": group}, **kwargs)(fn)

    return wrap


def company_check(name: str, asset: str, description: str, blocking: bool = False) -> dg.AssetCheckSpec:
    """A check with one result per company. `partitions_def` on a check spec is a preview API in
    Dagster 1.13 (dagster is pinned exactly in pyproject.toml; test_checks asserts the behaviour)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=asset, blocking=blocking, description=description,
                                 partitions_def=companies)


def md_escape(text: str) -> str:
    """Data text (company names, document names, provider messages) made inert for Markdown metadata."""
    from ..report.markup import md

    return md(text)


def md_list(items) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {md_escape(i)}" for i in items) or "none")


def ticker_of(context: dg.AssetExecutionContext) -> str:
    """The company's ticker; a partition key that is not exactly a valid upper-case ticker fails the
    step before anything is fetched or written (the partition guard sensor then removes the key)."""
    key = context.partition_key
    try:
        ticker = normalize_ticker(key)
    except InvalidTicker as exc:
        raise dg.Failure(description=f"partition {ascii(key[:40])} is not a usable company: {exc}. Delete "
                         "it from the `companies` partitions and add the company by its ticker.") from exc
    if ticker != key:
        raise dg.Failure(description=f"partition {ascii(key[:40])} is not an upper-case ticker: add the "
                         f"company as {ticker!r} instead and delete this partition.")
    return ticker


def _versioned(value, metadata: dict[str, object]) -> dg.Output:
    version = content_hash(value, exclude=VOLATILE)
    return dg.Output(value, data_version=dg.DataVersion(version), metadata={**metadata, "data_version": version})


# ------------------------------------------------------------------------------------------- index
@company_asset(
    group="index",
    kind="lancedb",
    description="The company's research documents, filing facts and price statistics as embedded chunks "
    "in LanceDB (content-hash ids; the company's rows replaced in one commit; only new text embedded).",
)
def research_index(
    context: dg.AssetExecutionContext,
    index: IndexResource,
    company_research: CompanyResearch,
    evidence: EvidenceSet,
) -> dg.Output[ResearchIndexSummary]:
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
    previous = _latest_metadata_text(context, context.asset_key.path[-1], ticker, "embedder")
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


# ------------------------------------------------------------------------------------------- frameworks
def _pack(research: CompanyResearch, trends: MarketTrends, fin: Financials, evidence: EvidenceSet) -> EvidencePack:
    """What the analyst sees: the sources and the evidence set the `evidence` asset built once."""
    return EvidencePack(research=research, trends=trends, financials=fin, evidence=list(evidence.items),
                        peers=list(evidence.peers.figures) if evidence.peers else [], peer_gaps=list(evidence.gaps))


def _retrieval_store(context: dg.AssetExecutionContext, index: IndexResource, ticker: str):
    """The table research_index last wrote this company into: the configured embedder's, or the local
    embedder's when Gemini embeddings failed (then the question is embedded locally too)."""
    from ..index.embedders import local_embedder
    from ..index.store import ChunkStore

    store = index.store()
    used = _latest_metadata_text(context, "research_index", ticker, "embedder")
    if used and used != store.embedder.name:
        local = local_embedder()
        if local.name == used:
            context.log.info(f"retrieving from {used}'s table, where research_index indexed {ticker}")
            return ChunkStore(store.uri, local)
    return store


def _retrieve(context: dg.AssetExecutionContext, index: IndexResource, asset: str, ticker: str,
              k: int = 4) -> dict[str, list]:
    """Adapter over the research index: the top chunks for each of the framework's standard questions."""
    from ..index.retrieval import retrieve_for_framework

    try:
        found = retrieve_for_framework(_retrieval_store(context, index, ticker), asset, ticker, k=k)
    except Exception as exc:  # the prompt still carries the full evidence list
        context.log.warning(f"retrieval from research_index failed ({type(exc).__name__}: {exc}); the prompt "
                            "carries the evidence list only")
        return {}
    return {r.question: r.chunks for r in found}


def _lazy_retrieval(context: dg.AssetExecutionContext, pack: EvidencePack, index: IndexResource, asset: str,
                    ticker: str) -> None:
    """Retrieval on the analyst's first need; keyed by research_index's data version when known, so an
    identical re-run answered from the LLM cache never opens the index."""
    pack.retriever = lambda: _retrieve(context, index, asset, ticker)
    version = _latest_data_version(context, "research_index", ticker)
    pack.retrieval_key = f"research_index:{ticker}:{version}:{asset}" if version else None
    if pack.retrieval_key is None:
        pack.ensure_retrieved()


def _analyst(context: dg.AssetExecutionContext, analyst: AnalystResource):
    try:
        return analyst.use_llm(), analyst.get(run_id=context.run.run_id)
    except ValueError as exc:  # configuration a user can fix
        raise dg.Failure(description=str(exc)) from exc


def _analysed(call):
    """The analyst's result; a configuration error (unknown model, refused key) fails the step with the
    message naming the setting to change."""
    from ..analysis.llm import LLMConfigError

    try:
        return call()
    except LLMConfigError as exc:
        raise dg.Failure(description=str(exc), metadata={"llm_error": exc.kind}) from None


def _framework_metadata(result, n_points: int) -> dict[str, object]:
    return {"analyst": result.analyst, "confidence": float(result.confidence), "points": n_points,
            ROW_COUNT: n_points, "data_gaps": len(result.data_gaps)}


def _llm_metadata(used, resource: AnalystResource, ticker: str, run_id: str) -> dict[str, object]:
    """Model calls, tokens, latency and cost behind this asset, and the company's spend in this run."""
    from ..analysis.llm import summarize

    records = getattr(used, "records", None)
    if not records:
        return {}
    meta: dict[str, object] = dict(summarize(records))
    meta["llm_fallback"] = any(r.outcome in ("fallback", "budget") for r in records)
    settings = used.settings
    try:
        meta["llm_company_spend_usd"] = round(resource.ledger().spent(ticker, settings.budget_scope, run_id), 8)
    except Exception:  # metadata only
        pass
    meta["llm_budget_usd"] = f"{settings.budget_usd:.2f} per company ({settings.budget_scope})"
    return meta


def _grounding_check(result, pack: EvidencePack) -> dg.AssetCheckResult:
    """Every figure in the result's text must equal an evidence value; the failure names each one."""
    problems = check_result(result, pack.evidence)
    figures = list(dict.fromkeys(p.split("'")[1] if "'" in p else p for p in problems))
    return dg.AssetCheckResult(
        check_name="figures_grounded", passed=not problems,
        description=("ungrounded figure(s): " + ", ".join(figures)) if problems else None,
        metadata={"ungrounded": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
                  "ungrounded_figures": ", ".join(figures) or "none",
                  "texts_checked": len(framework_texts(result))},
    )


def _grounded_or_fail(asset: str, result, pack: EvidencePack):
    """The blocking check's result; on failure the step also fails with a message naming the figures."""
    check = _grounding_check(result, pack)
    yield check
    if not check.passed:
        raise dg.Failure(description=f"{asset}: {check.description} (no evidence value matches; see the "
                         "figures_grounded check)", metadata=check.metadata)


def _grounding_spec(asset: str) -> dg.AssetCheckSpec:
    return company_check("figures_grounded", asset, blocking=True,
                         description="Every figure in the text equals a source fact (with rounding and "
                         "unit scaling); a failure names each ungrounded figure and stops the run.")


def _framework_asset(name: str, method: str, description: str, count):
    @company_asset(
        group="frameworks",
        name=name,
        pool=POOLS[name],
        description=description,
        deps=["research_index"],
        check_specs=[_grounding_spec(name)],
    )
    def _asset(
        context: dg.AssetExecutionContext,
        analyst: AnalystResource,
        index: IndexResource,
        company_research: CompanyResearch,
        market_trends: MarketTrends,
        financials: Financials,
        evidence: EvidenceSet,
    ):
        ticker = ticker_of(context)
        pack = _pack(company_research, market_trends, financials, evidence)
        use_llm, used = _analyst(context, analyst)
        if use_llm:
            _lazy_retrieval(context, pack, index, name, ticker)
        result = _analysed(lambda: getattr(used, method)(pack))
        yield dg.Output(result, metadata={**_framework_metadata(result, count(result)),
                                          "peers": ", ".join(p.ticker for p in pack.peers) or "none",
                                          "retrieved_chunks": sum(len(v) for v in pack.retrieved.values()),
                                          **_llm_metadata(used, analyst, ticker, context.run.run_id)})
        yield from _grounded_or_fail(name, result, pack)

    return _asset


porter_five_forces = _framework_asset(
    "porter_five_forces", "porter",
    "Porter's five forces rated 1-5 with evidence-cited reasons.",
    lambda r: sum(len(f.points) for f in r.forces))
swot = _framework_asset(
    "swot", "swot", "Strengths, weaknesses, opportunities and threats with evidence.",
    lambda r: len(r.strengths) + len(r.weaknesses) + len(r.opportunities) + len(r.threats))
pestel = _framework_asset(
    "pestel", "pestel", "Political, economic, social, technological, environmental and legal factors.",
    lambda r: sum(len(getattr(r, f)) for f in ("political", "economic", "social", "technological",
                                                "environmental", "legal")))
blue_ocean = _framework_asset(
    "blue_ocean", "blue_ocean", "Blue Ocean ERRC grid and strategy canvas.",
    lambda r: len(r.eliminate) + len(r.reduce) + len(r.raise_) + len(r.create))


@company_asset(
    group="synthesis",
    pool=POOLS["synthesis"],
    description="Executive summary, key findings, recommendations, risks, data gaps and an overall "
    "confidence computed from evidence coverage.",
    check_specs=[_grounding_spec("synthesis")],
)
def synthesis(
    context: dg.AssetExecutionContext,
    analyst: AnalystResource,
    index: IndexResource,
    company_research: CompanyResearch,
    market_trends: MarketTrends,
    financials: Financials,
    evidence: EvidenceSet,
    porter_five_forces: PorterFiveForces,
    swot: SWOT,
    pestel: PESTEL,
    blue_ocean: BlueOcean,
):
    ticker = ticker_of(context)
    fw = Frameworks(porter=porter_five_forces, swot=swot, pestel=pestel, blue_ocean=blue_ocean)
    pack = _pack(company_research, market_trends, financials, evidence)
    use_llm, used = _analyst(context, analyst)
    if use_llm:
        _lazy_retrieval(context, pack, index, "synthesis", ticker)
    result = _analysed(lambda: used.synthesis(pack, fw))
    yield dg.Output(result, metadata={
        **_framework_metadata(result, len(result.key_findings) + len(result.recommendations)),
        "coverage": dg.MetadataValue.json(result.confidence_breakdown),
        "summary": dg.MetadataValue.md(md_escape(result.executive_summary)),
        **_llm_metadata(used, analyst, ticker, context.run.run_id),
    })
    yield from _grounded_or_fail("synthesis", result, pack)


# ------------------------------------------------------------------------------------------- insight index
@company_asset(
    group="index",
    kind="lancedb",
    description="The company's framework and synthesis points as `framework_point` chunks in the same "
    "LanceDB table, so the portfolio's conclusions are searchable. Downstream of the frameworks (which "
    "retrieve from research_index), so the graph has no cycle; replaces only this company's points.",
)
def insight_index(
    context: dg.AssetExecutionContext,
    index: IndexResource,
    porter_five_forces: PorterFiveForces,
    swot: SWOT,
    pestel: PESTEL,
    blue_ocean: BlueOcean,
    synthesis: Synthesis,
) -> dg.Output[ResearchIndexSummary]:
    ticker = ticker_of(context)
    chunks = insight_chunks(porter_five_forces, swot, pestel, blue_ocean, synthesis)
    return _index_company(context, index, ticker, chunks, "insight")


# ------------------------------------------------------------------------------------------- report
@company_asset(
    group="report",
    kind="pdf",
    description="The consulting report as PDF, with Markdown, JSON, a slide deck (.pptx) and a workbook (.xlsx) "
    "beside it. Identical inputs give byte-identical files.",
    check_specs=[company_check("report_complete", "report_pdf",
                               description="The PDF opens, has every section and names the company.")],
)
def report_pdf(
    context: dg.AssetExecutionContext,
    reports: ReportStore,
    company_research: CompanyResearch,
    market_trends: MarketTrends,
    financials: Financials,
    evidence: EvidenceSet,
    research_index: ResearchIndexSummary,
    porter_five_forces: PorterFiveForces,
    swot: SWOT,
    pestel: PESTEL,
    blue_ocean: BlueOcean,
    synthesis: Synthesis,
):
    ticker = ticker_of(context)
    versions = [
        AssetVersion(asset=name, data_version=_latest_data_version(context, name, ticker), provider=provider)
        for name, provider in (
            ("company_research", company_research.provenance.provider),
            ("market_trends", market_trends.provenance.provider),
            ("financials", financials.provenance.provider),
            ("peer_figures", f"{len(evidence.peers.figures)} of {len(evidence.peers.named)} named peers with figures"
             if evidence.peers else "no peers"),
            ("evidence", f"{len(evidence.items)} items"),
            ("research_index", research_index.embedder),
            ("porter_five_forces", porter_five_forces.analyst),
            ("swot", swot.analyst),
            ("pestel", pestel.analyst),
            ("blue_ocean", blue_ocean.analyst),
            ("synthesis", synthesis.analyst),
        )
    ]
    fw = Frameworks(porter=porter_five_forces, swot=swot, pestel=pestel, blue_ocean=blue_ocean)
    company_research, market_trends, financials = _with_refresh_notes(company_research, market_trends, financials)
    bundle = report_input(company_research, market_trends, financials, fw, synthesis, versions, evidence=evidence)
    artifact, markdown = reports.publish(bundle)
    problems = reports.verify(artifact, company_research.profile.name)
    from ..analysis.llm import fallbacks
    from ..report.changes import report_changes

    fell_back = fallbacks([porter_five_forces, swot, pestel, blue_ocean, synthesis])
    previous = reports.previous_inputs(ticker, artifact.inputs_hash)
    changes = report_changes(bundle.model_copy(update={"previous": previous})) if previous else None
    yield dg.Output(artifact, metadata={
        "llm_fallbacks": len(fell_back),
        "llm_fallback_reasons": dg.MetadataValue.md(
            "\n".join(f"- {md_escape(label)}: {md_escape(why)}" for label, why in fell_back) or "none"),
        "path": dg.MetadataValue.path(artifact.path),
        URI: artifact.path,
        "pages": artifact.pages,
        "bytes": artifact.bytes,
        "sha256": artifact.sha256,
        "markdown_path": dg.MetadataValue.path(artifact.markdown_path or ""),
        "json_path": dg.MetadataValue.path(artifact.json_path or ""),
        "pptx_path": dg.MetadataValue.path(artifact.outputs.get("pptx", "")),
        "xlsx_path": dg.MetadataValue.path(artifact.outputs.get("xlsx", "")),
        "outputs": dg.MetadataValue.md("\n".join(f"- {fmt}: `{path}`" for fmt, path in artifact.outputs.items())),
        "what_changed_since": artifact.compared_with or "first report",
        "inputs_hash": artifact.inputs_hash or "",
        "report_as_of": bundle.as_of.isoformat(),
        "confidence": float(synthesis.confidence),
        # measured changes against the previous report; the material_changes sensor applies thresholds
        "changes": dg.MetadataValue.json(changes.model_dump(mode="json") if changes else {}),
        "preview": dg.MetadataValue.md(markdown),
    })
    yield dg.AssetCheckResult(
        check_name="report_complete", passed=not problems,
        metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
                  "pages": artifact.pages},
    )


def _with_refresh_notes(*values):
    """Copies of the source values whose latest refresh failed and kept the last good value (their
    provenance's refresh_fault), with a provenance note saying so for the report."""
    out = []
    for value in values:
        provenances = [value.provenance, *([value.price_provenance] if isinstance(value, Financials) else [])]
        if any(p is not None and p.refresh_fault for p in provenances):
            value = value.model_copy(deep=True)
            for p in (value.provenance, getattr(value, "price_provenance", None)):
                if p is not None and p.refresh_fault:
                    when = p.refresh_failed_at.strftime("%Y-%m-%d %H:%M UTC") if p.refresh_failed_at else "unknown"
                    p.notes.append(f"refresh of {when} failed ({p.refresh_fault}); the last good value is shown")
        out.append(value)
    return out


def _latest_materialization(context: dg.AssetExecutionContext, asset: str, ticker: str):
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[ticker]), limit=1
    ).records
    return records[0].asset_materialization if records else None


def _latest_data_version(context: dg.AssetExecutionContext, asset: str, ticker: str) -> str | None:
    mat = _latest_materialization(context, asset, ticker)
    return (mat.tags or {}).get("dagster/data_version") if mat else None


def _latest_metadata_text(context: dg.AssetExecutionContext, asset: str, ticker: str, key: str) -> str | None:
    mat = _latest_materialization(context, asset, ticker)
    value = (mat.metadata or {}).get(key) if mat else None
    return str(getattr(value, "value", value)) if value is not None else None
