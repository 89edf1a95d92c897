"""The company asset graph. Assets stay thin: load inputs, call a resource or analysis function,
return a model with metadata."""


import json
import warnings

import dagster as dg

from ..analysis.analyst import EvidencePack, Frameworks
from ..analysis.assemble import report_input
from ..analysis.evidence import build_evidence
from ..analysis.quality import financials_problems
from ..index.chunking import research_chunks
from ..models import (
    PESTEL,
    SWOT,
    AssetVersion,
    BlueOcean,
    CompanyResearch,
    Financials,
    InvalidTicker,
    MarketTrends,
    PorterFiveForces,
    Provenance,
    ResearchIndexSummary,
    Synthesis,
    content_hash,
    normalize_ticker,
)
from ..sources import collect
from ..sources.base import SourceError
from .partitions import companies
from .resources import AnalystResource, IndexResource, ReportStore, SourcesResource

# Output(data_version=...) is marked beta; it is how sources report content-hash versions.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*data_version.*")

VOLATILE = {"provenance": {"retrieved_at"}, "price_provenance": {"retrieved_at"}}


def ticker_of(context: dg.AssetExecutionContext) -> str:
    try:
        return normalize_ticker(context.partition_key)
    except InvalidTicker as exc:
        raise dg.Failure(description=f"partition {context.partition_key!r} is not a usable ticker: {exc}") from exc


def _provenance_metadata(p: Provenance) -> dict[str, object]:
    return {
        "provider": p.provider,
        "mode": p.mode,
        "as_of": p.as_of.isoformat() if p.as_of else "unknown",
        "location": p.location or "",
        "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in p.notes) or "none"),
    }


def _versioned(value, metadata: dict[str, object]) -> dg.Output:
    version = content_hash(value, exclude=VOLATILE)
    return dg.Output(value, data_version=dg.DataVersion(version), metadata={**metadata, "data_version": version})


# ------------------------------------------------------------------------------------------- sources
def _collect(fn, *args):
    try:
        return fn(*args)
    except SourceError as exc:
        raise dg.Failure(description=f"{type(exc).__name__}: {exc}") from exc


@dg.asset(
    partitions_def=companies,
    group_name="sources",
    kinds={"python"},
    code_version="1",
    description="Documents about the company: profile and filing history written from SEC facts, "
    "the user's own documents, and web research when live.",
)
def company_research(context: dg.AssetExecutionContext, sources: SourcesResource) -> dg.Output[CompanyResearch]:
    profile = _collect(collect.profile, sources.serve, ticker_of(context))
    research, n_filings = _collect(collect.research, sources.serve, profile)
    for w in research.warnings:
        context.log.warning(w)
    return _versioned(research, {
        **_provenance_metadata(research.provenance),
        "company": profile.name,
        "documents": len(research.documents),
        "user_documents": sum(1 for d in research.documents if d.kind == "user"),
        "filings": n_filings,
        "warnings": len(research.warnings),
    })


@dg.asset(
    partitions_def=companies,
    group_name="sources",
    kinds={"python"},
    code_version="1",
    description="Weekly search interest for the company's keywords with 12- vs 52-week momentum.",
)
def market_trends(context: dg.AssetExecutionContext, sources: SourcesResource) -> dg.Output[MarketTrends]:
    profile = _collect(collect.profile, sources.serve, ticker_of(context))
    trends = _collect(collect.trends, sources.serve, profile)
    best = max((s for s in trends.series if s.momentum is not None), key=lambda s: s.momentum, default=None)
    return _versioned(trends, {
        **_provenance_metadata(trends.provenance),
        "keywords": len(trends.keywords),
        "series": len(trends.series),
        "missing": ", ".join(trends.missing) or "none",
        "top_momentum": f"{best.keyword}: {best.momentum:+.1%}" if best else "n/a",
    })


@dg.asset(
    partitions_def=companies,
    group_name="sources",
    kinds={"python"},
    code_version="1",
    description="Annual and quarterly SEC XBRL facts (USD, shares, USD/share) with fiscal periods and "
    "accessions, plus price statistics from daily closes.",
    check_specs=[dg.AssetCheckSpec("fiscal_periods_sane", asset="financials", blocking=True,
                                   description="One value per metric and year, annual durations of "
                                   "350-380 days, quarters of 80-100 days, years in order.")],
)
def financials(context: dg.AssetExecutionContext, sources: SourcesResource):
    profile = _collect(collect.profile, sources.serve, ticker_of(context))
    fin = _collect(collect.financials, sources.serve, profile)
    for gap in fin.gaps:
        context.log.warning(gap)
    latest_rev = fin.latest("revenue")
    yield _versioned(fin, {
        **_provenance_metadata(fin.provenance),
        "fiscal_years": ", ".join(str(y) for y in fin.fiscal_years()) or "none",
        "annual_facts": len(fin.annual),
        "quarterly_facts": len(fin.quarterly),
        "latest_revenue_usd": latest_rev.value if latest_rev else "n/a",
        "price_as_of": fin.prices.last_date.isoformat() if fin.prices else "n/a",
        "price_provider": fin.price_provenance.provider if fin.price_provenance else "none",
        "gaps": dg.MetadataValue.md("\n".join(f"- {g}" for g in fin.gaps) or "none"),
    })
    problems = financials_problems(fin)
    yield dg.AssetCheckResult(
        check_name="fiscal_periods_sane",
        passed=not problems,
        metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
                  "years_checked": len(fin.fiscal_years())},
    )


# ------------------------------------------------------------------------------------------- index
@dg.asset(
    partitions_def=companies,
    group_name="index",
    kinds={"lancedb"},
    code_version="1",
    description="The company's research documents and filing facts as embedded chunks in LanceDB "
    "(content-hash ids; a company's rows are replaced in one commit).",
)
def research_index(
    context: dg.AssetExecutionContext,
    index: IndexResource,
    company_research: CompanyResearch,
    financials: Financials,
) -> dg.Output[ResearchIndexSummary]:
    ticker = ticker_of(context)
    store = index.store()
    chunks = research_chunks(company_research, financials)
    embedded, reused = store.replace_company(ticker, chunks)
    by_kind: dict[str, int] = {}
    for c in chunks:
        by_kind[c.kind] = by_kind.get(c.kind, 0) + 1
    summary = ResearchIndexSummary(
        ticker=ticker, table=store.table_name, uri=store.uri, embedder=store.embedder.name,
        dimension=store.embedder.dimension, rows_for_company=store.count(ticker),
        chunks_embedded=embedded, chunks_reused=reused, by_kind=dict(sorted(by_kind.items())),
    )
    return dg.Output(summary, metadata={
        "rows_for_company": summary.rows_for_company, "chunks_embedded": embedded, "chunks_reused": reused,
        "embedder": summary.embedder, "table": f"{store.uri}/{store.table_name}",
    })


# ------------------------------------------------------------------------------------------- frameworks
def _pack(research: CompanyResearch, trends: MarketTrends, fin: Financials) -> EvidencePack:
    return EvidencePack(research=research, trends=trends, financials=fin,
                        evidence=build_evidence(research, trends, fin))


def _framework_metadata(result, n_points: int) -> dict[str, object]:
    return {"analyst": result.analyst, "confidence": result.confidence, "points": n_points,
            "data_gaps": len(result.data_gaps)}


def _framework_asset(name: str, method: str, description: str, count):
    @dg.asset(
        name=name,
        partitions_def=companies,
        group_name="frameworks",
        kinds={"python"},
        code_version="1",
        description=description,
        deps=["research_index"],
    )
    def _asset(
        context: dg.AssetExecutionContext,
        analyst: AnalystResource,
        company_research: CompanyResearch,
        market_trends: MarketTrends,
        financials: Financials,
    ):
        ticker_of(context)
        result = getattr(analyst.get(), method)(_pack(company_research, market_trends, financials))
        return dg.Output(result, metadata=_framework_metadata(result, count(result)))

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


@dg.asset(
    partitions_def=companies,
    group_name="synthesis",
    kinds={"python"},
    code_version="1",
    description="Executive summary, key findings, recommendations, risks, data gaps and an overall "
    "confidence computed from evidence coverage.",
)
def synthesis(
    context: dg.AssetExecutionContext,
    analyst: AnalystResource,
    company_research: CompanyResearch,
    market_trends: MarketTrends,
    financials: Financials,
    porter_five_forces: PorterFiveForces,
    swot: SWOT,
    pestel: PESTEL,
    blue_ocean: BlueOcean,
) -> dg.Output[Synthesis]:
    ticker_of(context)
    fw = Frameworks(porter=porter_five_forces, swot=swot, pestel=pestel, blue_ocean=blue_ocean)
    result = analyst.get().synthesis(_pack(company_research, market_trends, financials), fw)
    return dg.Output(result, metadata={
        **_framework_metadata(result, len(result.key_findings) + len(result.recommendations)),
        "coverage": json.dumps(result.confidence_breakdown),
        "summary": dg.MetadataValue.md(result.executive_summary),
    })


# ------------------------------------------------------------------------------------------- report
@dg.asset(
    partitions_def=companies,
    group_name="report",
    kinds={"pdf"},
    code_version="1",
    description="The consulting report as PDF, with Markdown and JSON exports beside it. Identical "
    "inputs give a byte-identical PDF.",
    check_specs=[dg.AssetCheckSpec("report_complete", asset="report_pdf",
                                   description="The PDF opens, has every section and names the company.")],
)
def report_pdf(
    context: dg.AssetExecutionContext,
    reports: ReportStore,
    company_research: CompanyResearch,
    market_trends: MarketTrends,
    financials: Financials,
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
            ("research_index", research_index.embedder),
            ("porter_five_forces", porter_five_forces.analyst),
            ("swot", swot.analyst),
            ("pestel", pestel.analyst),
            ("blue_ocean", blue_ocean.analyst),
            ("synthesis", synthesis.analyst),
        )
    ]
    fw = Frameworks(porter=porter_five_forces, swot=swot, pestel=pestel, blue_ocean=blue_ocean)
    bundle = report_input(company_research, market_trends, financials, fw, synthesis, versions)
    artifact, markdown = reports.publish(bundle)
    problems = reports.verify(artifact, company_research.profile.name)
    yield dg.Output(artifact, metadata={
        "path": dg.MetadataValue.path(artifact.path),
        "pages": artifact.pages,
        "bytes": artifact.bytes,
        "sha256": artifact.sha256,
        "markdown_path": dg.MetadataValue.path(artifact.markdown_path or ""),
        "json_path": dg.MetadataValue.path(artifact.json_path or ""),
        "what_changed_since": artifact.compared_with or "first report",
        "preview": dg.MetadataValue.md(markdown),
    })
    yield dg.AssetCheckResult(
        check_name="report_complete", passed=not problems,
        metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
                  "pages": artifact.pages},
    )


def _latest_data_version(context: dg.AssetExecutionContext, asset: str, ticker: str) -> str | None:
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[ticker]), limit=1
    ).records
    if not records:
        return None
    mat = records[0].asset_materialization
    return (mat.tags or {}).get("dagster/data_version") if mat else None
