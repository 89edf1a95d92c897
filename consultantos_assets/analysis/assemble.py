"""Assemble what a report renders from the step models (pure)."""

from __future__ import annotations

from datetime import date

from ..models import (
    AssetVersion,
    CompanyResearch,
    EvidenceSet,
    Financials,
    MarketTrends,
    PeerComparison,
    ReportInput,
    Synthesis,
)
from .analyst import Frameworks
from .coverage import report_as_of
from .evidence import evidence_set


def report_input(
    research: CompanyResearch,
    trends: MarketTrends,
    fin: Financials,
    fw: Frameworks,
    synthesis: Synthesis,
    versions: list[AssetVersion] | None = None,
    peers: PeerComparison | None = None,
    evidence: EvidenceSet | None = None,
) -> ReportInput:
    """`evidence`: the company's evidence set (the `evidence` asset); built here from the sources and
    `peers` (the named peers' figures) when not given."""
    evidence = evidence or evidence_set(research, trends, fin, peers)
    return ReportInput(
        ticker=research.ticker,
        as_of=report_as_of(research, trends, fin) or date(1970, 1, 1),
        research=research, trends=trends, financials=fin,
        porter=fw.porter, swot=fw.swot, pestel=fw.pestel, blue_ocean=fw.blue_ocean, synthesis=synthesis,
        evidence=evidence.items, peers=evidence.peers,
        versions=versions or [],
    )
