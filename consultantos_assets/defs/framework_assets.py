"""The analysis assets: the four frameworks and the synthesis, each written by the analyst (the Gemini model or
the rules) from the evidence set and chunks retrieved from the research index, each figure checked against the
evidence (the blocking figures_grounded check)."""

import dagster as dg

from ..analysis.analyst import EvidencePack, Frameworks
from ..analysis.grounding import check_result, framework_texts
from ..models import CompanyResearch, EvidenceSet, Financials, MarketTrends
from .company_graph import company_asset, company_check, latest_data_version, latest_metadata_text, md_escape, ticker_of
from .metadata import ROW_COUNT
from .pools import POOLS
from .resources import AnalystResource, IndexResource


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
    used = latest_metadata_text(context, "research_index", ticker, "embedder")
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
    version = latest_data_version(context, "research_index", ticker)
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


SOURCE_INPUTS = ("company_research", "market_trends", "financials", "evidence")
FRAMEWORK_ASSETS = ("porter_five_forces", "swot", "pestel", "blue_ocean")


def _analysed_asset(name: str, group: str, description: str, inputs: tuple[str, ...], analyse, metadata, **kwargs):
    """An asset the analyst writes from the sources' values and `inputs` (the asset's upstream values, by
    name): `analyse(analyst, pack, values)` gives the result, `metadata(result, pack)` what the catalog
    shows besides the model calls; the blocking figures_grounded check follows the value."""

    @company_asset(
        group=group,
        name=name,
        pool=POOLS[name],
        description=description,
        ins={upstream: dg.AssetIn(upstream) for upstream in inputs},
        check_specs=[_grounding_spec(name)],
        **kwargs,
    )
    def _asset(context: dg.AssetExecutionContext, analyst: AnalystResource, index: IndexResource, **values):
        ticker = ticker_of(context)
        pack = _pack(*(values[source] for source in SOURCE_INPUTS))
        use_llm, used = _analyst(context, analyst)
        if use_llm:
            _lazy_retrieval(context, pack, index, name, ticker)
        result = _analysed(lambda: analyse(used, pack, values))
        yield dg.Output(result, metadata={**metadata(result, pack),
                                          **_llm_metadata(used, analyst, ticker, context.run.run_id)})
        yield from _grounded_or_fail(name, result, pack)

    return _asset


def _framework_asset(name: str, method: str, description: str, count):
    """One of the four frameworks: the analyst's `method` over the evidence pack; `count` its points."""
    return _analysed_asset(
        name, "frameworks", description, SOURCE_INPUTS,
        lambda used, pack, values: getattr(used, method)(pack),
        lambda result, pack: {**_framework_metadata(result, count(result)),
                              "peers": ", ".join(p.ticker for p in pack.peers) or "none",
                              "retrieved_chunks": sum(len(v) for v in pack.retrieved.values())},
        deps=["research_index"])


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


def _synthesise(used, pack: EvidencePack, values: dict):
    frameworks = Frameworks(porter=values["porter_five_forces"], swot=values["swot"], pestel=values["pestel"],
                            blue_ocean=values["blue_ocean"])
    return used.synthesis(pack, frameworks)


synthesis = _analysed_asset(
    "synthesis", "synthesis",
    "Executive summary, key findings, recommendations, risks, data gaps and an overall "
    "confidence computed from evidence coverage.",
    SOURCE_INPUTS + FRAMEWORK_ASSETS, _synthesise,
    lambda result, pack: {**_framework_metadata(result, len(result.key_findings) + len(result.recommendations)),
                          "coverage": dg.MetadataValue.json(result.confidence_breakdown),
                          "summary": dg.MetadataValue.md(md_escape(result.executive_summary))})
