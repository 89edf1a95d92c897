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
from .evidence import build_evidence
from .peers import PeerFigures


def report_as_of(research: CompanyResearch, trends: MarketTrends, fin: Financials) -> date:
    """The date a report states: the newest data date among its sources (not the wall clock)."""
    dates = [p.as_of for p in (research.provenance, trends.provenance, fin.provenance, fin.price_provenance)
             if p is not None and p.as_of is not None]
    dates += [f.filed for f in fin.annual if f.filed]
    dates += [f.filing_date for f in research.filings[:1]]
    return max(dates) if dates else date(1970, 1, 1)


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
        as_of=report_as_of(research, trends, fin),
        research=research, trends=trends, financials=fin,
        porter=fw.porter, swot=fw.swot, pestel=fw.pestel, blue_ocean=fw.blue_ocean, synthesis=synthesis,
        evidence=build_evidence(research, trends, fin, peers),
        versions=versions or [],
    )
