"""One period's figures from the normalised facts: flows, balances, cover shares and the derived figures
(free cash flow, EBITDA, net cash, ...), and the trailing twelve months."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from ..models import METRICS, FinancialFact
from ..models.financials import FLOW_METRICS_SET
from .sec_facts import (
    ANNUAL_DAYS,
    ANNUAL_FORMS,
    CONCEPTS,
    COST_CONCEPTS,
    DEI_SHARES,
    LIABILITIES_AND_EQUITY,
    PART_UNITS,
    QUARTERLY_FORMS,
    TOTAL_EQUITY_CONCEPTS,
    SecFact,
    newest,
    pick_concept,
    within,
)

_Index = dict[tuple[str, dt.date], list[SecFact]]


def _unit(metric: str) -> str:
    return METRICS[metric][1] if metric in METRICS else PART_UNITS[metric]


def _combine(name: str, parts: list[tuple[float, SecFact]], end: dt.date) -> SecFact:
    """A derived fact: sum of sign x part; it carries the newest part's filing."""
    base = max((p for _, p in parts), key=lambda p: (p.filed, p.accession))
    concept = "derived: " + " ".join(
        (("- " if sign < 0 else "+ ") if i else ("-" if sign < 0 else "")) + p.concept
        for i, (sign, p) in enumerate(parts))
    start = next((p.start for _, p in parts if p.start), None)
    return SecFact(concept, sum(sign * p.value for sign, p in parts), "USD", start, end, base.form,
                 base.accession, base.filed)


def _derive(figs: dict[str, SecFact], end: dt.date) -> None:
    """Add the derived figures (see the module doc) to one period's picked facts, in place."""
    ocf, capex = figs.get("operating_cash_flow"), figs.get("capex")
    if ocf is not None and capex is not None:
        figs["free_cash_flow"] = _combine("free_cash_flow", [(1, ocf), (-1, capex)], end)
    op, da = figs.get("operating_income"), figs.get("depreciation_amortization")
    if op is not None and da is not None:
        figs["ebitda"] = _combine("ebitda", [(1, op), (1, da)], end)
    if "cash" in figs:
        parts = [(1.0, figs[k]) for k in ("cash", "marketable_securities", "_securities_noncurrent") if k in figs]
        figs["cash_and_securities"] = parts[0][1] if len(parts) == 1 else _combine("cash_and_securities", parts, end)
    lt, current, short = figs.get("long_term_debt"), figs.get("short_term_debt"), figs.get("_short_borrowings")
    debt = [x for x in (lt,) if x is not None]
    if current is not None and (lt is None or lt.concept != "LongTermDebt"):
        debt.append(current)
    if short is not None and (current is None or current.concept != "DebtCurrent"):
        debt.append(short)
    if debt:
        figs["total_debt"] = debt[0] if len(debt) == 1 else _combine("total_debt", [(1, d) for d in debt], end)
    if "cash_and_securities" in figs and "total_debt" in figs:
        figs["net_cash"] = _combine("net_cash", [(1, figs["cash_and_securities"]), (-1, figs["total_debt"])], end)


def _flow(index: _Index, metric: str, end: dt.date, unit: str) -> SecFact | None:
    """A flow for the period ending ``end``; gross profit falls back to revenue - cost of revenue."""
    fact = pick_concept(index, CONCEPTS[metric], end, unit)
    if fact is not None or metric != "gross_profit":
        return fact
    revenue = pick_concept(index, CONCEPTS["revenue"], end, "USD")
    cost = pick_concept(index, COST_CONCEPTS, end, "USD")
    if revenue is None or cost is None or revenue.start != cost.start:
        return None
    return _combine("gross_profit", [(1, revenue), (-1, cost)], end)


def _balance(index: _Index, metric: str, end: dt.date, unit: str) -> SecFact | None:
    fact = pick_concept(index, CONCEPTS[metric], end, unit)
    if fact is not None or metric != "total_liabilities":
        return fact
    total = pick_concept(index, (LIABILITIES_AND_EQUITY,), end, "USD")
    equity = pick_concept(index, TOTAL_EQUITY_CONCEPTS, end, "USD")
    if total is None or equity is None:
        return None
    return _combine("total_liabilities", [(1, total), (-1, equity)], end)


def cover_shares(facts: list[SecFact], doc_period: dict[str, dt.date], forms: frozenset[str]
                  ) -> dict[dt.date, SecFact]:
    """Report period end -> dei shares outstanding from that report's cover page (newest filing)."""
    out: dict[dt.date, SecFact] = {}
    for f in facts:
        if f.concept != f"dei:{DEI_SHARES}" or f.form not in forms or f.unit != "shares":
            continue
        period = doc_period.get(f.accession)
        if period is None:
            continue
        current = out.get(period)
        if current is None or (f.filed, f.accession, f.end) > (current.filed, current.accession, current.end):
            out[period] = f
    return out


def _to_model(metric: str, fact: SecFact, fiscal_year: int, fiscal_period: str) -> FinancialFact:
    return FinancialFact(
        metric=metric, value=fact.value, unit=fact.unit, concept=fact.concept,
        period_start=fact.start, period_end=fact.end, fiscal_year=fiscal_year,
        fiscal_period=fiscal_period, form=fact.form, accession=fact.accession, filed=fact.filed,
        split_factor=fact.factor,
    )


def _period_facts(index: _Index, cover: dict[dt.date, SecFact], end: dt.date) -> dict[str, SecFact]:
    """Metric -> chosen fact for one period (reported, then derived; parts keep a leading '_')."""
    figs: dict[str, SecFact] = {}
    for metric in CONCEPTS:
        unit = _unit(metric)
        if metric in FLOW_METRICS_SET:
            fact = _flow(index, metric, end, unit)
        elif metric == "shares_outstanding":
            fact = cover.get(end) or _balance(index, metric, end, unit)
        else:
            fact = _balance(index, metric, end, unit)
        if fact is not None:
            figs[metric] = fact
    _derive(figs, end)
    return figs


def period_figures(index: _Index, cover: dict[dt.date, SecFact], end: dt.date, fiscal_year: int,
                    fiscal_period: str) -> list[FinancialFact]:
    figs = _period_facts(index, cover, end)
    return [_to_model(m, figs[m], fiscal_year, fiscal_period) for m in METRICS if m in figs]


def index_facts(facts: list[SecFact], forms: frozenset[str], days: tuple[int, int]
           ) -> dict[tuple[str, dt.date], list[SecFact]]:
    """(concept, period end) -> facts of these forms: instants, or durations within ``days``."""
    index: dict[tuple[str, dt.date], list[SecFact]] = defaultdict(list)
    for f in facts:
        if f.form in forms and not f.concept.startswith("dei:") and (f.start is None or within(f.days, days)):
            index[(f.concept, f.end)].append(f)
    return index


def _near(a: dt.date | None, b: dt.date, days: int = 7) -> bool:
    return a is not None and abs((a - b).days) <= days


def ttm_figures(usable: list[SecFact], year_ends: dict[int, dt.date], quarter_end: dt.date, fiscal_year: int
         ) -> list[FinancialFact]:
    """Trailing twelve months to ``quarter_end``: FY + year to date - the same span a year earlier.

    Each flow uses one concept for all three terms (the first of its fallbacks that has them). When
    the newest report is the 10-K itself, TTM is that fiscal year.
    """
    ends = sorted(year_ends.values())
    fy_end = max((e for e in ends if e < quarter_end), default=None)
    prev_end = max((e for e in ends if fy_end and e < fy_end), default=None)
    if fy_end is None or prev_end is None:
        return []
    ytd: dict[str, list[SecFact]] = defaultdict(list)
    for f in usable:
        if f.form in QUARTERLY_FORMS and f.start is not None and not f.concept.startswith("dei:"):
            ytd[f.concept].append(f)
    annual = index_facts(usable, ANNUAL_FORMS, ANNUAL_DAYS)
    figs: dict[str, SecFact] = {}
    for metric, concepts in CONCEPTS.items():
        if metric not in FLOW_METRICS_SET:
            continue
        unit = _unit(metric)
        for concept in concepts:
            year = newest([f for f in annual.get((concept, fy_end), []) if f.unit == unit and f.start])
            cur = newest([f for f in ytd[concept] if f.unit == unit and f.end == quarter_end
                           and _near(f.start, fy_end + dt.timedelta(days=1))])
            prior = newest([f for f in ytd[concept] if f.unit == unit and _near(f.start, prev_end + dt.timedelta(days=1))
                             and cur is not None and _near(f.end, quarter_end - dt.timedelta(days=364), 8)
                             and f.days is not None and cur.days is not None and abs(f.days - cur.days) <= 8])
            if year is None or cur is None or prior is None:
                continue
            figs[metric] = SecFact(
                f"TTM: {concept} FY + year to date - prior year to date", year.value + cur.value - prior.value,
                unit, prior.end + dt.timedelta(days=1), quarter_end, cur.form, cur.accession, cur.filed,
                cur.factor)
            break
    _derive(figs, quarter_end)
    return [_to_model(m, figs[m], fiscal_year, "TTM") for m in METRICS if m in figs]
