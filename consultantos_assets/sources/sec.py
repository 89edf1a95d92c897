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
  recently filed one wins (restatements, split-adjusted per-share figures).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..models import METRICS, CompanyProfile, FinancialFact, Financials, Provenance
from ..models.financials import FLOW_METRICS
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
}
COST_CONCEPTS = ("CostOfRevenue", "CostOfGoodsAndServicesSold")
LIABILITIES_AND_EQUITY = "LiabilitiesAndStockholdersEquity"
# total equity first: liabilities = (liabilities + equity) - total equity including minority interest
TOTAL_EQUITY_CONCEPTS = (
    "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
    "StockholdersEquity",
)
DEI_SHARES = "EntityCommonStockSharesOutstanding"
DEI_CONCEPTS = (DEI_SHARES, "EntityPublicFloat")
BALANCE_METRICS = tuple(m for m in METRICS if m not in FLOW_METRICS)

ANNUAL_FORMS = frozenset({"10-K", "10-K/A"})
QUARTERLY_FORMS = frozenset({"10-Q", "10-Q/A"})
ANNUAL_DAYS = (350, 380)
QUARTER_DAYS = (80, 100)
YEARS_KEPT = 5
QUARTERS_KEPT = 8

# SEC unit names; edgartools renames "USD/shares" to "USD per share" when it parses.
_UNIT_ALIASES = {"USD": "USD", "usd": "USD", "shares": "shares", "USD/shares": "USD/shares",
                 "USD per share": "USD/shares"}

US_GAAP_CONCEPTS = frozenset(
    {c for cs in CONCEPTS.values() for c in cs} | set(COST_CONCEPTS) | {LIABILITIES_AND_EQUITY}
    | set(TOTAL_EQUITY_CONCEPTS)
)


class EdgarFact(Protocol):
    """The attributes of edgartools' FinancialFact that the selection reads."""

    concept: str
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
# one period's figures


_Index = dict[tuple[str, dt.date], list[_Fact]]


def _flow(index: _Index, metric: str, end: dt.date, unit: str) -> _Fact | None:
    """A flow for the period ending ``end``; gross profit falls back to revenue - cost of revenue."""
    fact = _pick(index, CONCEPTS[metric], end, unit)
    if fact is not None or metric != "gross_profit":
        return fact
    revenue = _pick(index, CONCEPTS["revenue"], end, "USD")
    cost = _pick(index, COST_CONCEPTS, end, "USD")
    if revenue is None or cost is None or revenue.start != cost.start:
        return None
    base = revenue if revenue.filed >= cost.filed else cost
    return _Fact(f"derived: {revenue.concept} - {cost.concept}", revenue.value - cost.value, "USD",
                 revenue.start, end, base.form, base.accession, base.filed)


def _balance(index: _Index, metric: str, end: dt.date, unit: str) -> _Fact | None:
    fact = _pick(index, CONCEPTS[metric], end, unit)
    if fact is not None or metric != "total_liabilities":
        return fact
    total = _pick(index, (LIABILITIES_AND_EQUITY,), end, "USD")
    equity = _pick(index, TOTAL_EQUITY_CONCEPTS, end, "USD")
    if total is None or equity is None:
        return None
    base = total if total.filed >= equity.filed else equity
    return _Fact(f"derived: {LIABILITIES_AND_EQUITY} - {equity.concept}", total.value - equity.value,
                 "USD", None, end, base.form, base.accession, base.filed)


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
    )


def _period_figures(index: _Index, cover: dict[dt.date, _Fact], end: dt.date, fiscal_year: int,
                    fiscal_period: str) -> list[FinancialFact]:
    out: list[FinancialFact] = []
    for metric, (_, unit) in METRICS.items():
        if metric in FLOW_METRICS:
            fact = _flow(index, metric, end, unit)
        elif metric == "shares_outstanding":
            fact = cover.get(end) or _balance(index, metric, end, unit)
        else:
            fact = _balance(index, metric, end, unit)
        if fact is not None:
            out.append(_to_model(metric, fact, fiscal_year, fiscal_period))
    return out


def _index(facts: list[_Fact], forms: frozenset[str], days: tuple[int, int]
           ) -> dict[tuple[str, dt.date], list[_Fact]]:
    """(concept, period end) -> facts of these forms: instants, or durations within ``days``."""
    index: dict[tuple[str, dt.date], list[_Fact]] = defaultdict(list)
    for f in facts:
        if f.form in forms and not f.concept.startswith("dei:") and (f.start is None or _in(f.days, days)):
            index[(f.concept, f.end)].append(f)
    return index


# ---------------------------------------------------------------------------------------------
# public


def select_financials(
    ticker: str, cik: int | None, entity_name: str | None, facts: Iterable[Any]
) -> tuple[list[FinancialFact], list[FinancialFact], list[str]]:
    """Choose annual and quarterly figures among parsed SEC facts.

    Returns (annual, quarterly, gaps): the last five fiscal years with revenue or net income
    (every metric found for them), the last eight discrete quarters from 10-Qs, and readable
    notes on what the latest fiscal year lacks.
    """
    usable = _normalise(facts)
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
    gaps = _gaps(ticker, annual, quarterly, years_with_results)
    log.debug("%s (CIK %s, %s): %d annual and %d quarterly figures", ticker, cik, entity_name,
              len(annual), len(quarterly))
    return annual, quarterly, gaps


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


def _gaps(ticker: str, annual: list[FinancialFact], quarterly: list[FinancialFact],
          years: list[int]) -> list[str]:
    if not years:
        return [f"no annual (10-K) revenue or net income found for {ticker}"]
    latest = max(years)
    found = {f.metric for f in annual if f.fiscal_year == latest}
    gaps = [f"{_metric_label(m)} not reported for FY{latest}" for m in METRICS if m not in found]
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
    annual, quarterly, gaps = select_financials(profile.ticker, cik, name, facts)
    if not annual and not quarterly:
        raise NoData(
            f"SEC company facts for {profile.ticker} (CIK {cik}) hold no 10-K or 10-Q statement "
            "figures (revenue, net income, ...): financial statements are missing",
            source="sec",
        )
    filed = [f.filed for f in annual + quarterly if f.filed]
    provenance = provenance.model_copy(update={"as_of": max(filed) if filed else None})
    return Financials(ticker=profile.ticker, cik=cik, entity_name=name, annual=annual,
                      quarterly=quarterly, gaps=gaps, provenance=provenance)


def companyfacts_path(snapshot_dir: Path, cik: int) -> Path:
    return Path(snapshot_dir) / "sec_edgar" / "companyfacts" / f"CIK{int(cik):010d}.json"


def parse_companyfacts(payload: dict) -> Any:
    """edgartools' parser over a companyfacts payload (None when it holds no facts)."""
    from edgar.entity.parser import EntityFactsParser

    return EntityFactsParser.parse_company_facts(payload)


class SnapshotFinancials:
    """Company facts from a snapshot's ``sec_edgar/companyfacts/`` folder, parsed by edgartools."""

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
        entity_facts = parse_companyfacts(payload) if isinstance(payload, dict) else None
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
