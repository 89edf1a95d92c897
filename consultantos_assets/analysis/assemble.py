"""Assemble what a report renders from the step models (pure)."""

from __future__ import annotations

from datetime import date

from ..models import (
    AssetVersion,
    CompanyResearch,
    Financials,
    MarketTrends,
    ReportInput,
    Synthesis,
)
from .analyst import Frameworks
from .coverage import report_as_of
from .evidence import build_evidence
from .peers import PeerFigures


def report_input(
    research: CompanyResearch,
    trends: MarketTrends,
    fin: Financials,
    fw: Frameworks,
    synthesis: Synthesis,
    versions: list[AssetVersion] | None = None,
    peers: list[PeerFigures] | None = None,
) -> ReportInput:
    """`peers`: the sector peers the frameworks compared with (their medians are cited as peer:*)."""
    return ReportInput(
        ticker=research.ticker,
        as_of=report_as_of(research, trends, fin) or date(1970, 1, 1),
        research=research, trends=trends, financials=fin,
        porter=fw.porter, swot=fw.swot, pestel=fw.pestel, blue_ocean=fw.blue_ocean, synthesis=synthesis,
        evidence=build_evidence(research, trends, fin, peers),
        versions=versions or [],
    )
