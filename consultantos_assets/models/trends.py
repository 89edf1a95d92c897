"""Search interest over time."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Model, Provenance


class TrendPoint(Model):
    date: dt.date
    value: float


class TrendSeries(Model):
    keyword: str
    points: list[TrendPoint] = Field(description="weekly, 0-100, scaled within this series")
    latest: float | None = None
    mean_12w: float | None = None
    mean_52w: float | None = None
    momentum: float | None = Field(None, description="12-week mean / 52-week mean - 1")
    change_yoy: float | None = Field(None, description="last 12 weeks vs same 12 weeks a year before")
    peak_date: dt.date | None = None
    peak_value: float | None = None

    @property
    def evidence_id(self) -> str:
        slug = "".join(c if c.isalnum() else "_" for c in self.keyword.lower()).strip("_")
        return f"trend:{slug}"


class MarketTrends(Model):
    ticker: str
    keywords: list[str] = Field(default_factory=list, description="keywords asked for")
    series: list[TrendSeries] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list, description="keywords without data")
    provenance: Provenance
