"""Company signals read off the evidence, each tied to the evidence id that proves it (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..models import Evidence, TrendSeries
from .analyst import EvidencePack
from .coverage import KIND_FAMILY, as_of, recency_factor
from .industry import prior_for, sector_for
from .valuation import is_financial_company

# How strongly one evidence item supports a point, by its basis: a reported fact above a figure derived from
# reported facts above a prior. Market data (prices) is measured; search interest is a sampled 0-100 index.
BASIS_STRENGTH = {
    "reported": 0.9,   # an SEC fact as filed
    "market": 0.85,    # daily closes and statistics computed from them
    "derived": 0.75,   # ratios, growth and multiples computed from reported facts; peer medians
    "filing": 0.7,     # counts of filings
    "document": 0.6,   # research documents, the company profile (headquarters, SIC)
    "trend": 0.5,      # search interest: noisy, relative, sampled
    "prior": 0.25,     # an industry rule of thumb, not a fact about the company
}
MIN_PEERS = 3  # a comparison with peers needs at least three with the figure
UNSUPPORTED_CONFIDENCE = 0.2  # a point citing nothing the evidence holds
AGREEMENT_BONUS, AGREEMENT_MAX = 0.05, 0.1  # per further independent (non-prior) item, and at most


@dataclass(frozen=True)
class Signal:
    value: float
    evidence: Evidence

    @property
    def id(self) -> str:
        return self.evidence.id


def _latest(metric: str, doc: str | None = None) -> property:
    """A named signal: financial ``metric`` in the latest covered fiscal year (None when it is missing)."""

    def read(self: Signals) -> Signal | None:
        return self.fin(metric)

    return property(read, doc=doc or f"{metric} in the latest covered fiscal year.")


class Signals:
    """Named, evidence-backed readings of one company's data."""

    def __init__(self, pack: EvidencePack):
        self.pack = pack
        self.ev = pack.by_id()
        fin = pack.financials
        years = fin.fiscal_years()
        self.fy: int | None = years[-1] if years else None
        self.years = years
        p = pack.research.profile
        self.name = p.name
        self.ticker = p.ticker
        self.sector = sector_for(p.sector, p.sic)
        self.industry = p.industry or p.sic_description
        self.prior = prior_for(self.sector)
        self.as_of = as_of(pack)
        self.financial_company = is_financial_company(p.sector, p.sic)

    # --- lookup helpers -------------------------------------------------
    def get(self, eid: str) -> Signal | None:
        e = self.ev.get(eid)
        if e is None or e.value is None:
            return None
        return Signal(e.value, e)

    def fin(self, name: str, fy: int | None = None) -> Signal | None:
        fy = fy if fy is not None else self.fy
        return None if fy is None else self.get(f"fin:{name}:FY{fy}")

    @property
    def profile_id(self) -> str | None:
        pid = f"doc:{self.ticker}:profile"
        return pid if pid in self.ev else None

    def first_id(self, kind: str) -> str | None:
        for e in self.pack.evidence:
            if e.kind == kind:
                return e.id
        return None

    # --- named signals --------------------------------------------------
    revenue = _latest("revenue")

    growth = _latest("revenue_growth")

    @property
    def cagr(self) -> Signal | None:
        for e in self.pack.evidence:
            if e.id.startswith("fin:revenue_cagr:") and e.value is not None:
                return Signal(e.value, e)
        return None

    gross_margin = _latest("gross_margin")

    operating_margin = _latest("operating_margin")

    net_margin = _latest("net_margin")

    def margin_change(self, name: str) -> tuple[Signal, Signal] | None:
        """(earliest, latest) margin over the covered years, when both exist."""
        if len(self.years) < 2:
            return None
        first = next((self.fin(name, fy) for fy in self.years if self.fin(name, fy)), None)
        last = self.fin(name)
        if first is None or last is None or first.id == last.id:
            return None
        return first, last

    liabilities_ratio = _latest("liabilities_to_assets")

    cash_to_debt = _latest("cash_to_debt")

    net_cash = _latest("net_cash", "Cash and marketable securities less total debt at the latest year end "
                                   "(negative: net debt).")

    equity_ratio = _latest("equity_to_assets", "Equity to assets: the capital measure given for banks and "
                                               "insurers instead of leverage.")

    def ttm(self, metric: str) -> Signal | None:
        return self.get(f"fin:{metric}:TTM")

    def multiple(self, key: str) -> Signal | None:
        return self.get(f"val:{key}")

    @property
    def statements_age(self) -> Signal | None:
        return self.get("fin:statements_age")

    def latest_quarter(self) -> tuple[Evidence, Signal | None] | None:
        """(the newest quarter's revenue fact, its year-on-year growth) when the quarter is newer than
        the latest fiscal year."""
        quarters = [e for e in self.pack.evidence if e.id.startswith("fin:revenue:FY") and "Q" in e.id]
        if not quarters:
            return None
        q = max(quarters, key=lambda e: e.date or dt.date.min)
        rev = self.revenue
        if rev is not None and q.date and rev.evidence.date and q.date <= rev.evidence.date:
            return None
        return q, self.get(f"fin:revenue_growth_yoy:{q.id.rsplit(':', 1)[1]}")

    total_assets = _latest("total_assets")

    eps = _latest("eps_diluted")

    def eps_prev(self) -> Signal | None:
        return None if self.fy is None else self.fin("eps_diluted", self.fy - 1)

    def price_figure(self, name: str) -> Signal | None:
        """A price statistic (px:<name>: last_close, return_1y, volatility, ...), when the evidence has it."""
        return self.get(f"px:{name}")

    # --- trends ---------------------------------------------------------
    def trend_series(self) -> list[TrendSeries]:
        return [s for s in self.pack.trends.series if s.evidence_id in self.ev]

    def brand_trend(self) -> TrendSeries | None:
        """The series for the company's own name (or main brand), else the ticker's, else the first."""
        series = [s for s in self.trend_series() if not _is_market_keyword(s.keyword)]
        name = self.name.lower()
        named = [s for s in series if name.startswith(s.keyword.lower()) and s.keyword.upper() != self.ticker]
        if named:
            return min(named, key=lambda s: len(s.keyword))
        for kw in self.pack.research.profile.keywords:
            for s in series:
                if s.keyword.lower() == kw.lower() and kw.upper() != self.ticker:
                    return s
        for s in series:
            if s.keyword.upper() == self.ticker:
                return s
        return series[0] if series else None

    def product_trends(self) -> list[TrendSeries]:
        brand = self.brand_trend()
        skip = {self.ticker.lower()}
        out = []
        for s in self.trend_series():
            k = s.keyword.lower()
            if brand and s.keyword == brand.keyword or k in skip:
                continue
            if _is_market_keyword(k):
                continue
            out.append(s)
        return out

    # --- filings --------------------------------------------------------
    def recent_8k(self) -> Signal | None:
        return self.get("filing:8k_last_year")

    # --- sector peers ---------------------------------------------------
    def peer(self, metric: str) -> Signal | None:
        """The peers' median of `metric` (evidence id peer:<metric>:median), only when at least MIN_PEERS named
        peers have the figure: a comparison needs three."""
        named = [p for p in self.pack.peers if getattr(p, metric, None) is not None]
        return self.get(f"peer:{metric}:median") if len(named) >= MIN_PEERS else None


def _is_market_keyword(keyword: str) -> bool:
    k = keyword.lower()
    return "stock" in k or "earnings" in k


def basis_of(e: Evidence) -> str:
    """reported | market | derived | filing | document | trend | prior (see BASIS_STRENGTH)."""
    if e.kind == "financial":
        return "reported" if e.source.startswith("SEC EDGAR") else "derived"
    return {"price": "market", "profile": "document"}.get(e.kind, e.kind)


def confidence_for(ids: list[str], ev: dict[str, Evidence], ref: dt.date | None = None) -> float:
    """Point confidence: the mean strength of the cited evidence (by basis, discounted for age; coverage.py),
    plus a little for each further independent non-prior item that agrees, in [0.05, 0.95]."""
    vals, independent = [], 0
    for i in ids:
        e = ev.get(i)
        if e is None:
            continue
        base = BASIS_STRENGTH.get(basis_of(e), 0.5)
        if ref is not None and e.date is not None:
            base *= recency_factor(KIND_FAMILY.get(e.kind, "documents"), (ref - e.date).days)
        vals.append(base)
        independent += e.kind != "prior"
    if not vals:
        return UNSUPPORTED_CONFIDENCE
    bonus = min(AGREEMENT_MAX, AGREEMENT_BONUS * max(0, independent - 1))
    return round(max(0.05, min(0.95, sum(vals) / len(vals) + bonus)), 2)


def prior_only(ids: list[str], ev: dict[str, Evidence]) -> bool:
    """True when every cited item is an industry prior (or nothing is cited)."""
    return all(ev[i].kind == "prior" for i in ids if i in ev)
