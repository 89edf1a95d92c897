"""What the report says, computed once from a ReportInput and shared by every renderer.

Everything here is plain data (strings and numbers, not yet escaped); the PDF and markdown
renderers only decide how it looks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from consultantos_assets.analysis.coverage import source_dates
from consultantos_assets.analysis.valuation import Multiple, is_financial_company, latest_quarter, multiples
from consultantos_assets.models import (
    FORCE_LABELS,
    METRICS,
    PESTEL_FACTORS,
    FinancialFact,
    FrameworkPoint,
    PeerFigures,
    Provenance,
    ReportInput,
)
from consultantos_assets.models.financials import BANK_METRICS, CAPITAL_METRICS, CASH_FLOW_METRICS, STATEMENT_METRICS

from ..analysis.peer_comparison import MIN_PEERS, PEER_METRICS, basis_text, peer_figures, with_figure
from .formatting import (
    NA,
    fmt_conf,
    fmt_date,
    fmt_num,
    fmt_pct,
    fmt_price,
    fmt_usd,
    fmt_value,
)

# section key -> title; the order is the order of the report
SECTIONS: dict[str, str] = {
    "summary": "Executive summary",
    "dashboard": "Key metrics dashboard",
    "financials": "Financial performance",
    "trends": "Market trends",
    "porter": "Porter's five forces",
    "swot": "SWOT analysis",
    "pestel": "PESTEL analysis",
    "blue_ocean": "Blue Ocean strategy",
    "risks": "Risks and data gaps",
    "changes": "What changed",
    "sources": "Sources",
    "methodology": "Methodology and provenance",
}

SWOT_QUADRANTS = (
    ("strengths", "Strengths"),
    ("weaknesses", "Weaknesses"),
    ("opportunities", "Opportunities"),
    ("threats", "Threats"),
)
ERRC = (
    ("eliminate", "Eliminate"),
    ("reduce", "Reduce"),
    ("raise_", "Raise"),
    ("create", "Create"),
)
SYNTHESIS_LISTS = (
    ("key_findings", "Key findings"),
    ("recommendations", "Recommendations"),
    ("risks", "Risks"),
)


def section_keys(report: ReportInput) -> list[str]:
    keys = list(SECTIONS)
    if report.previous is None:
        keys.remove("changes")
    return keys


def company_name(report: ReportInput) -> str:
    name = (report.research.profile.name or "").strip()
    return name or (report.financials.entity_name or "").strip() or report.ticker


def missing_financials_message(report: ReportInput) -> str:
    return f"Financial statements are missing for {report.ticker}: no SEC company facts were found"


def fy_label(year: int) -> str:
    return f"FY{year}"


# ----------------------------------------------------------------------------------------- sources


@dataclass
class SourceStatus:
    name: str
    provider: str
    mode: str
    as_of: str
    retrieved: str
    location: str
    notes: str


def source_statuses(report: ReportInput) -> list[SourceStatus]:
    """Each source with its data date (the cover lists them; the report's as-of is the newest)."""
    dates = source_dates(report.research, report.trends, report.financials)
    items: list[tuple[str, Provenance | None]] = [
        ("Company research", report.research.provenance),
        ("Market trends", report.trends.provenance),
        ("Financial statements", report.financials.provenance),
        ("Share prices", report.financials.price_provenance),
    ]
    out = []
    for name, prov in items:
        if prov is None:
            continue
        out.append(
            SourceStatus(
                name=name,
                provider=prov.provider,
                mode=prov.mode,
                as_of=fmt_date(dates.get(name) or prov.as_of),
                retrieved=fmt_date(prov.retrieved_at),
                location=prov.location or "",
                notes="; ".join(prov.notes),
            )
        )
    return out


def mode_summary(report: ReportInput) -> str:
    statuses = source_statuses(report)
    modes = {s.mode for s in statuses}
    if modes == {"offline"}:
        return "Offline (snapshot data)"
    if modes == {"live"}:
        return "Live (provider APIs)"
    live = ", ".join(s.name.lower() for s in statuses if s.mode == "live")
    return f"Mixed: live for {live}; snapshot for the rest"


# ------------------------------------------------------------------------------------- financials


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


# ------------------------------------------------------------------------------------- comparables
# The company beside its named peers (the peer_figures asset), each figure computed the same way for
# all of them (analysis/peer_comparison.py: peer_figures); a median only where MIN_PEERS peers have the figure.


@dataclass
class Comparable:
    label: str  # the company, a peer, "Peer median" or "Rank"
    values: dict[str, float | None]
    note: str = ""
    ticker: str = ""


# key -> (label, unit): the comparables table's columns, in order
COMPARABLE_METRICS: dict[str, tuple[str, str]] = {
    k: (PEER_METRICS[k][0][:1].upper() + PEER_METRICS[k][0][1:], PEER_METRICS[k][1])
    for k in ("revenue", "revenue_growth", "gross_margin", "operating_margin", "fcf_margin", "pe", "ev_ebitda")
}
# column headings where the table is narrow (PDF, slides)
COMPARABLE_HEADINGS = {"revenue": "Revenue", "revenue_growth": "Growth", "gross_margin": "Gross margin",
                       "operating_margin": "Op. margin", "fcf_margin": "FCF margin", "pe": "P/E",
                       "ev_ebitda": "EV/EBITDA"}
# a lower multiple is the cheaper; for every other column the higher ranks first
_LOWER_FIRST = {"pe", "ev_ebitda"}


def own_figures(report: ReportInput) -> PeerFigures | None:
    p = report.research.profile
    return peer_figures(report.ticker, company_name(report), p.sector or "", report.financials, p.sic)


def comparables(report: ReportInput) -> list[Comparable]:
    """The company, each named peer (those without figures with the reason), and the peer median of
    each column that at least MIN_PEERS peers report; empty when the company has no named peers."""
    cmp = report.peers
    if cmp is None or not cmp.named:
        return []
    own = own_figures(report)
    rows = [Comparable(f"{company_name(report)} ({report.ticker})",
                       {k: getattr(own, k) if own else None for k in COMPARABLE_METRICS},
                       fy_label(own.fiscal_year) if own else "no revenue reported", report.ticker)]
    for f in cmp.figures:
        rows.append(Comparable(f"{f.name} ({f.ticker})", {k: getattr(f, k) for k in COMPARABLE_METRICS},
                               fy_label(f.fiscal_year), f.ticker))
    for g in cmp.missing:
        rows.append(Comparable(f"{g.name} ({g.ticker})", dict.fromkeys(COMPARABLE_METRICS), f"no figures: {g.reason}",
                               g.ticker))
    by_id = report.evidence_by_id()
    medians = {k: e.value for k in COMPARABLE_METRICS if (e := by_id.get(f"peer:{k}:median"))}
    rows.append(Comparable("Peer median", {k: medians.get(k) for k in COMPARABLE_METRICS},
                           comparables_basis(report)))
    return rows


def comparables_basis(report: ReportInput) -> str:
    """What the medians rest on: 'median of 5 peers: DELL, HPQ, ...', or why there is none."""
    cmp = report.peers
    if cmp is None or not cmp.named:
        return "no median: no named peers"
    rows = max((with_figure(cmp, k) for k in COMPARABLE_METRICS), key=len, default=[])
    if len(rows) < MIN_PEERS:
        return (f"no median: {len(rows)} of {len(cmp.named)} named peers have figures, and a comparison needs "
                f"at least {MIN_PEERS}")
    return "median of " + basis_text(rows)


def has_peer_median(report: ReportInput) -> bool:
    return comparables_basis(report).startswith("median of")


def comparable_ranks(report: ReportInput) -> dict[str, str]:
    """The company's rank in each column among itself and the peers with the figure ('2 of 6'), only
    where at least MIN_PEERS peers have it; higher ranks first, except multiples (cheapest first)."""
    cmp = report.peers
    own = own_figures(report)
    out: dict[str, str] = {}
    if cmp is None or own is None:
        return out
    for k in COMPARABLE_METRICS:
        mine, rows = getattr(own, k), with_figure(cmp, k)
        if mine is None or len(rows) < MIN_PEERS:
            continue
        values = [v for _, v in rows]
        better = sum(1 for v in values if (v < mine if k in _LOWER_FIRST else v > mine))
        out[k] = f"{better + 1} of {len(values) + 1}"
    return out


def comparables_table(report: ReportInput) -> TableData | None:
    """The comparables table as the PDF and Markdown show it: a row per company, the median, the rank."""
    rows = comparables(report)
    if not rows:
        return None
    keys = list(COMPARABLE_METRICS)
    body = [[c.label, *[fmt_comparable(c.values.get(k), k) for k in keys]] for c in rows]
    ranks = comparable_ranks(report)
    body.append([f"{report.ticker} rank", *[ranks.get(k, NA) for k in keys]])
    return TableData(header=["Company", *[COMPARABLE_HEADINGS[k] for k in keys]], rows=body)


def peer_accession_rows(report: ReportInput) -> list[list[str]]:
    """Each named peer with the fiscal year and SEC accessions its figures rest on (sources appendix)."""
    cmp = report.peers
    if cmp is None:
        return []
    out = [[f"{f.ticker} ({f.name})", fy_label(f.fiscal_year) + (f", {f.ttm_label}" if f.ttm_label else ""),
            ", ".join(f.accessions) or f.accession] for f in cmp.figures]
    out += [[f"{g.ticker} ({g.name})", NA, f"no figures: {g.reason}"] for g in cmp.missing]
    return out


def peer_gaps(report: ReportInput) -> list[str]:
    """What the peer set cannot support, as the evidence asset stated it."""
    from ..analysis.peer_comparison import comparison_gaps

    return comparison_gaps(report.peers) if report.peers is not None else []


def canvas_basis(factor) -> str:
    """What a strategy-canvas factor's reference line is: a peer median or a prior."""
    if any(e.startswith("peer:") for e in factor.evidence):
        return "median of named peers"
    return "industry prior"


def fmt_comparable(value: float | None, key: str) -> str:
    unit = COMPARABLE_METRICS[key][1]
    if unit == "x":
        return NA if value is None else f"{value:,.1f}x"
    return fmt_pct(value, signed=key.endswith("growth")) if unit == "ratio" else fmt_value(value, unit)


# ----------------------------------------------------------------------------------------- trends


def trend_table(report: ReportInput) -> TableData:
    rows = []
    for s in report.trends.series:
        rows.append(
            [
                s.keyword,
                fmt_num(s.latest, 0),
                fmt_num(s.mean_12w, 1),
                fmt_num(s.mean_52w, 1),
                fmt_pct(s.momentum, signed=True),
                fmt_pct(s.change_yoy, signed=True),
                f"{fmt_num(s.peak_value, 0)} ({fmt_date(s.peak_date)})" if s.peak_date else NA,
            ]
        )
    return TableData(
        header=["Keyword", "Latest", "12-wk mean", "52-wk mean", "Momentum", "YoY", "Peak"], rows=rows
    )


def trends_headline(report: ReportInput) -> str:
    series = [s for s in report.trends.series if s.momentum is not None]
    if not series:
        if report.trends.series:
            return "Search interest is shown below; there is not enough history to compute momentum."
        return "No search-interest data was available for this company's keywords."
    best = max(series, key=lambda s: s.momentum or 0)
    worst = min(series, key=lambda s: s.momentum or 0)
    text = f"Strongest momentum: '{best.keyword}' ({fmt_pct(best.momentum, True)} 12-week vs 52-week mean)"
    if worst.keyword != best.keyword:
        text += f"; weakest: '{worst.keyword}' ({fmt_pct(worst.momentum, True)})"
    return text + "."


# ---------------------------------------------------------------------------------------- points


@dataclass
class PointGroup:
    framework: str
    group: str
    points: list[FrameworkPoint]


def point_groups(report: ReportInput) -> list[PointGroup]:
    """Every framework point of the report, grouped as it is rendered."""
    out = []
    syn = report.synthesis
    for attr, label in SYNTHESIS_LISTS:
        out.append(PointGroup("Synthesis", label, list(getattr(syn, attr))))
    for force in report.porter.forces:
        out.append(PointGroup("Porter", FORCE_LABELS.get(force.name, force.name), list(force.points)))
    for attr, label in SWOT_QUADRANTS:
        out.append(PointGroup("SWOT", label, list(getattr(report.swot, attr))))
    for factor in PESTEL_FACTORS:
        out.append(PointGroup("PESTEL", factor.capitalize(), list(getattr(report.pestel, factor))))
    for attr, label in ERRC:
        out.append(PointGroup("Blue Ocean", label, list(getattr(report.blue_ocean, attr))))
    return out


def cited_ids(report: ReportInput) -> list[str]:
    """Evidence ids cited anywhere in the report, in order of first citation."""
    seen: dict[str, None] = {}
    for g in point_groups(report):
        for p in g.points:
            for e in p.evidence:
                seen.setdefault(e, None)
    for c in report.blue_ocean.canvas:
        for e in c.evidence:
            seen.setdefault(e, None)
    return list(seen)


@dataclass
class SourceRow:
    id: str
    source: str
    reference: str
    date: str
    text: str
    found: bool


def source_rows(report: ReportInput) -> list[SourceRow]:
    by_id = report.evidence_by_id()
    rows = []
    for eid in sorted(cited_ids(report)):
        ev = by_id.get(eid)
        if ev is None:
            rows.append(SourceRow(eid, "not in the evidence set", "", "", "cited but not found", False))
        else:
            rows.append(SourceRow(eid, ev.source, ev.reference or "", fmt_date(ev.date), ev.text, True))
    return rows


# ---------------------------------------------------------------------------------- risks & gaps


def data_gaps(report: ReportInput) -> list[tuple[str, str]]:
    """(origin, gap) for every known gap, in a stable order; a gap several parts record is listed once, with
    every part that records it ("Porter's five forces, SWOT")."""
    out: list[tuple[str, str]] = []
    fin = report.financials
    if not fin.has_statements:
        out.append(("Financials", missing_financials_message(report)))
    out += [("Financials", g) for g in fin.gaps]
    if fin.prices is None:
        out.append(("Prices", f"No share-price history for {report.ticker}"))
    if report.trends.provenance.provider == "none":  # the service failed: say why, not only what is missing
        out += [("Market trends", n) for n in report.trends.provenance.notes]
    out += [("Market trends", f"No search-interest data for keyword '{k}'") for k in report.trends.missing]
    out += [("Research", w) for w in report.research.warnings]
    for label, meta in (
        ("Porter's five forces", report.porter),
        ("SWOT", report.swot),
        ("PESTEL", report.pestel),
        ("Blue Ocean", report.blue_ocean),
        ("Synthesis", report.synthesis),
    ):
        out += [(label, g) for g in meta.data_gaps]
    missing_ev = [r.id for r in source_rows(report) if not r.found]
    if missing_ev:
        out.append(("Evidence", "Cited ids without evidence: " + ", ".join(missing_ev)))
    origins: dict[str, list[str]] = {}
    for origin, gap in out:
        where = origins.setdefault(gap, [])
        if origin not in where:
            where.append(origin)
    return [(", ".join(where), gap) for gap, where in origins.items()]


# ---------------------------------------------------------------------------------- what changed


@dataclass
class Changes:
    previous_as_of: dt.date
    values: list[list[str]] = field(default_factory=list)  # item, previous, current, change
    ratings: list[list[str]] = field(default_factory=list)  # item, previous, current, change
    added: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    removed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.values or self.ratings or self.added or self.removed)


def _delta(prev: float | None, cur: float | None, kind: str) -> str:
    if prev is None or cur is None:
        return "new" if prev is None and cur is not None else ("dropped" if cur is None else NA)
    if kind == "rel" and prev:
        return fmt_pct(cur / prev - 1, signed=True)
    return f"{cur - prev:+.2f}"


def changes(report: ReportInput) -> Changes | None:
    prev = report.previous
    if prev is None:
        return None
    ch = Changes(previous_as_of=prev.as_of)
    # metric values: every (metric, fiscal year) in either report
    cur_f = {(f.metric, f.fiscal_year): f for f in report.financials.annual}
    old_f = {(f.metric, f.fiscal_year): f for f in prev.financials.annual}
    for key in sorted(set(cur_f) | set(old_f), key=lambda k: (list(METRICS).index(k[0])
                                                               if k[0] in METRICS else 99, k[1])):
        a, b = old_f.get(key), cur_f.get(key)
        if a is not None and b is not None and a.value == b.value:
            continue
        metric, year = key
        unit = (b or a).unit
        label = f"{METRICS.get(metric, (metric, unit))[0]} {fy_label(year)}"
        ch.values.append(
            [
                label,
                fmt_value(a.value, unit) if a else "-",
                fmt_value(b.value, unit) if b else "-",
                _delta(a.value if a else None, b.value if b else None, "rel"),
            ]
        )
    p0, p1 = prev.financials.prices, report.financials.prices
    for label, get, fmt in (
        ("Last close", lambda p: p.last_close, fmt_price),
        ("Market cap", lambda p: p.market_cap, fmt_usd),
        ("1-year return", lambda p: p.return_1y, lambda v: fmt_pct(v, True)),
    ):
        a = get(p0) if p0 else None
        b = get(p1) if p1 else None
        if a != b:
            kind = "abs" if label == "1-year return" else "rel"
            delta = _delta(a, b, kind)
            if kind == "abs" and a is not None and b is not None:
                delta = f"{(b - a) * 100:+.1f} pts"
            ch.values.append([label, fmt(a) if a is not None else "-", fmt(b) if b is not None else "-", delta])
    # ratings and confidences
    old_forces = {f.name: f.rating for f in prev.porter.forces}
    for f in report.porter.forces:
        a = old_forces.get(f.name)
        if a != f.rating:
            ch.ratings.append([f"Porter: {FORCE_LABELS.get(f.name, f.name)}", fmt_num(a) if a else "-",
                               fmt_num(f.rating), _delta(a, f.rating, "abs")])
    rating_pairs = [
        ("Porter: overall intensity", prev.porter.overall_intensity, report.porter.overall_intensity),
        ("Overall confidence", prev.synthesis.confidence, report.synthesis.confidence),
        ("Porter confidence", prev.porter.confidence, report.porter.confidence),
        ("SWOT confidence", prev.swot.confidence, report.swot.confidence),
        ("PESTEL confidence", prev.pestel.confidence, report.pestel.confidence),
        ("Blue Ocean confidence", prev.blue_ocean.confidence, report.blue_ocean.confidence),
    ]
    old_canvas = {c.factor: c.company for c in prev.blue_ocean.canvas}
    for c in report.blue_ocean.canvas:
        if c.factor in old_canvas:
            rating_pairs.append((f"Canvas: {c.factor}", old_canvas[c.factor], c.company))
    old_mom = {s.keyword: s.momentum for s in prev.trends.series}
    for s in report.trends.series:
        if s.keyword in old_mom and old_mom[s.keyword] is not None and s.momentum is not None:
            a, b = old_mom[s.keyword], s.momentum
            if round(a, 4) != round(b, 4):
                ch.ratings.append([f"Trend momentum: {s.keyword}", fmt_pct(a, True), fmt_pct(b, True),
                                   f"{(b - a) * 100:+.1f} pts"])
    for label, a, b in rating_pairs:
        if a != b:
            ch.ratings.append([label, fmt_num(a, 2), fmt_num(b, 2), _delta(a, b, "abs")])
    # points added / removed per group
    old_groups = {(g.framework, g.group): {p.text for p in g.points} for g in point_groups(prev)}
    for g in point_groups(report):
        where = f"{g.framework}: {g.group}"
        old = old_groups.get((g.framework, g.group), set())
        cur = [p.text for p in g.points]
        ch.added += [(where, t) for t in cur if t not in old]
        ch.removed += [(where, t) for t in sorted(old - set(cur))]
    old_docs = {d.id: d.title for d in prev.research.documents}
    cur_docs = {d.id: d.title for d in report.research.documents}
    ch.added += [("Research documents", cur_docs[i]) for i in cur_docs if i not in old_docs]
    ch.removed += [("Research documents", old_docs[i]) for i in sorted(set(old_docs) - set(cur_docs))]
    return ch


# ---------------------------------------------------------------------------------- methodology


def analyst_rows(report: ReportInput) -> list[list[str]]:
    return [
        ["Porter's five forces", report.porter.analyst, fmt_conf(report.porter.confidence)],
        ["SWOT", report.swot.analyst, fmt_conf(report.swot.confidence)],
        ["PESTEL", report.pestel.analyst, fmt_conf(report.pestel.confidence)],
        ["Blue Ocean", report.blue_ocean.analyst, fmt_conf(report.blue_ocean.confidence)],
        ["Synthesis", report.synthesis.analyst, fmt_conf(report.synthesis.confidence)],
    ]


def version_rows(report: ReportInput) -> list[list[str]]:
    return [[v.asset, v.data_version or NA, v.provider or NA] for v in report.versions]


METHODOLOGY_TEXT = (
    "Evidence is gathered from three families of sources: research documents about the company, "
    "search-interest series for its keywords, and financial facts from SEC XBRL company facts together "
    "with share-price history. Every fact becomes a citable evidence item with a stable id. Four "
    "strategy frameworks (Porter's five forces, SWOT, PESTEL and Blue Ocean) are produced "
    "independently from that evidence; each point cites the evidence ids it rests on and carries a "
    "confidence between 0 and 1. The executive synthesis combines the frameworks."
)

CONFIDENCE_TEXT = (
    "What a confidence means. A point's confidence comes from what it cites: a reported SEC figure counts "
    "most, then market data, then a figure computed from reported ones, then documents and search interest, "
    "and an industry prior (a rule of thumb about the sector, cited as prior:*) least; each is lowered as its "
    "data ages against the report's date, and a point rises a little when further independent evidence "
    "agrees with it. A framework's confidence is the average of its points, lowered where whole families "
    "of evidence are missing or dated, and the overall confidence is the average over every framework point, "
    "so neither can exceed its parts. Read 0.8 or more as a point resting on current reported or computed "
    "figures, corroborated; 0.4 or less as a point resting on a prior, a search-interest series, or figures "
    "so old that they describe the company as it was, which is a question to check rather than a finding."
)


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
