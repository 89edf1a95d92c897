"""SEC XBRL company facts -> annual and quarterly statement figures.

Both providers hand edgartools' parsed facts (``edgar.entity.models.FinancialFact``) to one pure
selection function, :func:`select_financials`. Parsing is edgartools' job; this module only chooses
among the parsed facts:

* the fiscal year of a period comes from its end date (SEC's ``fy`` field is the fiscal year of
  the *filing*, so a 10-K's comparative years carry the filing's ``fy``);
* annual flows are ~one-year durations (350-380 days) from 10-K / 10-K/A, balances are instants
  at the fiscal year end; quarterly flows are 80-100 day durations from 10-Q / 10-Q/A;
* concepts are tried in the priority order of :data:`CONCEPTS`, period by period (companies switch
  concepts over time); when several filings report the chosen concept for the same period, the most
  recently filed one wins (restatements, split-adjusted per-share figures);
* one share basis: stock splits are inferred from restatements (a later filing reporting the same
  period's per-share figure or share count at a whole-number ratio of an earlier one, corroborated by
  SEC's ``StockholdersEquityNoteStockSplitConversionRatio1`` facts where filed). Every per-share value
  and share count filed before a split is restated by its factor (:func:`detect_splits`), so every
  year reads on the latest basis and each restatement names its evidence;
* derived figures (free cash flow, EBITDA, cash and securities, total debt, net cash) are computed
  from reported facts of the same period; their concept names the parts (``derived: A - B``);
* trailing twelve months (TTM) = the latest fiscal year + the latest 10-Q's year to date - the same
  span a year earlier, each from one concept (:func:`_ttm`).

Concept fallbacks per figure (first found for a period wins):

* operating cash flow: NetCashProvidedByUsedInOperatingActivities, then its ...ContinuingOperations;
* capex: PaymentsToAcquirePropertyPlantAndEquipment, PaymentsToAcquireProductiveAssets (NVIDIA since
  2020), PaymentsForCapitalImprovements;
* depreciation and amortisation: DepreciationDepletionAndAmortization, DepreciationAndAmortization,
  DepreciationAmortizationAndAccretionNet, then Depreciation alone (understates D&A where
  amortisation is tagged apart);
* interest expense: InterestExpense, InterestExpenseNonoperating (2023 taxonomy), InterestExpenseDebt;
* marketable securities: current (MarketableSecuritiesCurrent, AvailableForSaleSecuritiesDebtSecurities
  Current, ShortTermInvestments) plus non-current (MarketableSecuritiesNoncurrent, AvailableForSale
  SecuritiesDebtSecuritiesNoncurrent);
* total debt: long-term debt + current maturities (LongTermDebtCurrent, DebtCurrent, ...) + commercial
  paper or short-term borrowings; when long-term debt is only tagged as LongTermDebt (which by the
  taxonomy's definition includes current maturities) current maturities are not added again, and
  DebtCurrent already includes short-term borrowings;
* banks: net interest income InterestIncomeExpenseNet; provisions ProvisionForLoanLeaseAndOtherLosses,
  ProvisionForLoanAndLeaseLosses, ProvisionForCreditLosses... (see :data:`CONCEPTS`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..models import METRICS, CompanyProfile, FinancialFact, Financials, Provenance, StockSplit
from ..models.financials import FLOW_METRICS_SET
from .base import NoData

log = logging.getLogger(__name__)

# metric -> concepts by priority ("dei:" prefix for the dei taxonomy, else us-gaap)
CONCEPTS: dict[str, tuple[str, ...]] = {
    "revenue": (
        "RevenueFromContractWithCustomerExcludingAssessedTax",
        "Revenues",
        "SalesRevenueNet",
        "RevenueFromContractWithCustomerIncludingAssessedTax",
        "SalesRevenueGoodsNet",
    ),
    "gross_profit": ("GrossProfit",),
    "operating_income": ("OperatingIncomeLoss",),
    "net_income": ("NetIncomeLoss", "ProfitLoss"),
    "eps_diluted": ("EarningsPerShareDiluted",),
    "total_assets": ("Assets",),
    "total_liabilities": ("Liabilities",),
    "equity": ("StockholdersEquity", "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"),
    "cash": ("CashAndCashEquivalentsAtCarryingValue", "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalents"),
    "long_term_debt": ("LongTermDebtNoncurrent", "LongTermDebt", "LongTermDebtAndCapitalLeaseObligations"),
    "shares_outstanding": ("CommonStockSharesOutstanding",),
    "operating_cash_flow": ("NetCashProvidedByUsedInOperatingActivities",
                            "NetCashProvidedByUsedInOperatingActivitiesContinuingOperations"),
    "capex": ("PaymentsToAcquirePropertyPlantAndEquipment", "PaymentsToAcquireProductiveAssets",
              "PaymentsForCapitalImprovements"),
    "stock_compensation": ("ShareBasedCompensation", "AllocatedShareBasedCompensationExpense"),
    "depreciation_amortization": ("DepreciationDepletionAndAmortization", "DepreciationAndAmortization",
                                  "DepreciationAmortizationAndAccretionNet", "Depreciation"),
    "interest_expense": ("InterestExpense", "InterestExpenseNonoperating", "InterestExpenseDebt"),
    "dividends_paid": ("PaymentsOfDividends", "PaymentsOfDividendsCommonStock"),
    "buybacks": ("PaymentsForRepurchaseOfCommonStock",),
    "net_interest_income": ("InterestIncomeExpenseNet", "InterestIncomeExpenseAfterProvisionForLoanLoss"),
    "credit_provisions": ("ProvisionForLoanLeaseAndOtherLosses", "ProvisionForLoanAndLeaseLosses",
                          "ProvisionForCreditLosses", "FinancingReceivableCreditLossExpenseReversal"),
    "marketable_securities": ("MarketableSecuritiesCurrent", "AvailableForSaleSecuritiesDebtSecuritiesCurrent",
                              "ShortTermInvestments"),
    "short_term_debt": ("LongTermDebtCurrent", "DebtCurrent", "LongTermDebtAndCapitalLeaseObligationsCurrent"),
    # parts of derived figures only (not reported on their own)
    "_securities_noncurrent": ("MarketableSecuritiesNoncurrent", "AvailableForSaleSecuritiesDebtSecuritiesNoncurrent"),
    "_short_borrowings": ("CommercialPaper", "ShortTermBorrowings"),
}
# figures computed from the reported ones of the same period (see _derive)
DERIVED_METRICS = ("free_cash_flow", "ebitda", "cash_and_securities", "total_debt", "net_cash")
# concepts read only to infer stock splits (restated per-share figures and share counts)
SPLIT_RATIO = "StockholdersEquityNoteStockSplitConversionRatio1"
SPLIT_EVIDENCE_CONCEPTS = ("EarningsPerShareDiluted", "EarningsPerShareBasic",
                           "WeightedAverageNumberOfDilutedSharesOutstanding")
COST_CONCEPTS = ("CostOfRevenue", "CostOfGoodsAndServicesSold")
LIABILITIES_AND_EQUITY = "LiabilitiesAndStockholdersEquity"
# total equity first: liabilities = (liabilities + equity) - total equity including minority interest
TOTAL_EQUITY_CONCEPTS = (
    "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
    "StockholdersEquity",
)
DEI_SHARES = "EntityCommonStockSharesOutstanding"
DEI_CONCEPTS = (DEI_SHARES, "EntityPublicFloat")
PART_UNITS = {"_securities_noncurrent": "USD", "_short_borrowings": "USD"}

ANNUAL_FORMS = frozenset({"10-K", "10-K/A"})
QUARTERLY_FORMS = frozenset({"10-Q", "10-Q/A"})
ANNUAL_DAYS = (350, 380)
QUARTER_DAYS = (80, 100)
YEARS_KEPT = 5
QUARTERS_KEPT = 8

# SEC unit names; edgartools renames "USD/shares" to "USD per share" when it parses.
_UNIT_ALIASES = {"USD": "USD", "usd": "USD", "shares": "shares", "USD/shares": "USD/shares",
                 "USD per share": "USD/shares", "pure": "pure", "number": "pure"}  # edgartools: pure -> number

US_GAAP_CONCEPTS = frozenset(
    {c for cs in CONCEPTS.values() for c in cs} | set(COST_CONCEPTS) | {LIABILITIES_AND_EQUITY}
    | set(TOTAL_EQUITY_CONCEPTS) | set(SPLIT_EVIDENCE_CONCEPTS) | {SPLIT_RATIO}
)


class RawFact(NamedTuple):
    """The attributes of edgartools' FinancialFact that the selection reads; `read_companyfacts` makes
    them straight from SEC's JSON for the snapshot path."""

    concept: str  # "<taxonomy>:<name>"
    numeric_value: float | None
    unit: str
    period_start: dt.date | None
    period_end: dt.date | None
    form_type: str
    accession: str
    filing_date: dt.date | None


@dataclass(frozen=True)
class _Fact:
    """A usable fact: known concept, numeric value, SEC unit, dates."""

    concept: str  # bare name for us-gaap, "dei:Name" for dei
    value: float
    unit: str
    start: dt.date | None
    end: dt.date
    form: str
    accession: str
    filed: dt.date
    factor: float = 1.0  # split restatement applied to the reported value (see detect_splits)

    @property
    def days(self) -> int | None:
        return (self.end - self.start).days if self.start else None


# ---------------------------------------------------------------------------------------------
# fiscal calendar


def fiscal_year_of(period_end: dt.date) -> int:
    """Fiscal year a period ending on ``period_end`` belongs to.

    The calendar year of the end date, except that a year ending in the first 7 days of January
    (52/53-week years that spill over New Year) belongs to the previous year.
    """
    if period_end.month == 1 and period_end.day <= 7:
        return period_end.year - 1
    return period_end.year


def _metric_label(metric: str) -> str:
    label = METRICS[metric][0]
    if len(label) > 1 and label[1].isupper():
        return label
    return label[0].lower() + label[1:]


# ---------------------------------------------------------------------------------------------
# normalisation of edgartools facts


def _normalise(facts: Iterable[Any]) -> list[_Fact]:
    out: list[_Fact] = []
    for f in facts:
        concept = getattr(f, "concept", "") or ""
        taxonomy, _, name = concept.rpartition(":")
        if taxonomy == "dei":
            if name not in DEI_CONCEPTS:
                continue
            name = f"dei:{name}"
        elif taxonomy not in ("us-gaap", "") or name not in US_GAAP_CONCEPTS:
            continue
        value = getattr(f, "numeric_value", None)
        unit = _UNIT_ALIASES.get(getattr(f, "unit", "") or "")
        end = getattr(f, "period_end", None)
        filed = getattr(f, "filing_date", None)
        form = getattr(f, "form_type", "") or ""
        if value is None or unit is None or end is None or filed is None:
            continue
        if form not in ANNUAL_FORMS and form not in QUARTERLY_FORMS:
            continue
        out.append(_Fact(name, float(value), unit, getattr(f, "period_start", None), end, form,
                         getattr(f, "accession", "") or "", filed))
    return out


def _newest(candidates: list[_Fact]) -> _Fact | None:
    """The fact from the most recently filed report (restated values win)."""
    return max(candidates, key=lambda f: (f.filed, f.accession)) if candidates else None


def _pick(index: dict[tuple[str, dt.date], list[_Fact]], concepts: tuple[str, ...], end: dt.date,
          unit: str) -> _Fact | None:
    """First concept (by priority) reported for this period end; its most recently filed value."""
    for concept in concepts:
        fact = _newest([f for f in index.get((concept, end), []) if f.unit == unit])
        if fact is not None:
            return fact
    return None


# ---------------------------------------------------------------------------------------------
# period discovery


def _in(days: int | None, bounds: tuple[int, int]) -> bool:
    return days is not None and bounds[0] <= days <= bounds[1]


def _annual_ends(facts: list[_Fact]) -> dict[int, dt.date]:
    """Fiscal year -> period end, from one-year revenue / net income durations in 10-Ks."""
    anchors = set(CONCEPTS["revenue"]) | set(CONCEPTS["net_income"])
    counts: dict[dt.date, int] = defaultdict(int)
    for f in facts:
        if f.form in ANNUAL_FORMS and f.concept in anchors and _in(f.days, ANNUAL_DAYS):
            counts[f.end] += 1
    by_year: dict[int, dt.date] = {}
    for end in sorted(counts):
        year = fiscal_year_of(end)
        current = by_year.get(year)
        if current is None or counts[end] >= counts[current]:
            by_year[year] = end
    return by_year


def _quarter_label(end: dt.date, year_ends: list[dt.date]) -> tuple[int, str]:
    """(fiscal year, 'Q1'..'Q4') of a quarter ending on ``end``, from the fiscal year ends."""
    before = [e for e in year_ends if e < end]
    after = [e for e in year_ends if e >= end]
    if before:
        prev = before[-1]
        q = round((end - prev).days / 91.3)
        return fiscal_year_of(prev) + 1, f"Q{min(max(q, 1), 4)}"
    if after:
        nxt = after[0]
        q = 4 - round((nxt - end).days / 91.3)
        return fiscal_year_of(nxt), f"Q{min(max(q, 1), 4)}"
    q = (end.month - 1) // 3 + 1  # no annual report at all: assume a calendar fiscal year
    return end.year, f"Q{q}"


def _document_periods(facts: list[_Fact]) -> dict[str, dt.date]:
    """Accession -> period end of the report: the latest end of the durations it reports."""
    periods: dict[str, dt.date] = {}
    for f in facts:
        if f.start is None or f.concept.startswith("dei:"):
            continue
        if f.end > periods.get(f.accession, dt.date.min):
            periods[f.accession] = f.end
    return periods


# ---------------------------------------------------------------------------------------------
# one share basis: stock splits from restatements


SPLIT_TOLERANCE = 0.03  # a ratio within 3% of a whole number (EPS is rounded to cents)
SPLIT_MIN, SPLIT_MAX = 1.5, 50.0


def _split_ratio(old: float, new: float, unit: str) -> float | None:
    """New shares per old share implied by a restatement, when it is a whole-number split."""
    if old <= 0 or new <= 0:
        return None
    ratio = old / new if unit == "USD/shares" else new / old
    inverse = ratio < 1
    r = 1 / ratio if inverse else ratio
    if not SPLIT_MIN <= r <= SPLIT_MAX:
        return None
    whole = round(r)
    if whole < 2 or abs(r - whole) / whole > SPLIT_TOLERANCE:
        return None
    return 1 / whole if inverse else float(whole)


def detect_splits(facts: list[_Fact]) -> list[StockSplit]:
    """Splits inferred from per-share figures and share counts restated by a later filing.

    For each period of EPS (basic, diluted) and diluted weighted shares, consecutive filings whose
    values differ by a whole-number ratio give a candidate (ratio, newest old-basis filing, first
    new-basis filing). Candidates of one ratio whose filing windows overlap are one split; it needs
    two candidates, or one with SEC's own split-ratio fact filed in its window.
    """
    by_period: dict[tuple[str, str, dt.date | None, dt.date], list[_Fact]] = defaultdict(list)
    ratio_facts = [f for f in facts if f.concept == SPLIT_RATIO and f.value > 0]
    for f in facts:
        if f.concept in SPLIT_EVIDENCE_CONCEPTS and f.unit in ("USD/shares", "shares"):
            by_period[(f.concept, f.unit, f.start, f.end)].append(f)
    candidates: list[tuple[float, dt.date, dt.date, str]] = []
    for (concept, unit, start, end), group in by_period.items():
        values: dict[dt.date, _Fact] = {}
        for f in sorted(group, key=lambda f: (f.filed, f.accession)):
            values.setdefault(f.filed, f)
        ordered = list(values.values())
        for old, new in zip(ordered, ordered[1:], strict=False):
            factor = _split_ratio(old.value, new.value, unit)
            if factor is not None:
                span = f"{start.isoformat()} to {end.isoformat()}" if start else f"at {end.isoformat()}"
                candidates.append((factor, old.filed, new.filed,
                                   f"{concept} {span}: {old.value:,.4g} in {old.accession} ({old.filed}) "
                                   f"restated to {new.value:,.4g} in {new.accession} ({new.filed})"))
    splits: list[StockSplit] = []
    for factor in sorted({c[0] for c in candidates}):
        same = sorted((c for c in candidates if c[0] == factor), key=lambda c: c[2])
        clusters: list[list[tuple[float, dt.date, dt.date, str]]] = []
        for c in same:
            cluster = clusters[-1] if clusters else None
            if cluster and c[1] < min(x[2] for x in cluster) and c[2] > max(x[1] for x in cluster):
                cluster.append(c)
            else:
                clusters.append([c])
        for cluster in clusters:
            last_old = max(c[1] for c in cluster)
            first_new = min(c[2] for c in cluster)
            sec_facts = [f for f in ratio_facts if last_old <= f.filed <= first_new + dt.timedelta(days=400)
                         and abs(f.value - (factor if factor >= 1 else 1 / factor)) < 1e-6]
            if len(cluster) < 2 and not sec_facts:
                continue
            evidence = [c[3] for c in sorted(cluster, key=lambda c: c[3])[:4]]
            if len(cluster) > 4:
                evidence.append(f"... and {len(cluster) - 4} more restatements at the same ratio")
            if sec_facts:
                f = min(sec_facts, key=lambda f: (f.filed, f.accession))
                evidence.append(f"{SPLIT_RATIO} = {f.value:g} in {f.accession} ({f.filed})")
            splits.append(StockSplit(factor=factor, last_old_filing=last_old, first_new_filing=first_new,
                                     evidence=evidence))
    return sorted(splits, key=lambda s: s.first_new_filing)


def restate_to_latest_basis(facts: list[_Fact], splits: list[StockSplit]) -> list[_Fact]:
    """Per-share values and share counts filed before a split, restated by its factor."""
    if not splits:
        return facts
    out = []
    for f in facts:
        if f.unit not in ("USD/shares", "shares"):
            out.append(f)
            continue
        factor = 1.0
        for split in splits:
            if f.filed < split.first_new_filing:
                factor *= split.factor
        if factor == 1.0:
            out.append(f)
        else:
            value = f.value / factor if f.unit == "USD/shares" else f.value * factor
            out.append(replace(f, value=value, factor=factor if f.unit == "shares" else 1 / factor))
    return out


# ---------------------------------------------------------------------------------------------
# one period's figures


_Index = dict[tuple[str, dt.date], list[_Fact]]


def _unit(metric: str) -> str:
    return METRICS[metric][1] if metric in METRICS else PART_UNITS[metric]


def _combine(name: str, parts: list[tuple[float, _Fact]], end: dt.date) -> _Fact:
    """A derived fact: sum of sign x part; it carries the newest part's filing."""
    base = max((p for _, p in parts), key=lambda p: (p.filed, p.accession))
    concept = "derived: " + " ".join(
        (("- " if sign < 0 else "+ ") if i else ("-" if sign < 0 else "")) + p.concept
        for i, (sign, p) in enumerate(parts))
    start = next((p.start for _, p in parts if p.start), None)
    return _Fact(concept, sum(sign * p.value for sign, p in parts), "USD", start, end, base.form,
                 base.accession, base.filed)


def _derive(figs: dict[str, _Fact], end: dt.date) -> None:
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


def _flow(index: _Index, metric: str, end: dt.date, unit: str) -> _Fact | None:
    """A flow for the period ending ``end``; gross profit falls back to revenue - cost of revenue."""
    fact = _pick(index, CONCEPTS[metric], end, unit)
    if fact is not None or metric != "gross_profit":
        return fact
    revenue = _pick(index, CONCEPTS["revenue"], end, "USD")
    cost = _pick(index, COST_CONCEPTS, end, "USD")
    if revenue is None or cost is None or revenue.start != cost.start:
        return None
    return _combine("gross_profit", [(1, revenue), (-1, cost)], end)


def _balance(index: _Index, metric: str, end: dt.date, unit: str) -> _Fact | None:
    fact = _pick(index, CONCEPTS[metric], end, unit)
    if fact is not None or metric != "total_liabilities":
        return fact
    total = _pick(index, (LIABILITIES_AND_EQUITY,), end, "USD")
    equity = _pick(index, TOTAL_EQUITY_CONCEPTS, end, "USD")
    if total is None or equity is None:
        return None
    return _combine("total_liabilities", [(1, total), (-1, equity)], end)


def _cover_shares(facts: list[_Fact], doc_period: dict[str, dt.date], forms: frozenset[str]
                  ) -> dict[dt.date, _Fact]:
    """Report period end -> dei shares outstanding from that report's cover page (newest filing)."""
    out: dict[dt.date, _Fact] = {}
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


def _to_model(metric: str, fact: _Fact, fiscal_year: int, fiscal_period: str) -> FinancialFact:
    return FinancialFact(
        metric=metric, value=fact.value, unit=fact.unit, concept=fact.concept,
        period_start=fact.start, period_end=fact.end, fiscal_year=fiscal_year,
        fiscal_period=fiscal_period, form=fact.form, accession=fact.accession, filed=fact.filed,
        split_factor=fact.factor,
    )


def _period_facts(index: _Index, cover: dict[dt.date, _Fact], end: dt.date) -> dict[str, _Fact]:
    """Metric -> chosen fact for one period (reported, then derived; parts keep a leading '_')."""
    figs: dict[str, _Fact] = {}
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


def _period_figures(index: _Index, cover: dict[dt.date, _Fact], end: dt.date, fiscal_year: int,
                    fiscal_period: str) -> list[FinancialFact]:
    figs = _period_facts(index, cover, end)
    return [_to_model(m, figs[m], fiscal_year, fiscal_period) for m in METRICS if m in figs]


def _index(facts: list[_Fact], forms: frozenset[str], days: tuple[int, int]
           ) -> dict[tuple[str, dt.date], list[_Fact]]:
    """(concept, period end) -> facts of these forms: instants, or durations within ``days``."""
    index: dict[tuple[str, dt.date], list[_Fact]] = defaultdict(list)
    for f in facts:
        if f.form in forms and not f.concept.startswith("dei:") and (f.start is None or _in(f.days, days)):
            index[(f.concept, f.end)].append(f)
    return index


# ---------------------------------------------------------------------------------------------
# trailing twelve months


def _near(a: dt.date | None, b: dt.date, days: int = 7) -> bool:
    return a is not None and abs((a - b).days) <= days


def _ttm(usable: list[_Fact], year_ends: dict[int, dt.date], quarter_end: dt.date, fiscal_year: int
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
    ytd: dict[str, list[_Fact]] = defaultdict(list)
    for f in usable:
        if f.form in QUARTERLY_FORMS and f.start is not None and not f.concept.startswith("dei:"):
            ytd[f.concept].append(f)
    annual = _index(usable, ANNUAL_FORMS, ANNUAL_DAYS)
    figs: dict[str, _Fact] = {}
    for metric, concepts in CONCEPTS.items():
        if metric not in FLOW_METRICS_SET:
            continue
        unit = _unit(metric)
        for concept in concepts:
            year = _newest([f for f in annual.get((concept, fy_end), []) if f.unit == unit and f.start])
            cur = _newest([f for f in ytd[concept] if f.unit == unit and f.end == quarter_end
                           and _near(f.start, fy_end + dt.timedelta(days=1))])
            prior = _newest([f for f in ytd[concept] if f.unit == unit and _near(f.start, prev_end + dt.timedelta(days=1))
                             and cur is not None and _near(f.end, quarter_end - dt.timedelta(days=364), 8)
                             and f.days is not None and cur.days is not None and abs(f.days - cur.days) <= 8])
            if year is None or cur is None or prior is None:
                continue
            figs[metric] = _Fact(
                f"TTM: {concept} FY + year to date - prior year to date", year.value + cur.value - prior.value,
                unit, prior.end + dt.timedelta(days=1), quarter_end, cur.form, cur.accession, cur.filed,
                cur.factor)
            break
    _derive(figs, quarter_end)
    return [_to_model(m, figs[m], fiscal_year, "TTM") for m in METRICS if m in figs]


# ---------------------------------------------------------------------------------------------
# public


class Selection(NamedTuple):
    annual: list[FinancialFact]
    quarterly: list[FinancialFact]
    gaps: list[str]
    ttm: list[FinancialFact]
    splits: list[StockSplit]


def select_financials(
    ticker: str, cik: int | None, entity_name: str | None, facts: Iterable[Any]
) -> Selection:
    """Choose annual, quarterly and trailing-twelve-month figures among parsed SEC facts.

    Returns the last five fiscal years with revenue or net income (every metric found for them),
    the last eight discrete quarters from 10-Qs, readable notes on what the latest fiscal year lacks,
    the TTM figures to the newest quarter and the stock splits everything was restated across.
    """
    raw = _normalise(facts)
    splits = detect_splits(raw)
    usable = restate_to_latest_basis(raw, splits)
    year_ends = _annual_ends(usable)
    doc_period = _document_periods(usable)

    annual_index = _index(usable, ANNUAL_FORMS, ANNUAL_DAYS)
    annual_cover = _cover_shares(usable, doc_period, ANNUAL_FORMS)
    annual: list[FinancialFact] = []
    years_with_results: list[int] = []
    for year in sorted(year_ends, reverse=True):
        figures = _period_figures(annual_index, annual_cover, year_ends[year], year, "FY")
        if any(f.metric in ("revenue", "net_income") for f in figures):
            annual = figures + annual
            years_with_results.append(year)
        if len(years_with_results) == YEARS_KEPT:
            break

    quarterly = _select_quarters(usable, doc_period, sorted(year_ends.values()))
    annual, quarterly, cash_gaps = _without_partial_cash(annual, quarterly)
    ttm: list[FinancialFact] = []
    latest_q = max((f for f in quarterly if f.metric in ("revenue", "net_income")),
                   key=lambda f: f.period_end, default=None)
    latest_fy = max(years_with_results, default=None)
    if latest_q is not None and latest_fy is not None and latest_q.period_end > year_ends[latest_fy]:
        ttm = _ttm(usable, year_ends, latest_q.period_end, latest_q.fiscal_year)
    elif latest_fy is not None:
        ttm = [f.model_copy(update={"fiscal_period": "TTM"}) for f in annual
               if f.fiscal_year == latest_fy and f.metric in FLOW_METRICS_SET]
    gaps = _gaps(ticker, annual, quarterly, years_with_results) + cash_gaps
    log.debug("%s (CIK %s, %s): %d annual, %d quarterly, %d TTM figures, %d splits", ticker, cik, entity_name,
              len(annual), len(quarterly), len(ttm), len(splits))
    return Selection(annual, quarterly, gaps, ttm, splits)


def _without_partial_cash(annual: list[FinancialFact], quarterly: list[FinancialFact]
                          ) -> tuple[list[FinancialFact], list[FinancialFact], list[str]]:
    """Drop cash-and-securities and net cash of periods whose securities are not found under the known
    concepts while other periods report them: cash alone would overstate net debt (NVIDIA FY2026)."""
    facts = annual + quarterly
    if not any(f.metric == "marketable_securities" for f in facts):
        return annual, quarterly, []
    with_securities = {(f.fiscal_year, f.fiscal_period) for f in facts if f.metric == "marketable_securities"}
    partial = {(f.fiscal_year, f.fiscal_period) for f in facts if f.metric == "cash_and_securities"} - with_securities
    if not partial:
        return annual, quarterly, []

    def keep(f: FinancialFact) -> bool:
        return not (f.metric in ("cash_and_securities", "net_cash") and (f.fiscal_year, f.fiscal_period) in partial)

    labels = sorted(f"FY{y}" if p == "FY" else f"{p} FY{y}" for y, p in partial)
    gap = (f"marketable securities not found under the known concepts for {', '.join(labels)} (reported for "
           "other periods): cash and securities and net cash are not stated for them")
    return [f for f in annual if keep(f)], [f for f in quarterly if keep(f)], [gap]


def _select_quarters(usable: list[_Fact], doc_period: dict[str, dt.date], year_ends: list[dt.date]
                     ) -> list[FinancialFact]:
    index = _index(usable, QUARTERLY_FORMS, QUARTER_DAYS)
    cover = _cover_shares(usable, doc_period, QUARTERLY_FORMS)
    anchors = set(CONCEPTS["revenue"]) | set(CONCEPTS["net_income"])
    ends = sorted({end for (concept, end), fs in index.items()
                   if concept in anchors and any(f.start is not None for f in fs)})
    labelled: dict[tuple[int, str], dt.date] = {}
    for end in ends:  # ascending: a later end for the same label replaces an earlier one
        labelled[_quarter_label(end, year_ends)] = end
    chosen = sorted(labelled.items(), key=lambda kv: kv[1])[-QUARTERS_KEPT:]
    out: list[FinancialFact] = []
    for (year, label), end in chosen:
        out.extend(_period_figures(index, cover, end, year, label))
    return out


# figures whose absence is not worth a gap line (sector-specific, or parts of others)
OPTIONAL_METRICS = frozenset({"net_interest_income", "credit_provisions", "marketable_securities",
                              "short_term_debt", "dividends_paid", "buybacks", "interest_expense"})


def _gaps(ticker: str, annual: list[FinancialFact], quarterly: list[FinancialFact],
          years: list[int]) -> list[str]:
    if not years:
        return [f"no annual (10-K) revenue or net income found for {ticker}"]
    latest = max(years)
    found = {f.metric for f in annual if f.fiscal_year == latest}
    gaps = [f"{_metric_label(m)} not reported for FY{latest}" for m in METRICS
            if m not in found and m not in OPTIONAL_METRICS]
    if len(years) < YEARS_KEPT:
        gaps.append(f"only {len(years)} fiscal year(s) of 10-K figures available")
    if not quarterly:
        gaps.append("no quarterly (10-Q) figures found")
    return gaps


def build_financials(profile: CompanyProfile, entity_facts: Any, provenance: Provenance) -> Financials:
    """Financials model from an edgartools EntityFacts (or any iterable of its facts)."""
    facts = list(entity_facts)
    cik = profile.cik or getattr(entity_facts, "cik", None)
    name = getattr(entity_facts, "name", None) or profile.name
    sel = select_financials(profile.ticker, cik, name, facts)
    if not sel.annual and not sel.quarterly:
        raise NoData(
            f"SEC company facts for {profile.ticker} (CIK {cik}) hold no 10-K or 10-Q statement "
            "figures (revenue, net income, ...): financial statements are missing",
            source="sec",
        )
    filed = [f.filed for f in sel.annual + sel.quarterly if f.filed]
    provenance = provenance.model_copy(update={"as_of": max(filed) if filed else None})
    return Financials(ticker=profile.ticker, cik=cik, entity_name=name, annual=sel.annual,
                      quarterly=sel.quarterly, ttm=sel.ttm, splits=sel.splits, gaps=sel.gaps,
                      provenance=provenance)


def companyfacts_path(snapshot_dir: Path, cik: int) -> Path:
    return Path(snapshot_dir) / "sec_edgar" / "companyfacts" / f"CIK{int(cik):010d}.json"


def parse_companyfacts(payload: dict) -> Any:
    """edgartools' parser over a companyfacts payload (None when it holds no facts)."""
    from edgar.entity.parser import EntityFactsParser

    return EntityFactsParser.parse_company_facts(payload)


@dataclass
class RawCompanyFacts:
    cik: int | None
    name: str | None
    facts: list[RawFact]

    def __iter__(self):
        return iter(self.facts)


def _iso(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def read_companyfacts(payload: dict) -> RawCompanyFacts | None:
    """The facts of a companyfacts payload the selection can use, read straight from SEC's JSON (the
    us-gaap concepts it knows and the dei cover facts), without edgartools: the snapshot path does
    not pay edgartools' import (seconds) for a walk over one JSON document. The same selection over
    edgartools' parse of the same payload gives the same figures (test_financials). None when the
    payload holds no facts."""
    facts_by_taxonomy = payload.get("facts") if isinstance(payload, dict) else None
    if not isinstance(facts_by_taxonomy, dict) or not facts_by_taxonomy:
        return None
    wanted = {"us-gaap": US_GAAP_CONCEPTS, "dei": frozenset(DEI_CONCEPTS)}
    out: list[RawFact] = []
    for taxonomy, concepts in facts_by_taxonomy.items():
        known = wanted.get(taxonomy)
        if known is None or not isinstance(concepts, dict):
            continue
        for concept, data in concepts.items():
            if concept not in known or not isinstance(data, dict):
                continue
            for unit, rows in (data.get("units") or {}).items():
                for row in rows if isinstance(rows, list) else []:
                    val = row.get("val") if isinstance(row, dict) else None
                    if isinstance(val, bool) or not isinstance(val, int | float):
                        continue
                    out.append(RawFact(f"{taxonomy}:{concept}", float(val), unit, _iso(row.get("start")),
                                       _iso(row.get("end")), str(row.get("form") or ""), str(row.get("accn") or ""),
                                       _iso(row.get("filed"))))
    try:
        cik = int(payload.get("cik")) if payload.get("cik") is not None else None
    except (TypeError, ValueError):
        cik = None
    return RawCompanyFacts(cik, payload.get("entityName") or None, out)


class SnapshotFinancials:
    """Company facts from a snapshot's ``sec_edgar/companyfacts/`` folder, read by `read_companyfacts`."""

    name = "snapshot"

    def __init__(self, snapshot_dir: Path):
        self.snapshot_dir = Path(snapshot_dir)

    def _missing(self, profile: CompanyProfile, why: str = "") -> NoData:
        folder = self.snapshot_dir / "sec_edgar" / "companyfacts"
        return NoData(
            f"no SEC company facts for {profile.ticker} (CIK {profile.cik}) in {folder}"
            f"{': ' + why if why else ''}: financial statements are missing",
            source="sec",
        )

    def financials(self, profile: CompanyProfile) -> Financials:
        if profile.cik is None:
            raise self._missing(profile, "the company has no CIK")
        path = companyfacts_path(self.snapshot_dir, profile.cik)
        if not path.is_file():
            raise self._missing(profile)
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._missing(profile, f"{path.name} is not readable JSON ({exc})") from None
        entity_facts = read_companyfacts(payload) if isinstance(payload, dict) else None
        if entity_facts is None:
            raise self._missing(profile, f"{path.name} is not an SEC companyfacts payload")
        provenance = Provenance(provider="snapshot", mode="offline", location=str(path),
                                retrieved_at=datetime.fromtimestamp(path.stat().st_mtime, UTC))
        return build_financials(profile, entity_facts, provenance)


class EdgarFinancials:
    """Live company facts from data.sec.gov: one companyfacts request per company through `SecClient`
    (identity, rate limit, timeout, retries, breaker), parsed by edgartools like a snapshot's file."""

    name = "sec-edgar"

    def __init__(self, identity: str | None, client: Any = None):
        from .retry import Guard
        from .sec_http import SecClient, process_limiter

        self.identity = (identity or "").strip() or None
        self.client = client or SecClient(self.identity, Guard("SEC EDGAR"), process_limiter(9.0))

    def financials(self, profile: CompanyProfile) -> Financials:
        from .sec_http import check_identity, data_url

        check_identity(self.identity)
        if profile.cik is None:
            raise NoData(f"SEC EDGAR: no data for this company ({profile.ticker} has no CIK): financial "
                         "statements are missing", source="sec")
        payload = self.client.companyfacts(profile.cik)
        entity_facts = parse_companyfacts(payload)
        if entity_facts is None:
            raise NoData(f"SEC EDGAR: no data for this company (company facts of {profile.ticker}, CIK "
                         f"{profile.cik}, hold no facts): financial statements are missing", source="sec")
        provenance = Provenance(provider=self.name, mode="live", retrieved_at=datetime.now(UTC),
                                location=f"{data_url()}/api/xbrl/companyfacts/")
        return build_financials(profile, entity_facts, provenance)
