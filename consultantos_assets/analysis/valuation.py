"""Valuation multiples, the latest quarter and the statements' age, computed from Financials (pure).

Every multiple is computed here, never by a model, from the last close and the SEC figures known at
that close (no look-ahead: statements filed after the last close are not mixed with it):

* earnings, sales, EBITDA, cash flow, dividends and interest: trailing twelve months (TTM) when the
  TTM figures were filed on or before the close, else the latest fiscal year filed by then;
* balances (cash and securities, total debt): the same period's balance sheet;
* market cap: last close x the latest share count on the same (split-restated) basis, both dated;
* enterprise value (EV) = market cap + total debt - cash and marketable securities.

A multiple is "n/a" with its reason when a term is missing, negative (no P/E on a loss) or not
meaningful (EV multiples for banks and insurers, whose debt is operating funding).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..models import FinancialFact, Financials

# statements older than this (months between the latest annual period end and the report date)
# are stated as dated in the executive summary; 15 months ~ the 456 days of coverage.FRESH
STALE_MONTHS = 15
FINANCIAL_SIC = (6000, 6499)


def is_financial_company(sector: str | None, sic: int | None) -> bool:
    """Banks and insurers: GICS Financials or SIC 6000-6499."""
    if sector and sector.strip().lower() in ("financials", "financial services", "financial"):
        return True
    return sic is not None and FINANCIAL_SIC[0] <= sic <= FINANCIAL_SIC[1]


@dataclass(frozen=True)
class Basis:
    """The figures a multiple is computed from: TTM or a fiscal year, and the balance sheet with it."""

    label: str  # "TTM to 2025-12-27" or "FY2025"
    flows: dict[str, FinancialFact]
    balances: dict[str, FinancialFact]


def basis_at_close(fin: Financials) -> Basis | None:
    """TTM if filed by the last close (or when there is no close), else the latest FY filed by then."""
    close = fin.prices.last_date if fin.prices else None

    def known(f: FinancialFact | None) -> bool:
        return f is not None and (close is None or f.filed is None or f.filed <= close)

    ttm_anchor = fin.ttm_value("revenue") or fin.ttm_value("net_income")
    if known(ttm_anchor):
        end = ttm_anchor.period_end  # type: ignore[union-attr]
        flows = {f.metric: f for f in fin.ttm}
        balances = {f.metric: f for f in fin.annual + fin.quarterly if f.period_end == end
                    and f.period_start is None}
        if not balances:  # TTM equal to a fiscal year: that year's balance sheet
            balances = {f.metric: f for f in fin.annual if f.fiscal_year == ttm_anchor.fiscal_year  # type: ignore[union-attr]
                        and f.period_start is None}
        return Basis(ttm_anchor.period_label, flows, balances)  # type: ignore[union-attr]
    years = [y for y in reversed(fin.fiscal_years()) if known(fin.value("revenue", y) or fin.value("net_income", y))]
    if not years:
        return None
    fy = years[0]
    facts = [f for f in fin.annual if f.fiscal_year == fy]
    return Basis(f"FY{fy}", {f.metric: f for f in facts if f.period_start is not None},
                 {f.metric: f for f in facts if f.period_start is None})


@dataclass(frozen=True)
class Multiple:
    key: str
    label: str
    value: float | None
    basis: str  # what it was computed from, with dates
    reason: str | None = None  # why it is n/a
    period: str = ""  # the statement period it rests on: "TTM to 2025-12-27" or "FY2026"
    refs: list[FinancialFact] = field(default_factory=list)

    @property
    def evidence_id(self) -> str:
        return f"val:{self.key}"

    @property
    def display(self) -> str:
        if self.value is None:
            return "n/a"
        if self.key in ("fcf_yield", "dividend_yield"):
            return f"{self.value * 100:,.2f}%"
        return f"{self.value:,.1f}x"


MULTIPLE_LABELS = {
    "pe_trailing": "Trailing P/E",
    "ev_sales": "EV / sales",
    "ev_ebitda": "EV / EBITDA",
    "fcf_yield": "Free cash flow yield",
    "dividend_yield": "Dividend yield",
    "net_debt_ebitda": "Net debt / EBITDA",
    "interest_coverage": "Interest coverage (operating income / interest)",
}


def _no_cash(basis: Basis) -> str:
    if "cash" in basis.balances:
        return f"marketable securities not found for {basis.label}; cash alone would overstate net debt"
    return f"no cash balance for {basis.label}"


def enterprise_value(fin: Financials, basis: Basis) -> tuple[float | None, str | None]:
    mcap = fin.prices.market_cap if fin.prices else None
    if mcap is None:
        return None, "no market capitalisation (price or share count missing)"
    debt, cash = basis.balances.get("total_debt"), basis.balances.get("cash_and_securities")
    if cash is None:
        return None, _no_cash(basis)
    return mcap + (debt.value if debt else 0.0) - cash.value, None


def multiples(fin: Financials, financial_company: bool = False) -> list[Multiple]:
    """The valuation table: each multiple with its value or the reason it is n/a."""
    basis = basis_at_close(fin)
    p = fin.prices
    out: list[Multiple] = []
    if basis is None or p is None:
        why = "no share price" if p is None else "no statements filed by the last close"
        return [Multiple(k, label, None, "", why) for k, label in MULTIPLE_LABELS.items()]
    close = f"close {p.last_date.isoformat()}"
    f = basis.flows

    def add(key: str, value: float | None, basis_text: str, reason: str | None, *refs: FinancialFact | None) -> None:
        out.append(Multiple(key, MULTIPLE_LABELS[key], None if reason else value, basis_text, reason,
                            period=basis.label, refs=[r for r in refs if r is not None]))

    eps = f.get("eps_diluted")
    if eps is None:
        add("pe_trailing", None, "", f"no diluted EPS for {basis.label}")
    elif eps.value <= 0:
        add("pe_trailing", None, "", f"loss: diluted EPS {eps.value:,.2f} for {basis.label}", eps)
    else:
        add("pe_trailing", p.last_close / eps.value,
            f"{close} ${p.last_close:,.2f} / diluted EPS ${eps.value:,.2f} ({basis.label})", None, eps)
    ev, ev_reason = enterprise_value(fin, basis)
    if financial_company:
        ev_reason = "not meaningful for a bank or insurer (debt is operating funding)"
    ebitda, rev, fcf = f.get("ebitda"), f.get("revenue"), f.get("free_cash_flow")
    ev_text = f"EV at {close}"
    bal = [basis.balances.get("total_debt"), basis.balances.get("cash_and_securities")]
    if ev_reason:
        add("ev_sales", None, "", ev_reason)
        add("ev_ebitda", None, "", ev_reason)
    else:
        add("ev_sales", ev / rev.value if rev and rev.value > 0 else None,  # type: ignore[operator]
            f"{ev_text} / revenue ({basis.label})", None if rev and rev.value > 0 else
            f"no revenue for {basis.label}", rev, *bal)
        add("ev_ebitda", ev / ebitda.value if ebitda and ebitda.value > 0 else None,  # type: ignore[operator]
            f"{ev_text} / EBITDA ({basis.label})",
            None if ebitda and ebitda.value > 0 else (f"negative EBITDA for {basis.label}" if ebitda else
                                                      f"no EBITDA (operating income + D&A) for {basis.label}"),
            ebitda, *bal)
    mcap = p.market_cap
    if mcap is None:
        add("fcf_yield", None, "", "no market capitalisation")
        add("dividend_yield", None, "", "no market capitalisation")
    else:
        add("fcf_yield", fcf.value / mcap if fcf else None, f"free cash flow ({basis.label}) / market cap at {close}",
            None if fcf else f"no free cash flow (operating cash flow - capex) for {basis.label}", fcf)
        div = f.get("dividends_paid")
        add("dividend_yield", (div.value if div else 0.0) / mcap,
            f"dividends paid ({basis.label}) / market cap at {close}" if div else
            f"no dividends reported for {basis.label}", None, div)
    debt, cash = basis.balances.get("total_debt"), basis.balances.get("cash_and_securities")
    if financial_company:
        add("net_debt_ebitda", None, "", "not meaningful for a bank or insurer")
    elif ebitda is None or ebitda.value <= 0:
        add("net_debt_ebitda", None, "", f"negative EBITDA for {basis.label}" if ebitda else
            f"no EBITDA for {basis.label}")
    elif cash is None:
        add("net_debt_ebitda", None, "", _no_cash(basis))
    else:
        net_debt = (debt.value if debt else 0.0) - cash.value
        add("net_debt_ebitda", net_debt / ebitda.value,
            f"net debt {'(negative: net cash) ' if net_debt < 0 else ''}/ EBITDA ({basis.label})", None,
            debt, cash, ebitda)
    operating, interest = f.get("operating_income"), f.get("interest_expense")
    if operating is None:
        add("interest_coverage", None, "", f"no operating income for {basis.label}")
    elif interest is None or interest.value <= 0:
        add("interest_coverage", None, "", f"no interest expense reported for {basis.label}", operating)
    elif operating.value <= 0:
        add("interest_coverage", None, "", f"operating loss for {basis.label}", operating, interest)
    else:
        add("interest_coverage", operating.value / interest.value, f"operating income / interest expense ({basis.label})",
            None, operating, interest)
    return out


# --------------------------------------------------------------------------------- latest quarter


@dataclass(frozen=True)
class QuarterFigure:
    metric: str
    current: FinancialFact
    year_ago: FinancialFact | None

    @property
    def growth(self) -> float | None:
        if self.year_ago is None or not self.year_ago.value:
            return None
        return (self.current.value - self.year_ago.value) / abs(self.year_ago.value)


def latest_quarter(fin: Financials) -> list[QuarterFigure]:
    """The newest quarter's revenue, net income and EPS, each with the same quarter a year earlier."""
    anchor = fin.latest_quarter()
    if anchor is None:
        return []
    out = []
    for metric in ("revenue", "operating_income", "net_income", "eps_diluted"):
        cur = fin.quarter_value(metric, anchor.fiscal_year, anchor.fiscal_period)
        if cur is not None:
            out.append(QuarterFigure(metric, cur, fin.quarter_value(metric, anchor.fiscal_year - 1,
                                                                   anchor.fiscal_period)))
    return out


# ------------------------------------------------------------------------------------------- age


def months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (1 if later.day < earlier.day else 0)


def statements_age(fin: Financials, as_of: dt.date) -> tuple[FinancialFact, int] | None:
    """(latest annual revenue or net income fact, months before ``as_of``) when older than STALE_MONTHS."""
    latest = fin.latest("revenue") or fin.latest("net_income")
    if latest is None:
        return None
    months = months_between(latest.period_end, as_of)
    return (latest, months) if months > STALE_MONTHS else None
