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
  span a year earlier, each from one concept (:func:`ttm_figures`).

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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ..models import METRICS, CompanyProfile, FinancialFact, Financials, Provenance, StockSplit
from ..models.financials import FLOW_METRICS_SET
from .base import NoData
from .sec_facts import (
    ANNUAL_DAYS,
    ANNUAL_FORMS,
    CONCEPTS,
    DEI_CONCEPTS,
    QUARTER_DAYS,
    QUARTERLY_FORMS,
    QUARTERS_KEPT,
    US_GAAP_CONCEPTS,
    YEARS_KEPT,
    RawFact,
    SecFact,
    annual_ends,
    document_periods,
    metric_label,
    normalise_facts,
    quarter_label,
)
from .sec_figures import cover_shares, index_facts, period_figures, ttm_figures
from .sec_splits import detect_splits, restate_to_latest_basis

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# fiscal calendar


# ---------------------------------------------------------------------------------------------
# normalisation of edgartools facts


# ---------------------------------------------------------------------------------------------
# period discovery


# ---------------------------------------------------------------------------------------------
# one share basis: stock splits from restatements


# ---------------------------------------------------------------------------------------------
# one period's figures


# ---------------------------------------------------------------------------------------------
# trailing twelve months


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
    raw = normalise_facts(facts)
    splits = detect_splits(raw)
    usable = restate_to_latest_basis(raw, splits)
    year_ends = annual_ends(usable)
    doc_period = document_periods(usable)

    annual_index = index_facts(usable, ANNUAL_FORMS, ANNUAL_DAYS)
    annual_cover = cover_shares(usable, doc_period, ANNUAL_FORMS)
    annual: list[FinancialFact] = []
    years_with_results: list[int] = []
    for year in sorted(year_ends, reverse=True):
        figures = period_figures(annual_index, annual_cover, year_ends[year], year, "FY")
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
        ttm = ttm_figures(usable, year_ends, latest_q.period_end, latest_q.fiscal_year)
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


def _select_quarters(usable: list[SecFact], doc_period: dict[str, dt.date], year_ends: list[dt.date]
                     ) -> list[FinancialFact]:
    index = index_facts(usable, QUARTERLY_FORMS, QUARTER_DAYS)
    cover = cover_shares(usable, doc_period, QUARTERLY_FORMS)
    anchors = set(CONCEPTS["revenue"]) | set(CONCEPTS["net_income"])
    ends = sorted({end for (concept, end), fs in index.items()
                   if concept in anchors and any(f.start is not None for f in fs)})
    labelled: dict[tuple[int, str], dt.date] = {}
    for end in ends:  # ascending: a later end for the same label replaces an earlier one
        labelled[quarter_label(end, year_ends)] = end
    chosen = sorted(labelled.items(), key=lambda kv: kv[1])[-QUARTERS_KEPT:]
    out: list[FinancialFact] = []
    for (year, label), end in chosen:
        out.extend(period_figures(index, cover, end, year, label))
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
    gaps = [f"{metric_label(m)} not reported for FY{latest}" for m in METRICS
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
