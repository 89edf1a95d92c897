"""The portfolio view: one row per company (no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import Model

SourceState = Literal["fresh", "stale", "missing"]


class SourceAge(Model):
    asset: str
    age_s: float | None = Field(None, description="seconds since the company's latest materialization")
    window_s: float = Field(description="the source's freshness window")
    state: SourceState


class PortfolioRow(Model):
    ticker: str
    company: str | None = None
    sources: list[SourceAge]
    report_at: dt.datetime | None = Field(None, description="when the last report was written")
    report_as_of: dt.date | None = Field(None, description="the date the last report states")
    report_path: str | None = None
    confidence: float | None = None
    analyst: str | None = None
    fallbacks: list[str] = Field(default_factory=list, description="sources or analysts that fell back")
    changes: list[str] = Field(default_factory=list, description="material changes in the last report")
    checks: dict[str, str] = Field(default_factory=dict, description="'asset:check' -> passed/failed/outdated")

    @property
    def stale(self) -> list[str]:
        return [s.asset for s in self.sources if s.state != "fresh"]

    @property
    def failed_checks(self) -> list[str]:
        return [k for k, v in self.checks.items() if v == "failed"]

    @property
    def status(self) -> str:
        if self.report_at is None:
            return "no report"
        if self.failed_checks:
            return "check failed"
        return "stale" if self.stale else "fresh"


class Portfolio(Model):
    as_of: dt.datetime
    rows: list[PortfolioRow]
    pdf_path: str | None = None
    csv_path: str | None = None
