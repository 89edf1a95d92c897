"""Company partitions: one dynamic partition per validated, upper-case ticker."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from ..models import InvalidTicker, normalize_ticker

companies = dg.DynamicPartitionsDefinition(name="companies")


def validated(tickers: Iterable[str]) -> list[str]:
    """Normalise tickers; raise InvalidTicker on the first bad one (nothing is added then)."""
    out: list[str] = []
    for raw in tickers:
        t = normalize_ticker(raw)
        if t not in out:
            out.append(t)
    return out


def partition_problem(key: str) -> str | None:
    """Why a partition key cannot name a company (None when it is a valid upper-case ticker).

    Keys normally come through `add_companies`, but the UI's "Add partition" accepts any text."""
    try:
        ticker = normalize_ticker(key)
    except InvalidTicker as exc:
        return str(exc)
    if ticker != key:
        return f"not upper case: the company's partition is {ticker!r}"
    return None


def valid_companies(instance: dg.DagsterInstance) -> tuple[list[str], dict[str, str]]:
    """(valid company keys, {invalid key: reason}) among the `companies` partitions."""
    good: list[str] = []
    bad: dict[str, str] = {}
    for key in instance.get_dynamic_partitions(companies.name):
        problem = partition_problem(key)
        if problem is None:
            good.append(key)
        else:
            bad[key] = problem
    return good, bad


def add_companies(instance: dg.DagsterInstance, tickers: Iterable[str]) -> list[str]:
    """Validate all tickers first, then add the ones that are new. Returns the new ones.

    Two processes adding the same company at once race on the partitions table's unique index; the
    loser re-reads the table and finds the company there."""
    wanted = validated(tickers)
    for attempt in range(3):
        existing = set(instance.get_dynamic_partitions(companies.name))
        new = [t for t in wanted if t not in existing]
        if not new:
            return []
        try:
            instance.add_dynamic_partitions(companies.name, new)
            return new
        except Exception:  # sqlalchemy IntegrityError from a concurrent insert of the same key
            if attempt == 2:
                raise
    return []
