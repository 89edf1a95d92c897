"""The financial section's content: statement, cash-flow, quarter, multiple, ratio and price tables, the
headline and the KPI tiles, each figure formatted from a fact the sources hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from consultantos_assets.analysis.valuation import Multiple, is_financial_company, latest_quarter, multiples
from consultantos_assets.models import (
    METRICS,
    FinancialFact,
    ReportInput,
)
from consultantos_assets.models.financials import BANK_METRICS, CAPITAL_METRICS, CASH_FLOW_METRICS, STATEMENT_METRICS

from ..formatting import (
    NA,
    fmt_conf,
    fmt_date,
    fmt_num,
    fmt_pct,
    fmt_price,
    fmt_usd,
    fmt_value,
)
from .sections import fy_label, missing_financials_message


def margin(report: ReportInput, metric: str, year: int) -> float | None:
    fin = report.financials
    num, rev = fin.value(metric, year), fin.value("revenue", year)
    if num is None or rev is None or not rev.value:
        return None
    return num.value / rev.value


def growth(report: ReportInput, metric: str, year: int) -> float | None:
    fin = report.financials
    cur, prev = fin.value(metric, year), fin.value(metric, year - 1)
    if cur is None or prev is None or not prev.value:
        return None
    return cur.value / prev.value - 1


def report_years(report: ReportInput, limit: int = 5) -> list[int]:
    return report.financials.fiscal_years()[-limit:]


@dataclass
class TableData:
    header: list[str]
    rows: list[list[str]]
    numeric_from: int = 1  # first right-aligned column


def financial_table(report: ReportInput) -> TableData:
    years = report_years(report)
    fin = report.financials
    rows = []
    for key in STATEMENT_METRICS:
        label, unit = METRICS[key]
        cells = []
        for y in years:
            f = fin.value(key, y)
            cells.append(fmt_value(f.value, f.unit or unit) if f else NA)
        rows.append([label, *cells])
    return TableData(header=["Metric", *[fy_label(y) for y in years]], rows=rows)


def is_bank(report: ReportInput) -> bool:
    p = report.research.profile
    return is_financial_company(p.sector, p.sic)


@dataclass
class CashFlowFacts:
    """The cash flow and capital figures: per metric, one fact per fiscal year, then the TTM column's."""

    years: list[int]
    ttm_end: dt.date | None
    rows: list[tuple[str, list[FinancialFact | None]]]


def cash_flow_facts(report: ReportInput) -> CashFlowFacts | None:
    """Cash flow and capital: fiscal years, then the trailing twelve months (TTM) column.

    Capital rows are balances at each year end (TTM column: the latest quarter's balance sheet).
    None when no row has a figure.
    """
    fin = report.financials
    years = report_years(report)
    ttm_end = fin.ttm[0].period_end if fin.ttm else None
    keys = list(CASH_FLOW_METRICS) + list(CAPITAL_METRICS)
    keys += [k for k in BANK_METRICS if any(f.metric == k for f in fin.annual)]
    rows: list[tuple[str, list[FinancialFact | None]]] = []
    for key in keys:
        facts: list[FinancialFact | None] = [fin.value(key, y) for y in years]
        if key in CAPITAL_METRICS:
            latest = fin.latest_reported(key)
            facts.append(latest if latest is not None and ttm_end is not None and latest.period_end == ttm_end
                         else None)
        else:
            facts.append(fin.ttm_value(key))
        rows.append((key, facts))
    if not any(f is not None for _, facts in rows for f in facts[:-1]):
        return None
    return CashFlowFacts(years, ttm_end, rows)


def ttm_label(ttm_end: dt.date | None) -> str:
    return f"TTM {fmt_date(ttm_end)}" if ttm_end else "TTM"


def cash_flow_table(report: ReportInput) -> TableData | None:
    """The cash flow and capital figures as text (see :func:`cash_flow_facts`)."""
    cf = cash_flow_facts(report)
    if cf is None:
        return None
    rows = [[METRICS[key][0], *[fmt_value(f.value, METRICS[key][1]) if f else NA for f in facts]]
            for key, facts in cf.rows]
    return TableData(header=["Cash flow and capital", *[fy_label(y) for y in cf.years], ttm_label(cf.ttm_end)],
                     rows=rows)


def multiples_rows(report: ReportInput) -> list[Multiple]:
    return multiples(report.financials, is_bank(report))


def multiples_table(report: ReportInput) -> TableData:
    """Valuation multiples: value, and what it was computed from or why it is n/a."""
    rows = [[m.label, m.display, m.basis if m.value is not None else f"n/a: {m.reason}"]
            for m in multiples_rows(report)]
    return TableData(header=["Multiple", "Value", "Computed from"], rows=rows, numeric_from=1)


def latest_quarter_table(report: ReportInput) -> TableData | None:
    """The latest reported quarter against the same quarter a year earlier, and the TTM figure."""
    fin = report.financials
    figures = latest_quarter(fin)
    if not figures:
        return None
    cur = figures[0].current
    prior = next((q.year_ago for q in figures if q.year_ago), None)
    rows = []
    for q in figures:
        label, unit = METRICS[q.metric]
        ttm = fin.ttm_value(q.metric)
        rows.append([label, fmt_value(q.current.value, unit),
                     fmt_value(q.year_ago.value, unit) if q.year_ago else NA,
                     fmt_pct(q.growth, signed=True), fmt_value(ttm.value, unit) if ttm else NA])
    ttm_end = fin.ttm[0].period_end if fin.ttm else None
    return TableData(header=[f"{cur.period_label} (to {fmt_date(cur.period_end)})",
                             "Quarter", prior.period_label if prior else "Year earlier", "YoY",
                             f"TTM to {fmt_date(ttm_end)}" if ttm_end else "TTM"], rows=rows)


def share_basis_note(report: ReportInput) -> str:
    """How per-share figures and share counts were put on one basis (the splits and their dates)."""
    splits = report.financials.splits
    if not splits:
        return "no stock split found in the filings, so per-share figures and share counts are as filed."
    listed = ", ".join(f"{s.label} (between filings of {fmt_date(s.last_old_filing)} and "
                       f"{fmt_date(s.first_new_filing)})" for s in splits)
    return f"per-share figures and share counts are restated to the latest share basis across the {listed}."


def market_cap_note(report: ReportInput) -> str:
    p = report.financials.prices
    if p is None or p.market_cap is None:
        return ""
    shares = fmt_num(p.market_cap_shares / 1e9, 3) + "B shares" if p.market_cap_shares else "shares"
    return (f"close {fmt_date(p.last_date)} x {shares} as of {fmt_date(p.market_cap_shares_date)}")


def ratio_table(report: ReportInput) -> TableData:
    years = report_years(report)
    rows = [
        ["Revenue growth", *[fmt_pct(growth(report, "revenue", y), signed=True) for y in years]],
        ["Gross margin", *[fmt_pct(margin(report, "gross_profit", y)) for y in years]],
        ["Operating margin", *[fmt_pct(margin(report, "operating_income", y)) for y in years]],
        ["Net margin", *[fmt_pct(margin(report, "net_income", y)) for y in years]],
        ["Net income growth", *[fmt_pct(growth(report, "net_income", y), signed=True) for y in years]],
    ]
    return TableData(header=["Ratio", *[fy_label(y) for y in years]], rows=rows)


def financial_headline(report: ReportInput) -> str:
    fin = report.financials
    if not fin.has_statements:
        return missing_financials_message(report) + "."
    years = report_years(report)
    rev = fin.latest("revenue")
    parts = []
    if rev is not None:
        first = fin.value("revenue", years[0]) if years else None
        if first is not None and first.fiscal_year != rev.fiscal_year and first.value > 0 and rev.value > 0:
            n = rev.fiscal_year - first.fiscal_year
            cagr = (rev.value / first.value) ** (1 / n) - 1
            parts.append(
                f"Revenue reached {fmt_usd(rev.value)} in {fy_label(rev.fiscal_year)}, "
                f"a {fmt_pct(cagr)} compound annual rate since {fy_label(first.fiscal_year)}"
            )
        else:
            parts.append(f"Revenue was {fmt_usd(rev.value)} in {fy_label(rev.fiscal_year)}")
        nm = margin(report, "net_income", rev.fiscal_year)
        if nm is not None:
            parts.append(f"net margin {fmt_pct(nm)}")
    return "; ".join(parts) + "." if parts else "Reported financial facts are summarised below."


@dataclass
class Kpi:
    label: str
    value: str
    note: str = ""


def kpis(report: ReportInput) -> list[Kpi]:
    fin = report.financials
    out: list[Kpi] = []
    rev = fin.latest("revenue")
    lq = latest_quarter(fin)
    if lq and lq[0].metric == "revenue" and (rev is None or lq[0].current.period_end > rev.period_end):
        q = lq[0]
        out.append(Kpi("Latest quarter revenue", fmt_usd(q.current.value),
                       f"{q.current.period_label} · {fmt_pct(q.growth, signed=True)} YoY"))
        ttm = fin.ttm_value("revenue")
        if ttm is not None:
            out.append(Kpi("TTM revenue", fmt_usd(ttm.value), ttm.period_label))
    if rev is not None:
        y = rev.fiscal_year
        g = growth(report, "revenue", y)
        out.append(Kpi("Revenue", fmt_usd(rev.value), f"{fy_label(y)} · {fmt_pct(g, signed=True)} YoY"))
        ni = fin.value("net_income", y)
        out.append(Kpi("Net income", fmt_usd(ni.value) if ni else NA, fy_label(y)))
        out.append(Kpi("Gross margin", fmt_pct(margin(report, "gross_profit", y)), fy_label(y)))
        out.append(Kpi("Operating margin", fmt_pct(margin(report, "operating_income", y)), fy_label(y)))
        out.append(Kpi("Net margin", fmt_pct(margin(report, "net_income", y)), fy_label(y)))
    elif fin.has_statements:
        out.append(Kpi("Revenue", NA, "not reported"))
    eps = fin.latest("eps_diluted")
    if eps is not None:
        out.append(Kpi("Diluted EPS", fmt_price(eps.value), fy_label(eps.fiscal_year)))
    p = fin.prices
    if p is not None:
        out.append(Kpi("Last close", fmt_price(p.last_close), fmt_date(p.last_date)))
        out.append(Kpi("1-year return", fmt_pct(p.return_1y, signed=True), "total price change"))
        out.append(Kpi("Volatility", fmt_pct(p.volatility_annual), "annualised"))
        out.append(Kpi("Max drawdown", fmt_pct(p.max_drawdown), _drawdown_note(p)))
        if p.market_cap:
            out.append(Kpi("Market cap", fmt_usd(p.market_cap), market_cap_note(report)))
        pe = next((m for m in multiples_rows(report) if m.key == "pe_trailing"), None)
        if pe is not None and fin.has_statements:
            out.append(Kpi("Trailing P/E", pe.display, pe.basis.split("(")[-1].rstrip(")") if pe.value
                           else (pe.reason or "")))
    out.append(Kpi("Confidence", fmt_conf(report.synthesis.confidence), "overall, 0-1"))
    return out


def _drawdown_note(p) -> str:
    if p.max_drawdown_peak and p.max_drawdown_trough:
        return f"{fmt_date(p.max_drawdown_peak)} to {fmt_date(p.max_drawdown_trough)}"
    return "peak to trough"


def drawdown_series(report: ReportInput) -> list[tuple[dt.date, float]]:
    p = report.financials.prices
    if p is None:
        return []
    out, peak = [], None
    for pt in sorted(p.series, key=lambda x: x.date):
        peak = pt.close if peak is None else max(peak, pt.close)
        out.append((pt.date, pt.close / peak - 1 if peak else 0.0))
    return out


def price_table(report: ReportInput) -> TableData | None:
    p = report.financials.prices
    if p is None:
        return None
    rows = [
        ["Last close", f"{fmt_price(p.last_close)} ({fmt_date(p.last_date)})"],
        ["52-week range", f"{fmt_price(p.low_52w)} - {fmt_price(p.high_52w)}"],
        ["1-year / 3-year return", f"{fmt_pct(p.return_1y, True)} / {fmt_pct(p.return_3y, True)}"],
        ["Annualised volatility", fmt_pct(p.volatility_annual)],
        ["Maximum drawdown", f"{fmt_pct(p.max_drawdown)} ({_drawdown_note(p)})"],
        ["Market capitalisation", f"{fmt_usd(p.market_cap)} ({market_cap_note(report)})" if p.market_cap else NA],
        ["Observations", f"{p.observations:,} daily closes, {fmt_date(p.first_date)} to {fmt_date(p.last_date)}"],
    ]
    return TableData(header=["Price statistic", "Value"], rows=rows)
