"""Choose live or offline providers per source, and fall back when a live one fails (no dagster)."""

from __future__ import annotations

import functools
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..settings import Settings, SourceFaultSettings
from .base import MissingKey, NoData, ServiceUnavailable, SourceError
from .breaker import JsonBreakerStore, breaker_path
from .retry import Guard, make_guard

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Served(Generic[T]):
    """A provider's answer plus what the user should know about how it was obtained.

    served_from: live | snapshot | last_good (the value stored by an earlier run) | none
    fault:       why the live provider did not serve it ("Google Trends: HTTP 429 after 4 attempts (38 s)")
    breaker:     the service's circuit breaker when it is not plainly closed
    """

    value: T
    provider: str
    notes: list[str]
    served_from: str = "live"
    fault: str | None = None
    breaker: str | None = None


@dataclass(frozen=True)
class SourcePlan:
    """One source: its offline provider, and its live provider when keys/mode allow."""

    source: str
    offline: Callable[[], object]
    live: Callable[[], object] | None
    has_key: bool
    host: str | None = None
    guard: Guard | None = None


@functools.cache
def reachable(host: str, port: int = 443, timeout: float = 1.5) -> bool:
    """Whether a TCP connection to the service opens (checked once per process)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def plan_providers(settings: Settings, faults: SourceFaultSettings | None = None) -> dict[str, SourcePlan]:
    """Providers per source. Live ones share one guard per service (retries, timeout, and the breaker
    kept under the storage root) and SEC requests one client (identity, process-wide rate limit)."""
    from .companies import SnapshotDirectory
    from .edgar_directory import EdgarDirectory
    from .prices import SnapshotPrices, YahooPrices
    from .research import SnapshotResearch, TavilyResearch
    from .search_interest import PyTrendsTrends, SnapshotTrends
    from .sec import EdgarFinancials, SnapshotFinancials
    from .sec_http import SecClient, process_limiter

    faults = faults or SourceFaultSettings.from_env()
    breakers = settings.breakers
    if breakers is None and settings.home is not None:
        breakers = JsonBreakerStore(breaker_path(settings.home))
    guards = {name: make_guard(name, breakers, faults)
              for name in ("SEC EDGAR", "Yahoo Finance", "Google Trends", "Tavily")}
    sec = SecClient(settings.edgar_identity, guards["SEC EDGAR"], process_limiter(faults.sec_rate_per_sec))
    snap = settings.snapshot_dir
    return {
        "directory": SourcePlan("SEC company directory", lambda: SnapshotDirectory(snap),
                                lambda: EdgarDirectory(settings.edgar_identity, sec), bool(settings.edgar_identity),
                                "data.sec.gov", guards["SEC EDGAR"]),
        "financials": SourcePlan("SEC company facts", lambda: SnapshotFinancials(snap),
                                 lambda: EdgarFinancials(settings.edgar_identity, sec), bool(settings.edgar_identity),
                                 "data.sec.gov", guards["SEC EDGAR"]),
        "prices": SourcePlan("Share prices", lambda: SnapshotPrices(snap),
                             lambda: YahooPrices(guards["Yahoo Finance"]), True,
                             "query2.finance.yahoo.com", guards["Yahoo Finance"]),
        "trends": SourcePlan("Google Trends", lambda: SnapshotTrends(snap),
                             lambda: PyTrendsTrends(guard=guards["Google Trends"]), True,
                             "trends.google.com", guards["Google Trends"]),
        "research": SourcePlan("Web research", lambda: SnapshotResearch(snap),
                               lambda: TavilyResearch(settings.tavily_api_key, guard=guards["Tavily"]),
                               bool(settings.tavily_api_key), "api.tavily.com", guards["Tavily"]),
    }


def _breaker(plan: SourcePlan) -> str | None:
    try:
        return plan.guard.breaker_status() if plan.guard else None
    except Exception as exc:  # noqa: BLE001 - the state file is informative here
        log.warning("breaker state of %s unreadable: %s", plan.source, exc)
        return None


def serve(mode: str, plan: SourcePlan, call: Callable[[object], T],
          last_good: Callable[[], T | None] | None = None) -> Served[T]:
    """Run `call` on the provider the mode selects.

    offline: the snapshot only. live/auto: the live provider (auto: when its key is configured and its
    host answers, else the snapshot). When the live provider fails (after its retries, or skipped by an
    open breaker) or has no data, the order is: `last_good()` (the value an earlier run stored, kept
    with its own as-of date) -> in auto mode the snapshot -> the live error, raised for the caller to
    record as the source's gap.
    """
    if mode == "offline" or plan.live is None:
        p = plan.offline()
        return Served(call(p), getattr(p, "name", "snapshot"), [], served_from="snapshot")
    if mode == "auto" and (not plan.has_key or (plan.host and not reachable(plan.host))):
        p = plan.offline()
        reason = "no key configured" if not plan.has_key else f"{plan.host} not reachable"
        return Served(call(p), getattr(p, "name", "snapshot"), [f"{plan.source}: snapshot used ({reason})"],
                      served_from="snapshot")
    live = plan.live()
    try:
        return Served(call(live), getattr(live, "name", "live"), [])
    except (ServiceUnavailable, MissingKey, NoData) as exc:
        fault = str(exc)
        breaker = _breaker(plan)
        log.warning("%s: live refresh failed: %s%s", plan.source, fault, f"; breaker {breaker}" if breaker else "")
        stored = last_good() if last_good is not None else None
        if stored is not None:
            return Served(stored, "last good value", [], served_from="last_good", fault=fault, breaker=breaker)
        if mode == "live":
            raise
        p = plan.offline()
        try:
            value = call(p)
        except NoData as snap_exc:
            raise type(exc)(f"{fault}; the snapshot has nothing either ({snap_exc})", source=plan.source) from exc
        return Served(value, getattr(p, "name", "snapshot"),
                      [f"{plan.source}: live provider failed ({fault}); snapshot used"],
                      served_from="snapshot", fault=fault, breaker=breaker)


__all__ = ["Served", "SourcePlan", "SourceError", "plan_providers", "serve"]
