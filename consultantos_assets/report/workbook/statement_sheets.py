"""The workbook's statement sheets: cover, annual and quarterly statements, and cash flow with the
valuation inputs and the multiples as formulas over them."""

from __future__ import annotations

import datetime as dt

from xlsxwriter.utility import xl_rowcol_to_cell

from consultantos_assets.models import FLOW_METRICS_SET, METRICS, FinancialFact

from ...analysis.valuation import basis_at_close, enterprise_value
from .. import content
from ..formatting import NA, fmt_conf
from .book import UNIT_FORMAT, UNIT_LABEL, UNITS_NOTE, Book, Cell, excel_date, growth_formula, ratio_formula, safe_div

# what each sheet after the cover holds, listed on the cover
SHEET_NOTES = (
    ("Annual", "fiscal-year figures from 10-K filings and the trailing twelve months, margins and growth as "
               "formulas, source accessions"),
    ("Quarterly", "three-month figures from 10-Q filings, margins and year-on-year growth as formulas"),
    ("Cash flow & multiples", "cash flow and capital by fiscal year and TTM; the valuation inputs and the "
                              "multiples as formulas over them"),
    ("Peers", "the company beside its peers and the peer medians"),
    ("Trends", "search interest per keyword: summary and weekly series"),
    ("Prices", "price statistics and weekly closes"),
    ("Frameworks", "every framework point with its evidence ids and confidence; ratings"),
    ("Sources", "evidence id to fact, accession or URL and date"),
    ("What changed", "figures, ratings and points changed since the previous report (when there is one)"),
)

def cover_sheet(b: Book) -> None:
    r = b.report
    ws = b.sheet("Report", [28, 22, 14, 22, 60])
    row = b.title(ws, "strategy report workbook", UNITS_NOTE)
    for label, value in (("Report date", r.as_of.isoformat()), ("Mode", content.mode_summary(r)),
                         ("Overall confidence", fmt_conf(r.synthesis.confidence)),
                         ("Analyst", r.synthesis.analyst)):
        b.s(ws, row, 0, label, "label")
        b.s(ws, row, 1, value)
        row += 1
    row += 1
    b.header(ws, row, ["Source", "Provider", "Mode", "Data as of", "Location"])
    for status in content.source_statuses(r):
        row += 1
        for col, v in enumerate((status.name, status.provider, status.mode, status.as_of, status.location)):
            b.s(ws, row, col, v)
    row += 2
    b.s(ws, row, 0, "Sheets", "section")
    for name, what in SHEET_NOTES:
        row += 1
        b.s(ws, row, 0, name, "label")
        b.s(ws, row, 1, what)


def _statement_sheet(b: Book, name: str, facts: list[FinancialFact], title: str, quarterly: bool) -> None:
    r = b.report
    periods = _periods(facts)
    ws = b.sheet(name, [30, 14] + [21] * len(periods) + [44])
    row = b.title(ws, title, UNITS_NOTE)
    if not periods:
        b.s(ws, row, 0, content.missing_financials_message(r) + "." if not quarterly
            else "Quarterly figures: not available for this company.", "label")
        return
    labels = [content.fy_label(y) if fp == "FY" else content.ttm_label(end) if fp == "TTM" else
              f"{content.fy_label(y)} {fp}" for y, fp, end in periods]
    b.header(ws, row, ["Metric", "Unit", *labels, "XBRL concept (latest period)"])
    ws.freeze_panes(row + 1, 2)
    row += 1
    b.s(ws, row, 0, "Period end", "label")
    for j, (_, _, end) in enumerate(periods):
        ws.write_datetime(row, 2 + j, excel_date(end), b.f["date"])
    by_key = {(f.metric, f.fiscal_year, f.fiscal_period): f for f in facts}
    cells: dict[str, list[str | None]] = {}
    values: dict[str, list[float | None]] = {}
    for metric, (label, unit) in METRICS.items():
        row_facts = [by_key.get((metric, y, fp)) for y, fp, _ in periods]
        if not any(row_facts):
            continue
        row += 1
        unit = next(f.unit for f in row_facts if f) or unit
        b.s(ws, row, 0, label, "label")
        b.s(ws, row, 1, UNIT_LABEL.get(unit, unit))
        cells[metric], values[metric] = [], []
        for j, f in enumerate(row_facts):
            b.num(ws, row, 2 + j, f.value if f else None, UNIT_FORMAT.get(unit, "number"))
            cells[metric].append(xl_rowcol_to_cell(row, 2 + j) if f else None)
            values[metric].append(f.value if f else None)
            if f:
                b.cells[(metric, f.fiscal_year, f.fiscal_period)] = (Cell(name, row, 2 + j), f.value)
        latest = next(f for f in reversed(row_facts) if f)
        b.s(ws, row, 2 + len(periods), latest.concept)
    row += 2
    b.header(ws, row, ["Ratio", "Unit", *labels])
    ratios = [("Gross margin", "gross_profit"), ("Operating margin", "operating_income"), ("Net margin", "net_income")]
    col_of = {(y, fp): j for j, (y, fp, _) in enumerate(periods)}
    prior = [col_of.get((y - 1, fp)) for y, fp, _ in periods]  # same period one fiscal year earlier
    growth_rows = [("Revenue growth" + (" (year on year)" if quarterly else ""), "revenue"),
                   ("Net income growth" + (" (year on year)" if quarterly else ""), "net_income")]
    for label, metric in [*growth_rows[:1], *ratios, *growth_rows[1:]]:
        row += 1
        b.s(ws, row, 0, label, "label")
        b.s(ws, row, 1, "% of revenue" if metric in dict(ratios).values() and "growth" not in label else "%")
        for j in range(len(periods)):
            if "growth" in label:
                k = prior[j]
                refs, vals = cells.get(metric), values.get(metric)
                if refs is None or k is None or refs[j] is None or refs[k] is None:
                    b.s(ws, row, 2 + j, NA, "missing")
                    continue
                ratio = safe_div(vals[j], vals[k])
                b.formula(ws, row, 2 + j, growth_formula(refs[j], refs[k]), None if ratio is None else ratio - 1, "pct")
            else:
                num, den = cells.get(metric, [None] * len(periods))[j], cells.get("revenue", [None] * len(periods))[j]
                if num is None or den is None:
                    b.s(ws, row, 2 + j, NA, "missing")
                    continue
                b.formula(ws, row, 2 + j, ratio_formula(num, den), safe_div(values[metric][j], values["revenue"][j]), "pct")
    row += 2
    b.header(ws, row, ["Source filing (accession)", "Form", *labels])
    for metric, (label, _unit) in METRICS.items():
        row_facts = [by_key.get((metric, y, fp)) for y, fp, _ in periods]
        if not any(row_facts):
            continue
        row += 1
        b.s(ws, row, 0, label, "label")
        b.s(ws, row, 1, next((f.form for f in reversed(row_facts) if f and f.fiscal_period != "TTM"), ""))
        for j, f in enumerate(row_facts):
            b.s(ws, row, 2 + j, f.accession if f else "", "text")


def _periods(facts: list[FinancialFact]) -> list[tuple[int, str, dt.date]]:
    """(fiscal year, fiscal period, period end) per column, in time order. The end is the income
    statement's (a cover-page share count is dated at its filing's cover, weeks later)."""
    ends: dict[tuple[int, str], list[tuple[bool, dt.date]]] = {}
    for f in facts:
        ends.setdefault((f.fiscal_year, f.fiscal_period), []).append((f.metric in FLOW_METRICS_SET, f.period_end))
    out = [(y, fp, max(ends[(y, fp)])[1]) for y, fp in ends]
    return sorted(out, key=lambda p: (p[2], p[0]))


def annual_sheet(b: Book) -> None:
    fin = b.report.financials
    _statement_sheet(b, "Annual", fin.annual + fin.ttm, "annual financials (SEC 10-K) and the trailing twelve months "
                     "(TTM: fiscal year + year to date - prior year to date)", quarterly=False)


def quarterly_sheet(b: Book) -> None:
    _statement_sheet(b, "Quarterly", b.report.financials.quarterly, "quarterly financials (SEC 10-Q, three months)",
                     quarterly=True)


SHEET_CF = "Cash flow & multiples"


def cash_flow_sheet(b: Book) -> None:
    r = b.report
    name = SHEET_CF
    ws = b.sheet(name, [48, 16, 16, 16, 16, 16, 16, 18, 70])
    row = b.title(ws, "cash flow, capital and multiples", UNITS_NOTE)
    b.s(ws, row, 0, "Cash flow and capital", "section")
    row += 1
    cf = content.cash_flow_facts(r)
    if cf is None:
        b.s(ws, row, 0, "Cash flow and capital figures: not available in the financial statements.", "note")
        row += 1
    else:
        b.s(ws, row, 0, "Flows over each fiscal year and the trailing twelve months; balances (cash, debt) at "
                        "each period end, the TTM column's at the latest quarter end.", "note")
        row += 1
        b.header(ws, row, ["Metric", "Unit", *[content.fy_label(y) for y in cf.years], content.ttm_label(cf.ttm_end)])
        for key, facts in cf.rows:
            row += 1
            label, unit = METRICS[key]
            b.s(ws, row, 0, label, "label")
            b.s(ws, row, 1, UNIT_LABEL.get(unit, unit))
            for j, f in enumerate(facts):
                b.fact(ws, name, row, 2 + j, f, UNIT_FORMAT.get(unit, "number"))
    row += 2
    _valuation(b, ws, name, row)


# multiple key -> (formula over the input cells, the inputs it needs to be positive first); the inputs are
# the ones analysis/valuation.py computes the multiple from, so the cached value is the PDF's
MULTIPLE_FORMULAS: dict[str, tuple[str, str]] = {
    "pe_trailing": ("{close}/{eps}", "eps"),
    "ev_sales": ("{ev}/{revenue}", "revenue"),
    "ev_ebitda": ("{ev}/{ebitda}", "ebitda"),
    "fcf_yield": ("{fcf}/{mcap}", "mcap"),
    "dividend_yield": ("N({dividends})/{mcap}", "mcap"),
    "net_debt_ebitda": ("(N({debt})-{cash})/{ebitda}", "ebitda"),
    "interest_coverage": ("{op}/{interest}", "interest"),
}


def _valuation(b: Book, ws, name: str, row: int) -> int:
    """The inputs valuation.py uses, linked to their cells, and each multiple as a formula over them (the
    PDF's value cached); a multiple valuation.py leaves n/a is written as n/a with its reason."""
    r = b.report
    fin = r.financials
    p = fin.prices
    found = content.multiples_rows(r)
    basis = basis_at_close(fin)
    b.s(ws, row, 0, "Valuation inputs", "section")
    row += 1
    if p is None or basis is None:
        why = found[0].reason if found else "no figures"
        b.s(ws, row, 0, f"Valuation multiples: not available ({why}).", "note")
        return row + 1
    b.s(ws, row, 0, f"At the close of {p.last_date.isoformat()}, with the statements filed by then: "
                    f"{basis.label} (flows) and its balance sheet.", "note")
    row += 1
    b.header(ws, row, ["Item", "Value", "Unit", "Source"])
    cell: dict[str, str] = {}

    def item(key: str, label: str, unit: str) -> None:
        nonlocal row
        row += 1
        b.s(ws, row, 0, label, "label")
        b.s(ws, row, 2, unit, "unit")
        cell[key] = xl_rowcol_to_cell(row, 1)

    item("close", "Last close", "USD per share")
    b.num(ws, row, 1, p.last_close, "price")
    b.s(ws, row, 3, f"close of {p.last_date.isoformat()} (Prices sheet)")
    item("shares", "Shares outstanding for market cap", "shares m")
    b.num(ws, row, 1, p.market_cap_shares, "count")
    b.s(ws, row, 3, f"as of {p.market_cap_shares_date.isoformat() if p.market_cap_shares_date else NA}"
                    + (f" ({p.market_cap_shares_accession})" if p.market_cap_shares_accession else ""))
    item("mcap", "Market capitalisation", "USD m")
    if p.market_cap is None:
        b.s(ws, row, 1, NA, "missing")
        b.s(ws, row, 3, "n/a: price or share count missing")
    else:
        b.formula(ws, row, 1, f"={cell['close']}*{cell['shares']}", p.market_cap, "usd")
        b.s(ws, row, 3, "last close x shares outstanding")
    for key, metric, facts in (("eps", "eps_diluted", basis.flows), ("revenue", "revenue", basis.flows),
                               ("ebitda", "ebitda", basis.flows), ("fcf", "free_cash_flow", basis.flows),
                               ("dividends", "dividends_paid", basis.flows), ("op", "operating_income", basis.flows),
                               ("interest", "interest_expense", basis.flows), ("debt", "total_debt", basis.balances),
                               ("cash", "cash_and_securities", basis.balances)):
        label, unit = METRICS[metric]
        f = facts.get(metric)
        when = basis.label if facts is basis.flows else (f"at {f.period_end.isoformat()}" if f else basis.label)
        item(key, f"{label} ({when})", UNIT_LABEL.get(unit, unit))
        b.fact(ws, name, row, 1, f, UNIT_FORMAT.get(unit, "number"))
        b.s(ws, row, 3, f"{f.form} {f.accession}, {f.concept}" if f else f"not reported for {basis.label}")
    ev, ev_reason = enterprise_value(fin, basis)
    if content.is_bank(r):  # as valuation.py: no EV for a bank or insurer
        ev, ev_reason = None, next((m.reason for m in found if m.key == "ev_sales"), ev_reason)
    item("ev", "Enterprise value (EV)", "USD m")
    if ev is None:
        b.s(ws, row, 1, NA, "missing")
        b.s(ws, row, 3, f"n/a: {ev_reason}")
    else:
        b.formula(ws, row, 1, f"={cell['mcap']}+N({cell['debt']})-{cell['cash']}", ev, "usd")
        b.s(ws, row, 3, "market cap + total debt - cash and marketable securities")
    row += 2
    b.s(ws, row, 0, "Valuation multiples (formulas over the inputs above)", "section")
    row += 1
    b.header(ws, row, ["Multiple", "Value", "", "Computed from"])
    for m in found:
        row += 1
        pct = m.key in ("fcf_yield", "dividend_yield")
        b.s(ws, row, 0, m.label, "label")
        if m.value is None:
            b.s(ws, row, 1, NA, "missing")
            b.s(ws, row, 3, f"n/a: {m.reason}")
            continue
        expr, positive = MULTIPLE_FORMULAS[m.key]
        b.formula(ws, row, 1, f'=IF(N({cell[positive]})>0,{expr.format(**cell)},"n/a")', m.value,
                  "yield" if pct else "multiple")
        b.s(ws, row, 3, m.basis)
    return row + 1
