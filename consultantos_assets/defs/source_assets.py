"""The source assets: company_profile (the company looked up once per run), then company_research,
market_trends and financials, each reading that profile as an input; each from the providers the mode
selects, the last good value kept when a live refresh fails (its provenance says so), with where each
part came from as metadata."""

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import dagster as dg
from pydantic import BaseModel

from ..analysis.quality import financials_problems
from ..models import CompanyProfile, CompanyResearch, Financials, MarketTrends, Provenance, SourcedProfile
from ..sources import collect
from ..sources.base import SourceError
from .company_graph import company_asset, company_check, md_list, ticker_of, versioned_output
from .metadata import ROW_COUNT, financials_preview, latest_value
from .pools import POOLS
from .resources import SourcesResource


def _provenance_metadata(p: Provenance) -> dict[str, object]:
    return {
        "provider": p.provider,
        "mode": p.mode,
        "as_of": p.as_of.isoformat() if p.as_of else "unknown",
        "location": p.location or "",
        "notes": md_list(p.notes),
    }


SNAPSHOT_INPUTS = "snapshot_inputs"


def _inputs_metadata(context: dg.AssetExecutionContext, sources: SourcesResource, profile) -> dict[str, object]:
    """The fingerprint of the snapshot files this source read: a report run refreshes the source when
    it differs from the snapshot's files now (defs/automation.py: report_plan)."""
    return {SNAPSHOT_INPUTS: sources.snapshot_fingerprint(context.asset_key.path[-1], profile.ticker, profile.cik)}


# ------------------------------------------------------------------------------------------- sources
# Retries live in the providers (sources/retry.py: one policy per service, bounded in attempts and time,
# with a circuit breaker shared across runs). The source assets carry no dg.RetryPolicy: a step retry
# would multiply those attempts and re-run the fallbacks; what still fails a source step (an unknown
# company, a configuration error) fails the same way on every try.
class StoredValues(Protocol):
    """What the source assets need from the IO manager: the value an earlier run stored."""

    def stored_value(self, asset_key: dg.AssetKey, partition: str) -> BaseModel | None: ...


_WORST = ["live", "snapshot", "last_good", "none"]


def worst_served(served: list[str]) -> str:
    """Where a value made of parts came from: the worst part's (live, snapshot, last_good, none)."""
    return max(served, key=_WORST.index, default="snapshot")


def last_stored(context: dg.AssetExecutionContext, io_manager: StoredValues, cls: type[BaseModel]):
    """What an earlier run stored for this asset and company, when it is a `cls` (else None)."""
    value = io_manager.stored_value(context.asset_key, ticker_of(context))
    return value if isinstance(value, cls) else None


def _served_and_faults(outcomes: list[collect.SourceOutcome]) -> tuple[str, list[str]]:
    """Where the asset's value came from (the worst part wins) and the faults of its parts."""
    served = worst_served([o.served_from for o in outcomes])
    return served, [o.fault for o in outcomes if o.fault]


def _with_refresh_fault(value, outcomes: list[collect.SourceOutcome]):
    """The value, or when its refresh failed and the last good value was kept, a copy whose provenance
    says so (and the price provenance, when the share prices' refresh failed); the fields are left
    out of the data version, so the kept value's version stays."""
    served, faults = _served_and_faults(outcomes)
    if served != "last_good" or not faults:
        return value
    now = dt.datetime.now(dt.UTC)
    value = value.model_copy(deep=True)
    value.provenance.refresh_fault, value.provenance.refresh_failed_at = "; ".join(faults), now
    prices = next((o for o in outcomes if o.part == "prices"), None)
    if isinstance(value, Financials) and value.price_provenance is not None and prices is not None \
            and prices.served_from == "last_good" and prices.fault:
        value.price_provenance.refresh_fault, value.price_provenance.refresh_failed_at = prices.fault, now
    return value


def _fault_metadata(context: dg.AssetExecutionContext, outcomes: list[collect.SourceOutcome],
                    stored_as_of=None) -> dict[str, object]:
    """served_from / fault / breaker per asset (the worst part wins), and a warning per fault."""
    served, faults = _served_and_faults(outcomes)
    breakers = [f"{o.source}: {o.breaker}" for o in outcomes if o.breaker]
    for o in outcomes:
        if o.fault:
            kept = {"last_good": "the last good value is kept" + (f" (as of {stored_as_of})" if stored_as_of else ""),
                    "snapshot": "the snapshot is used", "none": "the gap is recorded in the report"}
            context.log.warning(f"{o.source}: refresh failed ({o.fault}); {kept.get(o.served_from, o.served_from)}")
        if o.breaker:
            context.log.warning(f"{o.source}: circuit breaker {o.breaker}")
    return {
        "served_from": served,
        "fault": "; ".join(faults) or "none",
        "breaker": "; ".join(breakers) or "closed",
        "sources": dg.MetadataValue.md("\n".join(
            f"- {o.source}: {o.served_from} ({o.provider}){' - ' + o.fault if o.fault else ''}" for o in outcomes)
            or "none"),
    }


@dataclass
class _Refresh:
    """One source asset's refresh: the company, the value an earlier run stored (kept when a live refresh
    fails) and the outcome of each part the providers gathered."""

    context: dg.AssetExecutionContext
    sources: SourcesResource
    profile: CompanyProfile
    stored: BaseModel | None
    outcomes: list[collect.SourceOutcome]

    @classmethod
    def start(cls, context: dg.AssetExecutionContext, sources: SourcesResource, io_manager: StoredValues,
              model: type[BaseModel], company: SourcedProfile) -> "_Refresh":
        return cls(context, sources, company.profile, last_stored(context, io_manager, model), [])

    def gather(self, collect_part):
        """`collect_part` (a sources.collect function) for the company; each part's outcome is recorded."""
        return collect_part(self.sources.serve, self.profile, self.stored, self.outcomes, self.sources.settings().mode)

    def output(self, value, metadata: dict[str, object]) -> dg.Output:
        """The value (its provenance marked when the refresh failed and the stored value is kept) with
        where it came from, the snapshot files read and the faults, then the asset's own `metadata`."""
        value = _with_refresh_fault(value, self.outcomes)
        stored_as_of = self.stored.provenance.as_of if self.stored is not None else None
        return versioned_output(value, {
            **_provenance_metadata(value.provenance),
            **_inputs_metadata(self.context, self.sources, self.profile),
            **_fault_metadata(self.context, self.outcomes, stored_as_of),
            **metadata,
        })


@company_asset(group="sources")
def company_profile(context: dg.AssetExecutionContext, sources: SourcesResource,
                    io_manager: dg.ResourceParam[StoredValues]) -> dg.Output[SourcedProfile]:
    """The company as the SEC company directory knows it (name, CIK, classification, fiscal year end,
    exchanges, search keywords), looked up once per run and read by the other sources and the peers; the
    last good profile is kept when a live lookup fails."""
    ticker = ticker_of(context)
    stored = last_stored(context, io_manager, SourcedProfile)
    outcomes: list[collect.SourceOutcome] = []
    try:
        value = collect.sourced_profile(sources.serve, ticker, stored, outcomes, sources.settings().mode)
    except SourceError as exc:  # unknown company, or the directory failed with no stored profile
        raise dg.Failure(description=f"{ticker}: the company could not be looked up ({exc})") from exc
    prof = value.profile
    value = _with_refresh_fault(value, outcomes)
    stored_as_of = stored.provenance.retrieved_at if stored is not None else None
    return versioned_output(value, {
        **_provenance_metadata(value.provenance),
        **_inputs_metadata(context, sources, prof),
        **_fault_metadata(context, outcomes, stored_as_of.date() if stored_as_of else None),
        "company": prof.name,
        ROW_COUNT: 1,
        "cik": prof.cik or "none",
        "classification": ", ".join(x for x in (prof.sector, prof.industry, prof.sic_description) if x) or "none",
        "keywords": ", ".join(prof.keywords) or "none",
    })


@company_asset(group="sources", pool=POOLS["company_research"])
def company_research(context: dg.AssetExecutionContext, sources: SourcesResource, company_profile: SourcedProfile,
                     io_manager: dg.ResourceParam[StoredValues]) -> dg.Output[CompanyResearch]:
    """Documents about the company: profile and filing history written from SEC facts, the user's own
    documents, and web research when live."""
    refresh = _Refresh.start(context, sources, io_manager, CompanyResearch, company_profile)
    research, n_filings = refresh.gather(collect.research)
    for warning in research.warnings:
        context.log.warning(warning)
    return refresh.output(research, {
        "company": refresh.profile.name,
        ROW_COUNT: len(research.documents),
        "documents": len(research.documents),
        "user_documents": sum(1 for d in research.documents if d.kind == "user"),
        "filings": n_filings,
        "warnings": len(research.warnings),
        "warning_details": md_list(research.warnings),
    })


@company_asset(group="sources", pool=POOLS["market_trends"])
def market_trends(context: dg.AssetExecutionContext, sources: SourcesResource, company_profile: SourcedProfile,
                  io_manager: dg.ResourceParam[StoredValues]) -> dg.Output[MarketTrends]:
    """Weekly search interest for the company's keywords with 12- vs 52-week momentum."""
    refresh = _Refresh.start(context, sources, io_manager, MarketTrends, company_profile)
    trends = refresh.gather(collect.trends)
    best = max((s for s in trends.series if s.momentum is not None), key=lambda s: s.momentum, default=None)
    return refresh.output(trends, {
        "keywords": len(trends.keywords),
        ROW_COUNT: sum(len(s.points) for s in trends.series),
        "series": len(trends.series),
        "missing": ", ".join(trends.missing) or "none",
        "top_momentum": f"{best.keyword}: {best.momentum:+.1%}" if best else "n/a",
    })


@company_asset(
    group="sources",
    pool=POOLS["financials"],
    check_specs=[company_check("fiscal_periods_sane", "financials", blocking=True,
                               description="One value per metric and year, annual durations of "
                               "350-380 days, quarters of 80-100 days, years in order.")],
)
def financials(context: dg.AssetExecutionContext, sources: SourcesResource, company_profile: SourcedProfile,
               io_manager: dg.ResourceParam[StoredValues]):
    """Annual and quarterly SEC XBRL facts (USD, shares, USD/share) with fiscal periods and accessions, plus
    price statistics from daily closes."""
    refresh = _Refresh.start(context, sources, io_manager, Financials, company_profile)
    fin = refresh.gather(collect.financials)
    for gap in fin.gaps:
        context.log.warning(gap)
    yield refresh.output(fin, {
        "fiscal_years": ", ".join(str(y) for y in fin.fiscal_years()) or "none",
        ROW_COUNT: len(fin.annual) + len(fin.quarterly),
        "annual_facts": len(fin.annual),
        "quarterly_facts": len(fin.quarterly),
        **latest_value(fin, "revenue"),
        "annual_preview": financials_preview(fin),
        "price_as_of": fin.prices.last_date.isoformat() if fin.prices else "n/a",
        "price_provider": fin.price_provenance.provider if fin.price_provenance else "none",
        "gaps": md_list(fin.gaps),
    })
    problems = financials_problems(fin)
    yield dg.AssetCheckResult(
        check_name="fiscal_periods_sane",
        passed=not problems,
        metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
                  "years_checked": len(fin.fiscal_years())},
    )


def nothing_gathered(research: CompanyResearch, trends: MarketTrends, fin: Financials) -> list[str]:
    """One line per source when every source failed or had no data (else empty): no report is worth
    writing from a profile alone."""
    if research.provenance.provider != "none" or trends.provenance.provider != "none" or \
            fin.provenance.provider != "none" or fin.prices is not None:
        return []
    price = next(iter(fin.price_gaps()), "no price history")
    return [f"Web research: {'; '.join(research.provenance.notes) or 'unavailable'}",
            f"Google Trends: {'; '.join(trends.provenance.notes) or 'unavailable'}",
            f"SEC company facts: {'; '.join(fin.provenance.notes) or 'unavailable'}",
            f"Share prices: {price}"]
