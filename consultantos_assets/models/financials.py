"""Financial facts from SEC XBRL company facts, and price statistics."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from .common import Model, Provenance

# metric key -> (label, unit). Units are the ones SEC reports.
METRICS: dict[str, tuple[str, str]] = {
    "revenue": ("Revenue", "USD"),
    "gross_profit": ("Gross profit", "USD"),
    "operating_income": ("Operating income", "USD"),
    "net_income": ("Net income", "USD"),
    "eps_diluted": ("Diluted EPS", "USD/shares"),
    "total_assets": ("Total assets", "USD"),
    "total_liabilities": ("Total liabilities", "USD"),
    "equity": ("Shareholders' equity", "USD"),
    "cash": ("Cash and equivalents", "USD"),
    "long_term_debt": ("Long-term debt", "USD"),
    "shares_outstanding": ("Shares outstanding", "shares"),
}

FLOW_METRICS = ("revenue", "gross_profit", "operating_income", "net_income", "eps_diluted")
FLOW_METRICS_SET = frozenset(FLOW_METRICS)

PeriodKind = Literal["annual", "quarterly"]


class FinancialFact(Model):
    metric: str
    value: float
    unit: str
    concept: str = Field(description="XBRL concept the value was reported under")
    period_start: dt.date | None = Field(None, description="None for instant (balance) facts")
    period_end: dt.date
    fiscal_year: int = Field(description="fiscal year the period belongs to (not SEC's fy field)")
    fiscal_period: str = Field(description="FY, Q1, Q2, Q3 or Q4")
    form: str
    accession: str
    filed: dt.date | None = None

    @property
    def evidence_id(self) -> str:
        suffix = f"FY{self.fiscal_year}" if self.fiscal_period == "FY" else (
            f"FY{self.fiscal_year}{self.fiscal_period}"
        )
        return f"fin:{self.metric}:{suffix}"


class PricePoint(Model):
    date: dt.date
    close: float


class PriceStats(Model):
    last_close: float
    last_date: dt.date
    first_date: dt.date
    observations: int
    return_1y: float | None = None
    return_3y: float | None = None
    volatility_annual: float | None = None
    max_drawdown: float | None = Field(None, description="negative fraction, e.g. -0.31")
    max_drawdown_peak: dt.date | None = None
    max_drawdown_trough: dt.date | None = None
    high_52w: float | None = None
    low_52w: float | None = None
    market_cap: float | None = Field(None, description="USD, last close x latest shares outstanding")
    series: list[PricePoint] = Field(default_factory=list, description="weekly closes for charts")


class Financials(Model):
    ticker: str
    cik: int | None = None
    entity_name: str | None = None
    annual: list[FinancialFact] = Field(default_factory=list)
    quarterly: list[FinancialFact] = Field(default_factory=list)
    prices: PriceStats | None = None
    gaps: list[str] = Field(default_factory=list, description="what could not be found")
    provenance: Provenance
    price_provenance: Provenance | None = None

    def series(self, metric: str, kind: PeriodKind = "annual") -> list[FinancialFact]:
        facts = self.annual if kind == "annual" else self.quarterly
        return sorted((f for f in facts if f.metric == metric), key=lambda f: f.period_end)

    def latest(self, metric: str) -> FinancialFact | None:
        s = self.series(metric)
        return s[-1] if s else None

    def fiscal_years(self) -> list[int]:
        return sorted({f.fiscal_year for f in self.annual})

    def value(self, metric: str, fiscal_year: int) -> FinancialFact | None:
        for f in self.annual:
            if f.metric == metric and f.fiscal_year == fiscal_year:
                return f
        return None

    @property
    def has_statements(self) -> bool:
        return bool(self.annual)
