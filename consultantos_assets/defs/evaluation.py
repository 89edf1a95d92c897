"""The evaluation: how sound every company's latest report reads, as numbers the UI plots over time.

One unpartitioned asset. For each company it reads the inputs of the latest `report_pdf` (the report
store keeps them by inputs hash) and scores them with analysis/evaluation.py: the share of points resting
only on industry priors, contradictions, comparisons without a named basis, trend claims on low bases and
ungrounded figures. The totals are numeric metadata, so the asset's plots in the UI show them across
materializations. It runs on demand and whenever a company's report is written (so after the portfolio
schedule's runs), never inside the company job.
"""


import datetime as dt

import dagster as dg

from ..analysis.evaluation import score_report
from ..models.evaluation import Evaluation, ReportScore
from .company_graph import portfolio_asset
from .metadata import ROW_COUNT
from .partitions import valid_companies
from .resources import ReportStore

MEASURES = ("prior_only_share", "contradictions", "comparisons_without_basis", "low_base_trend_claims",
            "ungrounded_figures")


def _latest_inputs_hash(instance: dg.DagsterInstance, ticker: str) -> str | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey("report_pdf"), asset_partitions=[ticker]), limit=1).records
    if not records or records[0].asset_materialization is None:
        return None
    value = records[0].asset_materialization.metadata.get("inputs_hash")
    return str(getattr(value, "value", value) or "") or None


def build_evaluation(instance: dg.DagsterInstance, reports: ReportStore,
                     now: dt.datetime | None = None) -> Evaluation:
    scores: list[ReportScore] = []
    missing: list[str] = []
    for ticker in sorted(valid_companies(instance)[0]):
        inputs_hash = _latest_inputs_hash(instance, ticker)
        report = reports.report_inputs(ticker, inputs_hash) if inputs_hash else None
        if report is None:
            missing.append(ticker)
            continue
        scores.append(score_report(report, inputs_hash))
    return Evaluation(evaluated_at=now or dt.datetime.now(dt.UTC), reports=scores, missing=missing)


def evaluation_metadata(value: Evaluation) -> dict[str, object]:
    """Totals across companies (prior_only_share over all their points) and each company's figures, all
    numbers; a table of the lot and the examples behind the counts."""
    rows = value.reports
    points = sum(r.points for r in rows)
    meta: dict[str, object] = {
        ROW_COUNT: len(rows),
        "companies_without_report": len(value.missing),
        "points": points,
        "prior_only_share": round(sum(r.prior_only for r in rows) / points, 4) if points else 0.0,
        **{m: sum(getattr(r, m) for r in rows) for m in MEASURES if m != "prior_only_share"},
    }
    for r in rows:
        for m in MEASURES:
            meta[f"{r.ticker}/{m}"] = float(getattr(r, m)) if m == "prior_only_share" else int(getattr(r, m))
    columns = ["ticker", "as_of", "analyst", "points", *MEASURES, "confidence"]
    meta["reports"] = dg.MetadataValue.table(
        records=[dg.TableRecord({"ticker": r.ticker, "as_of": r.as_of.isoformat() if r.as_of else "",
                                 "analyst": r.analyst or "", "points": r.points,
                                 **{m: getattr(r, m) for m in MEASURES},
                                 "confidence": float(r.confidence) if r.confidence is not None else 0.0})
                 for r in rows],
        schema=dg.TableSchema(columns=[
            dg.TableColumn(c, "string" if c in ("ticker", "as_of", "analyst") else
                           "float" if c in ("prior_only_share", "confidence") else "int") for c in columns]))
    lines = [f"- **{r.ticker}**: {e}" for r in rows for e in r.examples if not e.startswith("prior only")]
    meta["findings"] = dg.MetadataValue.md("\n".join(lines) or "none")
    return meta


@portfolio_asset(
    "evaluation", {"json"},
    description="How sound every company's latest report reads: share of points resting only on industry priors, "
    "contradictions, comparisons without a named basis, trend claims on low bases and ungrounded figures, as "
    "numeric metadata plotted over time.",
)
def evaluation(context: dg.AssetExecutionContext, reports: ReportStore) -> dg.Output[Evaluation]:
    value = build_evaluation(context.instance, reports)
    if value.missing:
        context.log.info("no stored report to score for: %s", ", ".join(value.missing))
    return dg.Output(value, metadata=evaluation_metadata(value))
