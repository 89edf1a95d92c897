"""The report's figures as an analyst's workbook (XlsxWriter), from the same content layer as the PDF.

Numbers are numbers: each cell holds the exact reported value, with a number format and the unit in
its row or header. Margins, growth and multiples are formulas over the cells they come from (with
their values cached, so viewers that do not recalculate show them too). Every data string is written
as a string, never as a formula or link; identical inputs give a byte-identical file.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from consultantos_assets.models import FLOW_METRICS_SET, FORCE_LABELS, METRICS, FinancialFact, ReportInput

from ..analysis.valuation import basis_at_close, enterprise_value
from . import content
from .formatting import NA, fmt_conf
from .office import PALETTE, reproducible_zip, stamp, text, write_package

UNIT_LABEL = {"USD": "USD m", "USD/shares": "USD per share", "USD/share": "USD per share", "shares": "shares m"}
UNIT_FORMAT = {"USD": "usd", "USD/shares": "per_share", "USD/share": "per_share", "shares": "count"}
FORMATS = {
    "title": {"bold": True, "font_size": 14, "font_color": "#" + PALETTE["NAVY"]},
    "note": {"italic": True, "font_color": "#" + PALETTE["SLATE"], "text_wrap": False},
    "head": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#" + PALETTE["NAVY"], "text_wrap": True,
             "valign": "top"},
    "section": {"bold": True, "font_color": "#" + PALETTE["TEAL"]},
    "text": {"valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "label": {"bold": True, "valign": "top"},
    "unit": {"indent": 1},
    "usd": {"num_format": '#,##0,,;-#,##0,,'},  # the cell holds USD; shown in millions
    "count": {"num_format": '#,##0.0,,'},  # shares, shown in millions
    "per_share": {"num_format": '0.00'},
    "pct": {"num_format": '0.0%'},
    "yield": {"num_format": '0.00%'},  # the PDF's yields: two decimals
    "multiple": {"num_format": '0.0"x"'},
    "number": {"num_format": '#,##0.0'},
    "int": {"num_format": '#,##0'},
    "rating": {"num_format": '0.0'},
    "conf": {"num_format": '0.00'},
    "price": {"num_format": '#,##0.00'},
    "date": {"num_format": 'yyyy-mm-dd', "align": "left"},
    "missing": {"font_color": "#" + PALETTE["MUTED"], "align": "right"},
}
UNITS_NOTE = ("Amounts show in USD millions and share counts in millions; each cell holds the exact reported "
              "value. Ratios are formulas over the cells they come from.")


@dataclass
class Cell:
    """Where a figure was written: 'Annual'!C5, for formulas on other sheets."""
    sheet: str
    row: int
    col: int

    def ref(self, sheet: str | None = None) -> str:
        a1 = xl_rowcol_to_cell(self.row, self.col)
        return a1 if sheet == self.sheet else f"'{self.sheet}'!{a1}"


class Book:
    def __init__(self, report: ReportInput):
        self.report = report
        self.buf = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buf, {"in_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
        self.f = {k: self.wb.add_format(v) for k, v in FORMATS.items()}
        # (metric, fiscal year, fiscal period) -> where the Annual/Quarterly sheet wrote the fact, and its value
        self.cells: dict[tuple[str, int, str], tuple[Cell, float]] = {}

    def sheet(self, name: str, widths: list[float]):
        ws = self.wb.add_worksheet(name)
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)  # printed: one page wide
        return ws

    def s(self, ws, row: int, col: int, value: object, fmt: str = "text", max_len: int | None = None) -> None:
        ws.write_string(row, col, text(value, max_len), self.f[fmt])

    def num(self, ws, row: int, col: int, value: float | None, fmt: str) -> None:
        if value is None:
            ws.write_string(row, col, NA, self.f["missing"])
        else:
            ws.write_number(row, col, value, self.f[fmt])

    def formula(self, ws, row: int, col: int, formula: str, value: float | None, fmt: str) -> None:
        ws.write_formula(row, col, formula, self.f[fmt], "" if value is None else value)

    def fact(self, ws, sheet: str, row: int, col: int, f: FinancialFact | None, fmt: str) -> None:
        """A reported figure: a link to the cell the statement sheets wrote it in (its value cached), the
        number itself when no sheet holds that exact value, n/a when there is no figure."""
        hit = self.cells.get((f.metric, f.fiscal_year, f.fiscal_period)) if f is not None else None
        if f is not None and hit is not None and hit[1] == f.value:
            self.formula(ws, row, col, "=" + hit[0].ref(sheet), f.value, fmt)
        else:
            self.num(ws, row, col, f.value if f is not None else None, fmt)

    def header(self, ws, row: int, values: list[str], col: int = 0) -> None:
        for i, v in enumerate(values):
            self.s(ws, row, col + i, v, "head")

    def title(self, ws, title: str, note: str = "") -> int:
        name = content.company_name(self.report)
        self.s(ws, 0, 0, f"{name} ({self.report.ticker}) · {title}", "title")
        if note:
            self.s(ws, 1, 0, note, "note")
        return 3

    def bytes(self) -> bytes:
        self.wb.close()
        return self.buf.getvalue()


def _date(value: dt.date | None) -> dt.datetime | None:
    return None if value is None else dt.datetime(value.year, value.month, value.day)


def _ratio(num: str, den: str) -> str:
    return f'=IF(AND(ISNUMBER({num}),ISNUMBER({den}),N({den})<>0),{num}/{den},"")'


def _growth(cur: str, prev: str) -> str:
    return f'=IF(AND(ISNUMBER({cur}),ISNUMBER({prev}),N({prev})<>0),{cur}/{prev}-1,"")'


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or not b else a / b


# ---------------------------------------------------------------------------------------- sheets


def _cover(b: Book) -> None:
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
    for st in content.source_statuses(r):
        row += 1
        for col, v in enumerate((st.name, st.provider, st.mode, st.as_of, st.location)):
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
        ws.write_datetime(row, 2 + j, _date(end), b.f["date"])
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
                ratio = _div(vals[j], vals[k])
                b.formula(ws, row, 2 + j, _growth(refs[j], refs[k]), None if ratio is None else ratio - 1, "pct")
            else:
                num, den = cells.get(metric, [None] * len(periods))[j], cells.get("revenue", [None] * len(periods))[j]
                if num is None or den is None:
                    b.s(ws, row, 2 + j, NA, "missing")
                    continue
                b.formula(ws, row, 2 + j, _ratio(num, den), _div(values[metric][j], values["revenue"][j]), "pct")
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


def _annual(b: Book) -> None:
    fin = b.report.financials
    _statement_sheet(b, "Annual", fin.annual + fin.ttm, "annual financials (SEC 10-K) and the trailing twelve months "
                     "(TTM: fiscal year + year to date - prior year to date)", quarterly=False)


def _quarterly(b: Book) -> None:
    _statement_sheet(b, "Quarterly", b.report.financials.quarterly, "quarterly financials (SEC 10-Q, three months)",
                     quarterly=True)


SHEET_CF = "Cash flow & multiples"


def _cash_flow(b: Book) -> None:
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


def _peers(b: Book) -> None:
    r = b.report
    ws = b.sheet("Peers", [36, 16, 12, 12, 12, 12, 10, 10, 60])
    row = b.title(ws, "comparables", f"Latest fiscal year of each company, from its SEC facts; P/E and EV/EBITDA "
                                     f"at the last close. A comparison needs at least {content.MIN_PEERS} named "
                                     "peers with the figure.")
    rows = content.comparables(r)
    if not rows:
        b.s(ws, row, 0, f"Comparables: not available (no named peers for {r.ticker}).", "note")
        return
    keys = list(content.COMPARABLE_METRICS)
    units = {"USD": ("USD m", "usd"), "ratio": ("%", "pct"), "x": ("x", "multiple")}
    b.header(ws, row, ["Company", *[f"{content.COMPARABLE_METRICS[k][0]} ({units[content.COMPARABLE_METRICS[k][1]][0]})"
                                    for k in keys], "Basis"])
    for c in rows:
        row += 1
        b.s(ws, row, 0, c.label, "label")
        for j, k in enumerate(keys):
            b.num(ws, row, 1 + j, c.values.get(k), units[content.COMPARABLE_METRICS[k][1]][1])
        b.s(ws, row, 1 + len(keys), c.note)
    row += 1
    ranks = content.comparable_ranks(r)
    b.s(ws, row, 0, f"{r.ticker} rank", "label")
    for j, k in enumerate(keys):
        b.s(ws, row, 1 + j, ranks.get(k, "n/a"))
    row += 2
    b.header(ws, row, ["Peer", "Fiscal year", "SEC accessions"])
    for line in content.peer_accession_rows(r):
        row += 1
        b.s(ws, row, 0, line[0], "label")
        b.s(ws, row, 1, line[1])
        b.s(ws, row, 2, line[2])


def _trends(b: Book) -> None:
    r = b.report
    ws = b.sheet("Trends", [30, 12, 12, 12, 12, 12, 12, 14, 24])
    row = b.title(ws, "search interest (Google Trends, weekly, 0-100 within each series)",
                  content.trends_headline(r))
    if not r.trends.series:
        b.s(ws, row, 0, "Search interest: not available for this company's keywords.", "note")
        return
    b.header(ws, row, ["Keyword", "Latest", "12-week mean", "52-week mean", "Momentum", "Year on year",
                       "Peak", "Peak date", "Evidence id"])
    for s in r.trends.series:
        row += 1
        b.s(ws, row, 0, s.keyword, "label")
        for j, (v, fmt) in enumerate(((s.latest, "int"), (s.mean_12w, "number"), (s.mean_52w, "number"),
                                      (s.momentum, "pct"), (s.change_yoy, "pct"), (s.peak_value, "int"))):
            b.num(ws, row, 1 + j, v, fmt)
        if s.peak_date:
            ws.write_datetime(row, 7, _date(s.peak_date), b.f["date"])
        b.s(ws, row, 8, s.evidence_id)
    row += 2
    b.s(ws, row, 0, "Weekly series", "section")
    row += 1
    b.header(ws, row, ["Week", *[s.keyword for s in r.trends.series]])
    dates = sorted({p.date for s in r.trends.series for p in s.points})
    by = [{p.date: p.value for p in s.points} for s in r.trends.series]
    for d in dates:
        row += 1
        ws.write_datetime(row, 0, _date(d), b.f["date"])
        for j, m in enumerate(by):
            if d in m:
                ws.write_number(row, 1 + j, m[d], b.f["int"])


def _prices(b: Book) -> None:
    r = b.report
    p = r.financials.prices
    ws = b.sheet("Prices", [26, 16, 44])
    row = b.title(ws, "share price", "Weekly closes in USD per share.")
    if p is None:
        b.s(ws, row, 0, f"Share prices: not available for {r.ticker}.", "note")
        return
    b.header(ws, row, ["Statistic", "Value", "Note"])
    for label, v, fmt, note in (
        ("Last close", p.last_close, "price", p.last_date.isoformat()),
        ("52-week high", p.high_52w, "price", ""), ("52-week low", p.low_52w, "price", ""),
        ("1-year return", p.return_1y, "pct", "total price change"),
        ("3-year return", p.return_3y, "pct", "total price change"),
        ("Annualised volatility", p.volatility_annual, "pct", ""),
        ("Maximum drawdown", p.max_drawdown, "pct",
         f"{p.max_drawdown_peak or NA} to {p.max_drawdown_trough or NA}"),
        ("Market capitalisation (USD m)", p.market_cap, "usd", "last close x shares outstanding"),
        ("Daily observations", float(p.observations), "int",
         f"{p.first_date.isoformat()} to {p.last_date.isoformat()}"),
    ):
        row += 1
        b.s(ws, row, 0, label, "label")
        b.num(ws, row, 1, v, fmt)
        b.s(ws, row, 2, note)
    row += 2
    b.header(ws, row, ["Week", "Close (USD)"])
    for pt in sorted(p.series, key=lambda x: x.date):
        row += 1
        ws.write_datetime(row, 0, _date(pt.date), b.f["date"])
        ws.write_number(row, 1, pt.close, b.f["price"])


def _frameworks(b: Book) -> None:
    r = b.report
    ws = b.sheet("Frameworks", [14, 24, 10, 90, 36, 12])
    row = b.title(ws, "framework points", "One row per point: the evidence ids it cites (see Sources) and its "
                                          "confidence (0-1).")
    b.header(ws, row, ["Framework", "Group", "Rating", "Point", "Evidence ids", "Confidence"])
    ws.freeze_panes(row + 1, 0)
    ratings = {FORCE_LABELS.get(f.name, f.name): f.rating for f in r.porter.forces}
    for g in content.point_groups(r):
        for pt in g.points:
            row += 1
            b.s(ws, row, 0, g.framework)
            b.s(ws, row, 1, g.group)
            if g.framework == "Porter" and g.group in ratings:
                ws.write_number(row, 2, ratings[g.group], b.f["rating"])
            b.s(ws, row, 3, pt.text, "wrap")
            b.s(ws, row, 4, " ".join(pt.evidence), "wrap")
            ws.write_number(row, 5, pt.confidence, b.f["conf"])
    row += 2
    b.s(ws, row, 0, "Ratings", "section")
    row += 1
    b.header(ws, row, ["Framework", "Item", "Rating", "Scale"])
    for force in r.porter.forces:
        row += 1
        b.s(ws, row, 0, "Porter")
        b.s(ws, row, 1, FORCE_LABELS.get(force.name, force.name))
        ws.write_number(row, 2, force.rating, b.f["rating"])
        b.s(ws, row, 3, "1 weak - 5 strong")
    row += 1
    b.s(ws, row, 0, "Porter")
    b.s(ws, row, 1, "Overall intensity")
    ws.write_number(row, 2, r.porter.overall_intensity, b.f["rating"])
    b.s(ws, row, 3, "1-5")
    if r.blue_ocean.canvas:
        row += 2
        b.header(ws, row, ["Strategy canvas", "Factor", r.ticker, "Evidence ids", "Industry"])
        for c in r.blue_ocean.canvas:
            row += 1
            b.s(ws, row, 0, "Blue Ocean")
            b.s(ws, row, 1, c.factor)
            ws.write_number(row, 2, c.company, b.f["rating"])
            b.s(ws, row, 3, " ".join(c.evidence), "wrap")
            ws.write_number(row, 4, c.industry, b.f["rating"])
    row += 2
    b.header(ws, row, ["Framework", "Analyst", "Confidence"])
    for label, analyst, conf in content.analyst_rows(r):
        row += 1
        b.s(ws, row, 0, label)
        b.s(ws, row, 1, analyst)
        b.s(ws, row, 2, conf)


def _sources(b: Book) -> None:
    r = b.report
    ws = b.sheet("Sources", [30, 10, 30, 80, 16, 12, 26, 36, 12, 8])
    row = b.title(ws, "evidence", "Every citable fact: its id, the figure, where it comes from (SEC accession or "
                                  "URL) and its date.")
    b.header(ws, row, ["Evidence id", "Kind", "Label", "Fact", "Value", "Unit", "Source",
                       "Reference (accession or URL)", "Date", "Cited"])
    ws.freeze_panes(row + 1, 1)
    cited = set(content.cited_ids(r))
    for e in sorted(r.evidence, key=lambda e: e.id):
        row += 1
        b.s(ws, row, 0, e.id, "label")
        b.s(ws, row, 1, e.kind)
        b.s(ws, row, 2, e.label)
        b.s(ws, row, 3, e.text, "wrap")
        if e.value is not None:
            ws.write_number(row, 4, e.value, b.f["number"] if abs(e.value) < 1e6 else b.f["int"])
        b.s(ws, row, 5, e.unit or "")
        b.s(ws, row, 6, e.source)
        b.s(ws, row, 7, e.reference or "")
        if e.date:
            ws.write_datetime(row, 8, _date(e.date), b.f["date"])
        b.s(ws, row, 9, "yes" if e.id in cited else "no")
    for missing in sorted(cited - {e.id for e in r.evidence}):
        row += 1
        b.s(ws, row, 0, missing, "label")
        b.s(ws, row, 3, "cited but not found in the evidence set", "wrap")
        b.s(ws, row, 9, "yes")


def _changes(b: Book) -> None:
    ch = content.changes(b.report)
    if ch is None:
        return
    ws = b.sheet("What changed", [40, 22, 22, 14])
    row = b.title(ws, content.SECTIONS["changes"].lower(),
                  f"Changes since the previous report of {ch.previous_as_of.isoformat()}.")
    if ch.empty:
        b.s(ws, row, 0, "No material changes.", "label")
        return
    for title, items in (("Figures", ch.values), ("Ratings and confidence", ch.ratings)):
        if not items:
            continue
        b.header(ws, row, [title, "Previous", "Current", "Change"])
        for item in items:
            row += 1
            for j, v in enumerate(item):
                b.s(ws, row, j, v)
        row += 2
    for title, pairs in (("Points added", ch.added), ("Points removed", ch.removed)):
        if not pairs:
            continue
        b.header(ws, row, [title, "Point"])
        for where, point in pairs:
            row += 1
            b.s(ws, row, 0, where)
            b.s(ws, row, 1, point)
        row += 2


SHEETS = (_cover, _annual, _quarterly, _cash_flow, _peers, _trends, _prices, _frameworks, _sources, _changes)
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


def build_xlsx_bytes(report: ReportInput) -> bytes:
    b = Book(report)
    when = stamp(report.as_of)
    name = content.company_name(report)
    b.wb.set_properties({
        "title": text(f"{name} ({report.ticker}) - strategy report workbook", 200),
        "subject": f"Figures of the strategy report for {report.ticker} as of {report.as_of.isoformat()}",
        "author": "ConsultantOS", "company": "", "keywords": report.ticker,
        "created": when.replace(tzinfo=None),
    })
    for make in SHEETS:
        make(b)
    return reproducible_zip(b.bytes(), when)


def render_xlsx(report: ReportInput, path: Path | str) -> Path:
    """Write the workbook to ``path`` atomically."""
    return write_package(path, build_xlsx_bytes(report))


__all__ = ["SHEETS", "build_xlsx_bytes", "render_xlsx"]
