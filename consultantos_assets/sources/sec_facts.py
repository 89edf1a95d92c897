"""SEC company facts as the selection reads them: the concepts per metric, edgartools' facts normalised
(units, forms, the dei cover facts), and the fiscal periods they belong to."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..models import METRICS

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
class SecFact:
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


def fiscal_year_of(period_end: dt.date) -> int:
    """Fiscal year a period ending on ``period_end`` belongs to.

    The calendar year of the end date, except that a year ending in the first 7 days of January
    (52/53-week years that spill over New Year) belongs to the previous year.
    """
    if period_end.month == 1 and period_end.day <= 7:
        return period_end.year - 1
    return period_end.year


def metric_label(metric: str) -> str:
    label = METRICS[metric][0]
    if len(label) > 1 and label[1].isupper():
        return label
    return label[0].lower() + label[1:]


def normalise_facts(facts: Iterable[Any]) -> list[SecFact]:
    out: list[SecFact] = []
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
        out.append(SecFact(name, float(value), unit, getattr(f, "period_start", None), end, form,
                         getattr(f, "accession", "") or "", filed))
    return out


def newest(candidates: list[SecFact]) -> SecFact | None:
    """The fact from the most recently filed report (restated values win)."""
    return max(candidates, key=lambda f: (f.filed, f.accession)) if candidates else None


def pick_concept(index: dict[tuple[str, dt.date], list[SecFact]], concepts: tuple[str, ...], end: dt.date,
          unit: str) -> SecFact | None:
    """First concept (by priority) reported for this period end; its most recently filed value."""
    for concept in concepts:
        fact = newest([f for f in index.get((concept, end), []) if f.unit == unit])
        if fact is not None:
            return fact
    return None


def within(days: int | None, bounds: tuple[int, int]) -> bool:
    return days is not None and bounds[0] <= days <= bounds[1]


def annual_ends(facts: list[SecFact]) -> dict[int, dt.date]:
    """Fiscal year -> period end, from one-year revenue / net income durations in 10-Ks."""
    anchors = set(CONCEPTS["revenue"]) | set(CONCEPTS["net_income"])
    counts: dict[dt.date, int] = defaultdict(int)
    for f in facts:
        if f.form in ANNUAL_FORMS and f.concept in anchors and within(f.days, ANNUAL_DAYS):
            counts[f.end] += 1
    by_year: dict[int, dt.date] = {}
    for end in sorted(counts):
        year = fiscal_year_of(end)
        current = by_year.get(year)
        if current is None or counts[end] >= counts[current]:
            by_year[year] = end
    return by_year


def quarter_label(end: dt.date, year_ends: list[dt.date]) -> tuple[int, str]:
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


def document_periods(facts: list[SecFact]) -> dict[str, dt.date]:
    """Accession -> period end of the report: the latest end of the durations it reports."""
    periods: dict[str, dt.date] = {}
    for f in facts:
        if f.start is None or f.concept.startswith("dei:"):
            continue
        if f.end > periods.get(f.accession, dt.date.min):
            periods[f.accession] = f.end
    return periods
