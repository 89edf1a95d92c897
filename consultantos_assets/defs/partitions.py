"""Company partitions: one dynamic partition per validated, upper-case ticker."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from ..models import normalize_ticker

companies = dg.DynamicPartitionsDefinition(name="companies")


def validated(tickers: Iterable[str]) -> list[str]:
    """Normalise tickers; raise InvalidTicker on the first bad one (nothing is added then)."""
    out: list[str] = []
    for raw in tickers:
        t = normalize_ticker(raw)
        if t not in out:
            out.append(t)
    return out


def add_companies(instance: dg.DagsterInstance, tickers: Iterable[str]) -> list[str]:
    """Validate all tickers first, then add the ones that are new. Returns the new ones."""
    wanted = validated(tickers)
    existing = set(instance.get_dynamic_partitions(companies.name))
    new = [t for t in wanted if t not in existing]
    if new:
        instance.add_dynamic_partitions(companies.name, new)
    return new
