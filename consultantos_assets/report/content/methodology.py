"""The methodology section's content: who wrote each analysis, the versions, and how confidence is read."""

from __future__ import annotations

from consultantos_assets.models import (
    ReportInput,
)

from ..formatting import (
    NA,
    fmt_conf,
)


def analyst_rows(report: ReportInput) -> list[list[str]]:
    return [
        ["Porter's five forces", report.porter.analyst, fmt_conf(report.porter.confidence)],
        ["SWOT", report.swot.analyst, fmt_conf(report.swot.confidence)],
        ["PESTEL", report.pestel.analyst, fmt_conf(report.pestel.confidence)],
        ["Blue Ocean", report.blue_ocean.analyst, fmt_conf(report.blue_ocean.confidence)],
        ["Synthesis", report.synthesis.analyst, fmt_conf(report.synthesis.confidence)],
    ]


def version_rows(report: ReportInput) -> list[list[str]]:
    return [[v.asset, v.data_version or NA, v.provider or NA] for v in report.versions]


METHODOLOGY_TEXT = (
    "Evidence is gathered from three families of sources: research documents about the company, "
    "search-interest series for its keywords, and financial facts from SEC XBRL company facts together "
    "with share-price history. Every fact becomes a citable evidence item with a stable id. Four "
    "strategy frameworks (Porter's five forces, SWOT, PESTEL and Blue Ocean) are produced "
    "independently from that evidence; each point cites the evidence ids it rests on and carries a "
    "confidence between 0 and 1. The executive synthesis combines the frameworks."
)


CONFIDENCE_TEXT = (
    "What a confidence means. A point's confidence comes from what it cites: a reported SEC figure counts "
    "most, then market data, then a figure computed from reported ones, then documents and search interest, "
    "and an industry prior (a rule of thumb about the sector, cited as prior:*) least; each is lowered as its "
    "data ages against the report's date, and a point rises a little when further independent evidence "
    "agrees with it. A framework's confidence is the average of its points, lowered where whole families "
    "of evidence are missing or dated, and the overall confidence is the average over every framework point, "
    "so neither can exceed its parts. Read 0.8 or more as a point resting on current reported or computed "
    "figures, corroborated; 0.4 or less as a point resting on a prior, a search-interest series, or figures "
    "so old that they describe the company as it was, which is a question to check rather than a finding."
)
