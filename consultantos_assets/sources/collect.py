"""Build each source model for one company from whichever providers serve it (no dagster).

`serve(key, call)` runs `call` on the provider chosen for `key` and returns a `Served`; the Dagster
resource and plain scripts/tests both supply one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from ..analysis.metrics import price_stats
from ..models import CompanyProfile, CompanyResearch, Financials, MarketTrends, Provenance, SourcedProfile
from ..models.financials import price_gap
from ..settings import Settings
from .base import NoData, SourceError
from .fact_documents import fact_documents
from .registry import Served, plan_providers, serve

log = logging.getLogger(__name__)
Serve = Callable[..., Served]  # serve(key, call, last_good=None) -> Served
Part = Literal["value", "prices"]


@dataclass
class SourceOutcome:
    """How one source of an asset was served this time; reported as metadata, never stored in the value."""

    source: str
    served_from: str  # live | snapshot | last_good | none
    provider: str
    fault: str | None = None
    breaker: str | None = None
    part: Part = "value"  # the part of the value it served: "value" (its provenance) or "prices"

    @classmethod
    def of(cls, source: str, served: Served, part: Part = "value") -> SourceOutcome:
        return cls(source, served.served_from, served.provider, served.fault, served.breaker, part)


def settings_serve(settings: Settings) -> Serve:
    """A `serve` over fresh providers built from settings (scripts and tests)."""
    plans = plan_providers(settings)
    built: dict[tuple[str, bool], object] = {}

    def cached(key: str, live: bool):
        if (key, live) not in built:
            built[(key, live)] = plans[key].live() if live else plans[key].offline()
        return built[(key, live)]

    def _serve(key: str, call: Callable, last_good: Callable | None = None) -> Served:
        plan = plans[key]
        wrapped = replace(plan, offline=lambda: cached(key, False),
                          live=(lambda: cached(key, True)) if plan.live else None)
        return serve(settings.mode, wrapped, call, last_good)

    return _serve


def _record(outcomes: list[SourceOutcome] | None, outcome: SourceOutcome) -> None:
    if outcomes is not None:
        outcomes.append(outcome)
    if outcome.fault:
        log.warning("%s served from %s: %s", outcome.source, outcome.served_from, outcome.fault)


def _mode(served_mode: str) -> str:
    return "offline" if served_mode == "offline" else "live"


def profile(serve_: Serve, ticker: str) -> CompanyProfile:
    """The company's profile from the directory (a peer's, a ticker to check: nothing stored to fall back on)."""
    return serve_("directory", lambda d: d.profile(ticker)).value


def sourced_profile(serve_: Serve, ticker: str, last_good: SourcedProfile | None = None,
                    outcomes: list[SourceOutcome] | None = None, mode: str = "auto") -> SourcedProfile:
    """The company's profile with where it came from; when the live directory fails, the profile an
    earlier run stored, exactly as it was. Raises SourceError when there is neither."""
    served = serve_("directory", lambda d: d.profile(ticker), (lambda: last_good) if last_good is not None else None)
    _record(outcomes, SourceOutcome.of("SEC company directory", served))
    if served.served_from == "last_good":
        return served.value
    return SourcedProfile(ticker=ticker, profile=served.value, provenance=Provenance(
        provider=served.provider, mode=_mode(mode), retrieved_at=dt.datetime.now(dt.UTC), notes=list(served.notes)))


def research(serve_: Serve, prof: CompanyProfile, last_good: CompanyResearch | None = None,
             outcomes: list[SourceOutcome] | None = None, mode: str = "auto") -> tuple[CompanyResearch, int]:
    keep = (lambda: last_good) if last_good is not None else None
    try:
        filings = serve_("directory", lambda d: d.filings(prof), (lambda: last_good.filings) if last_good else None)
    except SourceError as exc:  # no filing history: research goes on with the profile alone
        filings = Served([], "none", [], served_from="none", fault=str(exc))
    if filings.served_from == "last_good" and last_good is not None:
        _record(outcomes, SourceOutcome.of("SEC filings", filings))
        return last_good, len(last_good.filings)
    try:
        served = serve_("research", lambda r: r.research(prof, filings.value), keep)
    except SourceError as exc:
        _record(outcomes, SourceOutcome("Web research", "none", "none", str(exc)))
        value = _research_gap(prof, filings.value, str(exc), mode)
        return value, len(filings.value)
    value: CompanyResearch = served.value
    _record(outcomes, SourceOutcome.of("Web research", served))
    if served.served_from != "last_good":
        value.provenance.notes.extend(served.notes)
        if filings.fault:
            value.warnings.append(f"Filing history unavailable: {filings.fault}")
    return value, len(value.filings)


def _research_gap(prof: CompanyProfile, filings: list, fault: str, mode: str) -> CompanyResearch:
    """Research with only the documents written from the company's SEC facts, and the fault as a gap."""
    docs = fact_documents(prof, filings, {})
    return CompanyResearch(
        ticker=prof.ticker, profile=prof, filings=list(filings), documents=docs,
        provenance=Provenance(provider="none", mode=_mode(mode), notes=[f"Web research unavailable: {fault}"]),
        warnings=[f"Web research unavailable: {fault}"],
    )


def trends(serve_: Serve, prof: CompanyProfile, last_good: MarketTrends | None = None,
           outcomes: list[SourceOutcome] | None = None, mode: str = "auto") -> MarketTrends:
    keywords = list(dict.fromkeys([*prof.keywords, prof.ticker]))
    try:
        served = serve_("trends", lambda t: t.trends(prof.ticker, keywords),
                        (lambda: last_good) if last_good is not None else None)
    except SourceError as exc:
        _record(outcomes, SourceOutcome("Google Trends", "none", "none", str(exc)))
        return MarketTrends(ticker=prof.ticker, keywords=keywords, missing=keywords,
                            provenance=Provenance(provider="none", mode=_mode(mode),
                                                  notes=[f"Search-interest data unavailable: {exc}"]))
    _record(outcomes, SourceOutcome.of("Google Trends", served))
    value: MarketTrends = served.value
    if served.served_from != "last_good":
        value.provenance.notes.extend(served.notes)
    return value


def financials(serve_: Serve, prof: CompanyProfile, last_good: Financials | None = None,
               outcomes: list[SourceOutcome] | None = None, mode: str = "auto") -> Financials:
    """SEC statements and price statistics; each part falls back on its own (last good, snapshot, gap)."""
    t = prof.ticker
    parts: list[str] = []  # where the statements and the prices came from
    stored_statements = None
    if last_good is not None and last_good.has_statements:
        stored_statements = last_good.model_copy(deep=True, update={"prices": None, "price_provenance": None})
        stored_statements.gaps = stored_statements.statement_gaps()
    try:
        served = serve_("financials", lambda f: f.financials(prof),
                        (lambda: stored_statements) if stored_statements is not None else None)
        fin: Financials = served.value.model_copy(deep=True) if served.served_from == "last_good" else served.value
        _record(outcomes, SourceOutcome.of("SEC company facts", served))
        parts.append(served.served_from)
        if served.served_from != "last_good":
            fin.provenance.notes.extend(served.notes)
    except SourceError as exc:
        _record(outcomes, SourceOutcome("SEC company facts", "none", "none", str(exc)))
        missing = (f"Financial statements are missing for {t}: no SEC company facts were found."
                   if isinstance(exc, NoData) else f"Financial statements unavailable: {exc}")
        fin = Financials(ticker=t, cik=prof.cik, entity_name=prof.name, gaps=[missing],
                         provenance=Provenance(provider="none", mode=_mode(mode), notes=[str(exc)]))
    stored_prices = last_good if last_good is not None and last_good.prices is not None else None
    try:
        prices_served = serve_("prices", lambda p: p.daily_closes(t), (lambda: stored_prices) if stored_prices else None)
        _record(outcomes, SourceOutcome.of("Share prices", prices_served, part="prices"))
        parts.append(prices_served.served_from)
        if prices_served.served_from == "last_good":
            fin.prices = stored_prices.prices  # type: ignore[union-attr]
            fin.price_provenance = stored_prices.price_provenance  # type: ignore[union-attr]
            fin.gaps.extend(stored_prices.price_gaps())  # type: ignore[union-attr]
        else:
            points, prov = prices_served.value
            shares = fin.latest_reported("shares_outstanding")  # newest cover, latest split basis
            fin.prices = price_stats(points, shares.value if shares else None,
                                     shares.period_end if shares else None, shares.accession if shares else None)
            prov.notes.extend(prices_served.notes)
            fin.price_provenance = prov
    except SourceError as exc:
        _record(outcomes, SourceOutcome("Share prices", "none", "none", str(exc), part="prices"))
        fin.gaps.append(price_gap(t, None if isinstance(exc, NoData) else str(exc)))
    if last_good is not None and parts == ["last_good", "last_good"]:
        return last_good  # nothing refreshed: the stored value exactly as it was
    return fin


def gather(settings: Settings, ticker: str) -> tuple[CompanyResearch, MarketTrends, Financials]:
    """All three source models for a ticker, outside Dagster."""
    s = settings_serve(settings)
    prof = profile(s, ticker)
    return (research(s, prof, mode=settings.mode)[0], trends(s, prof, mode=settings.mode),
            financials(s, prof, mode=settings.mode))
