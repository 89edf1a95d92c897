"""The Analyst seam: what every analyst (rule-based or LLM) takes and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..models import (
    PESTEL,
    SWOT,
    BlueOcean,
    Chunk,
    CompanyResearch,
    Evidence,
    Financials,
    MarketTrends,
    PeerFigures,
    PorterFiveForces,
    Synthesis,
)


@dataclass
class EvidencePack:
    """What an analyst sees for one company."""

    research: CompanyResearch
    trends: MarketTrends
    financials: Financials
    evidence: list[Evidence]
    retrieved: dict[str, list[Chunk]] = field(default_factory=dict)
    # the named peers' latest figures (the peer_figures asset); the medians that at least three of them
    # report are in `evidence` as peer:<metric>:median, and `peer_gaps` says what they cannot support
    peers: list[PeerFigures] = field(default_factory=list)
    peer_gaps: list[str] = field(default_factory=list)
    # lazy retrieval: the asset layer may pass a `retriever` that fills `retrieved` on first need, and a
    # `retrieval_key` naming the index state it would read (so a cached answer needs no retrieval)
    retriever: Callable[[], dict[str, list[Chunk]]] | None = None
    retrieval_key: str | None = None

    def ensure_retrieved(self) -> None:
        if self.retriever is not None and not self.retrieved:
            self.retrieved = self.retriever()
        self.retriever = None

    @property
    def ticker(self) -> str:
        return self.research.ticker

    def by_id(self) -> dict[str, Evidence]:
        return {e.id: e for e in self.evidence}


@dataclass
class Frameworks:
    porter: PorterFiveForces
    swot: SWOT
    pestel: PESTEL
    blue_ocean: BlueOcean


class Analyst(Protocol):
    name: str

    def porter(self, pack: EvidencePack) -> PorterFiveForces: ...

    def swot(self, pack: EvidencePack) -> SWOT: ...

    def pestel(self, pack: EvidencePack) -> PESTEL: ...

    def blue_ocean(self, pack: EvidencePack) -> BlueOcean: ...

    def synthesis(self, pack: EvidencePack, frameworks: Frameworks) -> Synthesis: ...
