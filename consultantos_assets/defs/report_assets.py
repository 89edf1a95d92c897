"""The report asset: the PDF and its exports from every analysed input, with what changed since the last report."""

import dagster as dg

from ..analysis.analyst import Frameworks
from ..analysis.assemble import report_input
from ..models import (
    PESTEL,
    SWOT,
    AssetVersion,
    BlueOcean,
    CompanyResearch,
    EvidenceSet,
    Financials,
    MarketTrends,
    PorterFiveForces,
    ResearchIndexSummary,
    Synthesis,
)
from .company_graph import company_asset, company_check, latest_data_version, md_escape, ticker_of
from .metadata import URI
from .resources import ReportStore


@company_asset(
    group="report",
    kind="pdf",
    check_specs=[company_check("report_complete", "report_pdf",
                               description="The PDF opens, every section is on the page its outline entry "
                               "opens, and the company is named.")],
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
    """The consulting report as PDF, with Markdown, JSON, a slide deck (.pptx) and a workbook (.xlsx) beside
    it. Identical inputs give byte-identical files."""
    ticker = ticker_of(context)
    versions = [
        AssetVersion(asset=name, data_version=latest_data_version(context, name, ticker), provider=provider)
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
    frameworks = Frameworks(porter=porter_five_forces, swot=swot, pestel=pestel, blue_ocean=blue_ocean)
    company_research, market_trends, financials = _with_refresh_notes(company_research, market_trends, financials)
    bundle = report_input(company_research, market_trends, financials, frameworks, synthesis, versions, evidence=evidence)
    published = reports.publish(bundle, company_research.profile.name)
    artifact, problems = published.artifact, published.problems
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
        "preview": dg.MetadataValue.md(published.markdown),
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


