"""The one interface per source, and the errors every provider raises.

Each source has a live implementation (real client library) and an offline one
(reading a snapshot directory). Errors distinguish a missing key, an unreachable
service and a company the source has no data for, so users see which one it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..models import (
    CompanyProfile,
    CompanyResearch,
    Financials,
    MarketTrends,
    PricePoint,
    Provenance,
)


def unique_names(items: Iterable[str]) -> list[str]:
    """The names stripped, in order, each once whatever its case; empty ones dropped."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(item.strip())
    return out


class SourceError(Exception):
    """Base of every provider error; the message is meant for the user."""

    source: str = "source"

    def __init__(self, message: str, *, source: str | None = None):
        super().__init__(message)
        if source:
            self.source = source


class MissingKey(SourceError):
    """A live provider was asked for but its key or identity is not configured."""


class ServiceUnavailable(SourceError):
    """The service did not answer, timed out or returned an error."""


class MalformedResponse(ServiceUnavailable):
    """The service answered, but with a payload that cannot be read (never retried)."""


class CircuitOpen(ServiceUnavailable):
    """The service kept failing and its circuit breaker is open: it is skipped without a call."""


class NoData(SourceError):
    """The source answered but holds nothing for this company."""


class UnknownCompany(SourceError):
    """No source knows this ticker."""


class CompanyDirectory(Protocol):
    """Resolves a ticker to a company profile and its SEC filing history."""

    name: str

    def profile(self, ticker: str) -> CompanyProfile:
        """Raise UnknownCompany when the ticker is not known."""
        ...

    def filings(self, profile: CompanyProfile, limit: int = 200) -> list:
        """Filings newest first (models.Filing); empty when there is no submissions data."""
        ...


class FinancialsProvider(Protocol):
    name: str

    def financials(self, profile: CompanyProfile) -> Financials:
        """Statement facts (annual + quarterly); prices are added by the PriceProvider.
        Raise NoData when the source holds no company facts for this company."""
        ...


class PriceProvider(Protocol):
    name: str

    def daily_closes(self, ticker: str) -> tuple[list[PricePoint], Provenance]:
        """Daily closes, oldest first. Raise NoData when there are none."""
        ...


class TrendsProvider(Protocol):
    name: str

    def trends(self, ticker: str, keywords: list[str]) -> MarketTrends:
        """Weekly interest per keyword with momentum. Keywords without data go to `missing`;
        raise NoData when no keyword has data."""
        ...


class ResearchProvider(Protocol):
    name: str

    def research(self, profile: CompanyProfile, filings: list) -> CompanyResearch:
        """Documents about the company. Raise NoData when nothing is found."""
        ...
