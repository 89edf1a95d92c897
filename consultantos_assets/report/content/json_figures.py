"""The headline numbers in machine-readable form (the JSON export's key figures)."""

from __future__ import annotations

from consultantos_assets.analysis.coverage import source_dates
from consultantos_assets.analysis.valuation import latest_quarter
from consultantos_assets.models import (
    METRICS,
    ReportInput,
)
from consultantos_assets.models.financials import BANK_METRICS, CAPITAL_METRICS, CASH_FLOW_METRICS, STATEMENT_METRICS

from ..formatting import (
    fmt_value,
)
from .financials import multiples_rows
from .points import cited_ids
from .sections import SECTIONS, company_name, mode_summary, section_keys


def key_figures(report: ReportInput) -> dict[str, object]:
    """Machine-readable headline numbers (used by the JSON export)."""
    fin = report.financials
    figures: dict[str, object] = {
        "ticker": report.ticker,
        "company": company_name(report),
        "as_of": report.as_of.isoformat(),
        "mode": mode_summary(report),
        "confidence": report.synthesis.confidence,
        "has_financial_statements": fin.has_statements,
        "fiscal_years": fin.fiscal_years(),
        "latest": {},
        "prices": None,
        "sections": [SECTIONS[k] for k in section_keys(report)],
        "cited_evidence": len(cited_ids(report)),
    }
    for key in STATEMENT_METRICS:
        unit = METRICS[key][1]
        f = fin.latest(key)
        if f is not None:
            figures["latest"][key] = {
                "value": f.value,
                "unit": f.unit or unit,
                "display": fmt_value(f.value, f.unit or unit),
                "fiscal_year": f.fiscal_year,
                "evidence_id": f.evidence_id,
            }
    def fact_json(f) -> dict[str, object]:
        return {"value": f.value, "unit": f.unit, "display": fmt_value(f.value, f.unit), "period": f.period_label,
                "period_end": f.period_end.isoformat(), "concept": f.concept, "accession": f.accession,
                "evidence_id": f.evidence_id, "split_factor": f.split_factor}

    figures["source_dates"] = {k: v.isoformat() if v else None for k, v in
                               source_dates(report.research, report.trends, fin).items()}
    figures["cash_flow"] = {k: {str(f.fiscal_year): fact_json(f) for f in fin.series(k)}
                            for k in (*CASH_FLOW_METRICS, *CAPITAL_METRICS, *BANK_METRICS) if fin.series(k)}
    figures["ttm"] = {f.metric: fact_json(f) for f in fin.ttm}
    figures["latest_quarter"] = [
        {"metric": q.metric, "current": fact_json(q.current),
         "year_ago": fact_json(q.year_ago) if q.year_ago else None, "growth_yoy": q.growth}
        for q in latest_quarter(fin)]
    figures["multiples"] = {m.key: {"label": m.label, "value": m.value, "display": m.display, "basis": m.basis,
                                    "reason": m.reason, "evidence_id": m.evidence_id if m.value is not None else None}
                            for m in multiples_rows(report)}
    figures["splits"] = [s.model_dump(mode="json") for s in fin.splits]
    if fin.prices is not None:
        p = fin.prices
        figures["prices"] = {
            "last_close": p.last_close,
            "last_date": p.last_date.isoformat(),
            "return_1y": p.return_1y,
            "volatility_annual": p.volatility_annual,
            "max_drawdown": p.max_drawdown,
            "market_cap": p.market_cap,
            "market_cap_shares": p.market_cap_shares,
            "market_cap_shares_date": p.market_cap_shares_date.isoformat() if p.market_cap_shares_date else None,
        }
    return figures
