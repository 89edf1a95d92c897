"""Build each source model for one company from whichever providers serve it (no dagster).

`serve(key, call)` runs `call` on the provider chosen for `key` and returns a `Served`; the Dagster
resource and plain scripts/tests both supply one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..analysis.metrics import price_stats
from ..models import CompanyProfile, CompanyResearch, Financials, MarketTrends, Provenance
from ..settings import Settings
from .base import NoData
from .registry import Served, plan_providers, serve

log = logging.getLogger(__name__)
Serve = Callable[[str, Callable], Served]


def settings_serve(settings: Settings) -> Serve:
    """A `serve` over fresh providers built from settings (scripts and tests)."""
    plans = plan_providers(settings)
    built: dict[tuple[str, bool], object] = {}

    def cached(key: str, live: bool):
        if (key, live) not in built:
            built[(key, live)] = plans[key].live() if live else plans[key].offline()
        return built[(key, live)]

    def _serve(key: str, call: Callable) -> Served:
        plan = plans[key]
        wrapped = type(plan)(plan.source, lambda: cached(key, False),
                             (lambda: cached(key, True)) if plan.live else None, plan.has_key, plan.host)
        return serve(settings.mode, wrapped, call)

    return _serve


def profile(serve_: Serve, ticker: str) -> CompanyProfile:
    return serve_("directory", lambda d: d.profile(ticker)).value


def research(serve_: Serve, prof: CompanyProfile) -> tuple[CompanyResearch, int]:
    filings = serve_("directory", lambda d: d.filings(prof)).value
    served = serve_("research", lambda r: r.research(prof, filings))
    value: CompanyResearch = served.value
    value.provenance.notes.extend(served.notes)
    return value, len(filings)


def trends(serve_: Serve, prof: CompanyProfile) -> MarketTrends:
    keywords = list(dict.fromkeys([*prof.keywords, prof.ticker]))
    try:
        served = serve_("trends", lambda t: t.trends(prof.ticker, keywords))
    except NoData as exc:
        log.warning("%s", exc)
        return MarketTrends(ticker=prof.ticker, keywords=keywords, missing=keywords,
                            provenance=Provenance(provider="none", mode="offline", notes=[str(exc)]))
    value: MarketTrends = served.value
    value.provenance.notes.extend(served.notes)
    return value


def financials(serve_: Serve, prof: CompanyProfile) -> Financials:
    t = prof.ticker
    try:
        served = serve_("financials", lambda f: f.financials(prof))
        fin: Financials = served.value
        fin.provenance.notes.extend(served.notes)
    except NoData as exc:
        log.warning("%s", exc)
        fin = Financials(ticker=t, cik=prof.cik, entity_name=prof.name,
                         gaps=[f"Financial statements are missing for {t}: no SEC company facts were found."],
                         provenance=Provenance(provider="none", mode="offline", notes=[str(exc)]))
    try:
        px = serve_("prices", lambda p: p.daily_closes(t))
        points, prov = px.value
        shares = fin.latest("shares_outstanding")
        fin.prices = price_stats(points, shares.value if shares else None)
        prov.notes.extend(px.notes)
        fin.price_provenance = prov
    except NoData as exc:
        log.warning("%s", exc)
        fin.gaps.append(f"No price history for {t}.")
    return fin


def gather(settings: Settings, ticker: str) -> tuple[CompanyResearch, MarketTrends, Financials]:
    """All three source models for a ticker, outside Dagster."""
    s = settings_serve(settings)
    prof = profile(s, ticker)
    return research(s, prof)[0], trends(s, prof), financials(s, prof)
