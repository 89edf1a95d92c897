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
    # cash flow (durations)
    "operating_cash_flow": ("Operating cash flow", "USD"),
    "capex": ("Capital expenditure", "USD"),
    "free_cash_flow": ("Free cash flow", "USD"),
    "stock_compensation": ("Stock-based compensation", "USD"),
    "depreciation_amortization": ("Depreciation and amortisation", "USD"),
    "ebitda": ("EBITDA", "USD"),
    "interest_expense": ("Interest expense", "USD"),
    "dividends_paid": ("Dividends paid", "USD"),
    "buybacks": ("Share repurchases", "USD"),
    # banks and insurers (durations)
    "net_interest_income": ("Net interest income", "USD"),
    "credit_provisions": ("Provision for credit losses", "USD"),
    # capital (instants)
    "marketable_securities": ("Marketable securities", "USD"),
    "cash_and_securities": ("Cash and marketable securities", "USD"),
    "short_term_debt": ("Short-term debt and current maturities", "USD"),
    "total_debt": ("Total debt", "USD"),
    "net_cash": ("Net cash (negative: net debt)", "USD"),
}

FLOW_METRICS = ("revenue", "gross_profit", "operating_income", "net_income", "eps_diluted",
                "operating_cash_flow", "capex", "free_cash_flow", "stock_compensation",
                "depreciation_amortization", "ebitda", "interest_expense", "dividends_paid", "buybacks",
                "net_interest_income", "credit_provisions")
FLOW_METRICS_SET = frozenset(FLOW_METRICS)
# the rows of each statement table, in order (the renderers and exports read these)
STATEMENT_METRICS = ("revenue", "gross_profit", "operating_income", "net_income", "eps_diluted",
                     "total_assets", "total_liabilities", "equity", "cash", "long_term_debt",
                     "shares_outstanding")
CASH_FLOW_METRICS = ("operating_cash_flow", "capex", "free_cash_flow", "stock_compensation",
                     "depreciation_amortization", "ebitda", "dividends_paid", "buybacks")
CAPITAL_METRICS = ("cash_and_securities", "total_debt", "net_cash")
BANK_METRICS = ("net_interest_income", "credit_provisions")
# restated across stock splits: per-share values divide by a split's factor, share counts multiply
PER_SHARE_METRICS = frozenset({"eps_diluted"})
SHARE_COUNT_METRICS = frozenset({"shares_outstanding"})

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
    split_factor: float = Field(1.0, description="the reported value times this is the value on the latest "
                                "share basis (1.0: no split since it was filed)")

    @property
    def period_label(self) -> str:
        """FY2025, Q1 FY2026 or TTM to 2025-12-27."""
        if self.fiscal_period == "FY":
            return f"FY{self.fiscal_year}"
        if self.fiscal_period == "TTM":
            return f"TTM to {self.period_end.isoformat()}"
        return f"{self.fiscal_period} FY{self.fiscal_year}"

    @property
    def evidence_id(self) -> str:
        if self.fiscal_period == "TTM":
            return f"fin:{self.metric}:TTM"
        suffix = f"FY{self.fiscal_year}" if self.fiscal_period == "FY" else (
            f"FY{self.fiscal_year}{self.fiscal_period}"
        )
        return f"fin:{self.metric}:{suffix}"

    @property
    def reported_value(self) -> float:
        """The value as the filing reported it, before restating to the latest share basis."""
        return self.value / self.split_factor if self.split_factor else self.value


class StockSplit(Model):
    """A split (or reverse split) inferred from restated per-share figures and share counts."""

    factor: float = Field(description="new shares per old share, e.g. 10.0 for a 10-for-1 split")
    last_old_filing: dt.date = Field(description="newest filing still on the pre-split basis")
    first_new_filing: dt.date = Field(description="first filing on the post-split basis")
    evidence: list[str] = Field(default_factory=list, description="restatements and SEC split facts, "
                                "each naming the concept, period, values and accessions")

    @property
    def label(self) -> str:
        if self.factor >= 1:
            return f"{self.factor:g}-for-1 split"
        return f"1-for-{1 / self.factor:g} reverse split"


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
    market_cap_shares: float | None = Field(None, description="the share count behind market_cap (latest basis)")
    market_cap_shares_date: dt.date | None = Field(None, description="the date that share count is as of")
    market_cap_shares_accession: str | None = None
    series: list[PricePoint] = Field(default_factory=list, description="weekly closes for charts")


NO_PRICE_HISTORY, PRICES_UNAVAILABLE = "No price history", "Share prices unavailable"


def price_gap(ticker: str, reason: str | None = None) -> str:
    """The gap line for missing share prices: none on record (no reason) or the source failed."""
    return f"{NO_PRICE_HISTORY} for {ticker}." if reason is None else f"{PRICES_UNAVAILABLE}: {reason}"


def is_price_gap(gap: str) -> bool:
    return gap.startswith((NO_PRICE_HISTORY, PRICES_UNAVAILABLE))


class Financials(Model):
    ticker: str
    cik: int | None = None
    entity_name: str | None = None
    annual: list[FinancialFact] = Field(default_factory=list)
    quarterly: list[FinancialFact] = Field(default_factory=list)
    ttm: list[FinancialFact] = Field(default_factory=list, description="trailing twelve months to the latest "
                                     "10-Q: fiscal year + year to date - prior year to date")
    splits: list[StockSplit] = Field(default_factory=list, description="splits every per-share figure and "
                                     "share count is restated across")
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

    def latest_reported(self, metric: str) -> FinancialFact | None:
        """The newest value from any report, annual or quarterly (balances, share counts)."""
        facts = [f for f in self.annual + self.quarterly if f.metric == metric]
        return max(facts, key=lambda f: (f.period_end, f.filed or dt.date.min)) if facts else None

    def ttm_value(self, metric: str) -> FinancialFact | None:
        return next((f for f in self.ttm if f.metric == metric), None)

    def latest_quarter(self) -> FinancialFact | None:
        """The newest quarter's revenue (or net income when no revenue is tagged)."""
        for metric in ("revenue", "net_income"):
            s = self.series(metric, "quarterly")
            if s:
                return s[-1]
        return None

    def quarter_value(self, metric: str, fiscal_year: int, fiscal_period: str) -> FinancialFact | None:
        for f in self.quarterly:
            if f.metric == metric and f.fiscal_year == fiscal_year and f.fiscal_period == fiscal_period:
                return f
        return None

    def fiscal_years(self) -> list[int]:
        return sorted({f.fiscal_year for f in self.annual})

    def value(self, metric: str, fiscal_year: int) -> FinancialFact | None:
        for f in self.annual:
            if f.metric == metric and f.fiscal_year == fiscal_year:
                return f
        return None

    def price_gaps(self) -> list[str]:
        return [g for g in self.gaps if is_price_gap(g)]

    def statement_gaps(self) -> list[str]:
        return [g for g in self.gaps if not is_price_gap(g)]

    @property
    def has_statements(self) -> bool:
        return bool(self.annual)
