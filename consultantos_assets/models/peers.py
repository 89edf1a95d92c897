"""Named peers of a company and their figures: the comparison set every comparative claim rests on."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import Model

PeerBasis = Literal["pinned", "sub_industry", "industry", "sic"]


class Peer(Model):
    """One named peer and why it was chosen."""

    ticker: str
    name: str
    cik: int | None = None
    basis: PeerBasis
    reason: str = Field(description="e.g. 'same GICS sub-industry (Semiconductors)'")


class PeerSet(Model):
    """The peers of one company: pinned by the user, or chosen from the company classification."""

    ticker: str
    peers: list[Peer] = Field(default_factory=list)
    method: str = Field(description="how the set was chosen, in one sentence")
    pinned_from: str | None = Field(None, description="the pinned-peers file, when the user pinned them")
    notes: list[str] = Field(default_factory=list)

    @property
    def tickers(self) -> list[str]:
        return [p.ticker for p in self.peers]


class PeerFigures(Model):
    """A peer's latest fiscal year (and trailing twelve months where quarters exist), from its SEC facts."""

    ticker: str
    name: str
    sector: str = ""
    fiscal_year: int
    period_end: dt.date
    accession: str
    filed: dt.date | None = None
    revenue: float | None = None
    gross_margin: float | None = None
    operating_margin: float | None = None
    net_margin: float | None = None
    fcf_margin: float | None = None
    revenue_growth: float | None = None
    net_debt_to_ebitda: float | None = None
    ttm_label: str | None = Field(None, description="'TTM to 2025-12-27' when quarters give a TTM")
    ttm_revenue: float | None = None
    ttm_operating_margin: float | None = None
    pe: float | None = Field(None, description="trailing P/E at the last close, where a price exists")
    ev_ebitda: float | None = None
    price_date: dt.date | None = None
    accessions: list[str] = Field(default_factory=list, description="every filing the figures rest on")


class PeerGap(Model):
    """A named peer whose figures could not be computed, and why (listed, never dropped silently)."""

    ticker: str
    name: str
    reason: str


class PeerComparison(Model):
    """The figures of a company's named peers (the value of the `peer_figures` asset)."""

    ticker: str
    figures: list[PeerFigures] = Field(default_factory=list)
    missing: list[PeerGap] = Field(default_factory=list)
    method: str = ""
    retrieved_at: dict[str, dt.datetime] = Field(
        default_factory=dict, description="when each peer's figures were fetched (left out of the data version)")

    @property
    def named(self) -> list[str]:
        return [f.ticker for f in self.figures] + [g.ticker for g in self.missing]
