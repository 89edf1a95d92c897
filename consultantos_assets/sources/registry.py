"""Choose live or offline providers per source, and fall back when a live one fails (no dagster)."""

from __future__ import annotations

import functools
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..settings import Settings
from .base import MissingKey, NoData, ServiceUnavailable, SourceError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Served(Generic[T]):
    """A provider's answer plus what the user should know about how it was obtained."""

    value: T
    provider: str
    notes: list[str]


@dataclass(frozen=True)
class SourcePlan:
    """One source: its offline provider, and its live provider when keys/mode allow."""

    source: str
    offline: Callable[[], object]
    live: Callable[[], object] | None
    has_key: bool
    host: str | None = None


@functools.cache
def reachable(host: str, port: int = 443, timeout: float = 1.5) -> bool:
    """Whether a TCP connection to the service opens (checked once per process)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def plan_providers(settings: Settings) -> dict[str, SourcePlan]:
    from .companies import EdgarDirectory, SnapshotDirectory
    from .prices import SnapshotPrices, YahooPrices
    from .research import SnapshotResearch, TavilyResearch
    from .sec import EdgarFinancials, SnapshotFinancials
    from .trends import PyTrendsTrends, SnapshotTrends

    snap = settings.snapshot_dir
    return {
        "directory": SourcePlan("SEC company directory", lambda: SnapshotDirectory(snap),
                                lambda: EdgarDirectory(settings.edgar_identity), bool(settings.edgar_identity),
                                "data.sec.gov"),
        "financials": SourcePlan("SEC company facts", lambda: SnapshotFinancials(snap),
                                 lambda: EdgarFinancials(settings.edgar_identity), bool(settings.edgar_identity),
                                 "data.sec.gov"),
        "prices": SourcePlan("prices", lambda: SnapshotPrices(snap), lambda: YahooPrices(), True,
                             "query2.finance.yahoo.com"),
        "trends": SourcePlan("Google Trends", lambda: SnapshotTrends(snap), lambda: PyTrendsTrends(), True,
                             "trends.google.com"),
        "research": SourcePlan("web research", lambda: SnapshotResearch(snap),
                               lambda: TavilyResearch(settings.tavily_api_key), bool(settings.tavily_api_key),
                               "api.tavily.com"),
    }


def serve(mode: str, plan: SourcePlan, call: Callable[[object], T]) -> Served[T]:
    """Run `call` on the provider the mode selects.

    offline: the snapshot only. live: the live provider only (errors propagate).
    auto: the live provider when its key is configured and its host answers, falling back to the
    snapshot when the service then fails; the notes say which was used and why.
    """
    if mode == "offline" or plan.live is None:
        p = plan.offline()
        return Served(call(p), getattr(p, "name", "snapshot"), [])
    if mode == "live":
        p = plan.live()
        return Served(call(p), getattr(p, "name", "live"), [])
    if not plan.has_key or (plan.host and not reachable(plan.host)):
        p = plan.offline()
        reason = "no key configured" if not plan.has_key else f"{plan.host} not reachable"
        return Served(call(p), getattr(p, "name", "snapshot"), [f"{plan.source}: snapshot used ({reason})"])
    live = plan.live()
    try:
        return Served(call(live), getattr(live, "name", "live"), [])
    except (ServiceUnavailable, MissingKey, NoData) as exc:
        log.warning("%s live provider failed, using snapshot: %s", plan.source, exc)
        p = plan.offline()
        return Served(call(p), getattr(p, "name", "snapshot"),
                      [f"{plan.source}: live provider failed ({exc}); snapshot used"])


__all__ = ["Served", "SourcePlan", "SourceError", "plan_providers", "serve"]
