"""How sound each company's latest report reads: the evaluation asset's value (no I/O)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Model


class ReportScore(Model):
    """One report's soundness figures; every count names the points behind it in `examples`."""

    ticker: str
    as_of: dt.date | None = None
    analyst: str | None = None
    inputs_hash: str | None = None
    points: int = Field(description="framework and synthesis points")
    prior_only: int = Field(description="points whose every cited item is an industry prior (prior:*)")
    prior_only_share: float = Field(description="prior_only / points, 0-1")
    contradictions: int = Field(description="metrics called both above and below a benchmark")
    comparisons_without_basis: int = Field(
        description="comparisons with peers, the sector or rivals citing neither a peer median nor a labelled prior")
    low_base_trend_claims: int = Field(description="points on a search-interest change from a base below the minimum")
    ungrounded_figures: int = Field(description="figures in the text that no evidence holds")
    confidence: float | None = None
    examples: list[str] = Field(default_factory=list, description="'<measure>: <point text>' for each count")


class Evaluation(Model):
    evaluated_at: dt.datetime
    reports: list[ReportScore] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list, description="companies without a stored report to score")
