"""How much evidence exists and how recent it is, per family: the basis of every confidence figure (pure).

The confidence formula (shared by the rule-based and the LLM analyst; never taken from a model):

    point        each cited item counts by its basis (signals.BASIS_STRENGTH): a reported SEC fact 0.9, market
                 data 0.85, a figure derived from reported facts 0.75, a filing count 0.7, a document 0.6, a
                 search-interest series 0.5, an industry prior 0.25; times its recency (below). The point is
                 the mean over its items, + 0.05 for each further independent non-prior item that agrees (at
                 most + 0.1), within [0.05, 0.95]; a point citing nothing scores 0.2   (signals.confidence_for)
    recency_f    1 while the family's data is at most FRESH_f days older than the report's date (the newest
                 data point of any family), then falling linearly over SPAN_f days to RECENCY_FLOOR
    data score   sum_f WEIGHT_f * coverage_f * recency_f over statements, prices, trends, documents: 0-1
    framework    mean(point confidence) * (0.5 + 0.5 * data score): never above its points' mean
    overall      the frameworks' confidences averaged by their number of points: the mean over every framework
                 point times (0.5 + 0.5 * data score), never above the highest framework; a
                 framework without points counts as one point at EMPTY_CONFIDENCE
    fallback     framework * FALLBACK_PENALTY when the LLM analyst fell back to the rules for it

So a point resting on Tesla's fiscal 2021 statements against prices of 2026 scores well below the same point
on Apple's current ones, and a framework of priors cannot score like one of reported facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ..models import PESTEL_FACTORS, CompanyResearch, Financials, FrameworkPoint, MarketTrends
from .analyst import EvidencePack, Frameworks

WEIGHTS = {"statements": 0.4, "prices": 0.2, "trends": 0.15, "documents": 0.25}
# days a family stays fully fresh, and the days over which it then decays to the floor
FRESH = {"statements": 456, "prices": 10, "trends": 21, "documents": 365}
SPAN = {"statements": 730, "prices": 365, "trends": 365, "documents": 730}
RECENCY_FLOOR = 0.4
DATA_FLOOR = 0.5  # the data factor of a pack with no coverage at all (1.0 with every family complete and current)
EMPTY_CONFIDENCE = 0.1  # a framework without points; it counts as one such point in the overall
FALLBACK_PENALTY = 0.8
# evidence kind -> recency family
KIND_FAMILY = {"financial": "statements", "price": "prices", "trend": "trends", "filing": "documents",
               "document": "documents", "profile": "documents", "prior": "documents"}


def coverage(pack: EvidencePack) -> dict[str, float]:
    fin = pack.financials
    years = len({f.fiscal_year for f in fin.annual if f.metric == "revenue"})
    metrics = len({f.metric for f in fin.annual})
    statements = min(1.0, years / 5) * 0.6 + min(1.0, metrics / 11) * 0.4 if fin.annual else 0.0
    prices = 0.0
    if fin.prices is not None:
        span_days = (fin.prices.last_date - fin.prices.first_date).days
        prices = min(1.0, span_days / (3 * 365))
    asked = len(pack.trends.keywords) or 1
    trends = min(1.0, len(pack.trends.series) / min(asked, 3))
    docs = pack.research.documents
    fact_docs = sum(1 for d in docs if d.kind in ("profile", "filing_history", "filing"))
    other = sum(1 for d in docs if d.kind in ("news", "user"))
    documents = min(1.0, 0.2 * fact_docs + 0.1 * other)
    return {
        "statements": round(statements, 2),
        "prices": round(prices, 2),
        "trends": round(trends, 2),
        "documents": round(documents, 2),
    }


def newest_dates(pack: EvidencePack) -> dict[str, dt.date | None]:
    """The newest data point of each family."""
    fin = pack.financials
    statements = max((f.period_end for f in fin.annual), default=None)
    prices = fin.prices.last_date if fin.prices is not None else None
    trends = max((s.points[-1].date for s in pack.trends.series if s.points), default=None)
    dates = [d.published for d in pack.research.documents if d.published]
    dates += [f.filing_date for f in pack.research.filings]
    documents = max(dates, default=None)
    return {"statements": statements, "prices": prices, "trends": trends, "documents": documents}


def source_dates(research: CompanyResearch, trends: MarketTrends, fin: Financials) -> dict[str, dt.date | None]:
    """Each source's data date, as the cover lists it: the newest SEC filing whose figures are used
    (annual, quarterly or TTM), the last close, the last search-interest week, the newest document."""
    filed = [f.filed for f in fin.annual + fin.quarterly + fin.ttm if f.filed]
    docs = [d.published for d in research.documents if d.published] + [f.filing_date for f in research.filings]
    return {
        "Company research": max(docs, default=None),
        "Market trends": max((s.points[-1].date for s in trends.series if s.points), default=None),
        "Financial statements": max(filed, default=None),
        "Share prices": fin.prices.last_date if fin.prices is not None else None,
    }


def report_as_of(research: CompanyResearch, trends: MarketTrends, fin: Financials) -> dt.date | None:
    """The report's as-of date, defined once: the latest data date the analysis used."""
    return max((d for d in source_dates(research, trends, fin).values() if d), default=None)


def as_of(pack: EvidencePack) -> dt.date | None:
    return report_as_of(pack.research, pack.trends, pack.financials)


def recency_factor(family: str, age_days: int) -> float:
    fresh, span = FRESH.get(family, 365), SPAN.get(family, 730)
    if age_days <= fresh:
        return 1.0
    return round(max(RECENCY_FLOOR, 1.0 - (age_days - fresh) / span), 2)


def recency(pack: EvidencePack) -> dict[str, float]:
    """Per family, 1.0 when current relative to the pack's as-of date, down to RECENCY_FLOOR when stale."""
    newest = newest_dates(pack)
    ref = as_of(pack)
    out = {}
    for family, d in newest.items():
        out[family] = 1.0 if d is None or ref is None else recency_factor(family, (ref - d).days)
    return out


def stale_families(pack: EvidencePack) -> list[str]:
    """Data-gap sentences for families whose recency lowers confidence (dates only, no invented figures)."""
    newest, rec, ref = newest_dates(pack), recency(pack), as_of(pack)
    labels = {"statements": "Financial statements", "prices": "Price history", "trends": "Search-interest data",
              "documents": "Research documents"}
    out = []
    for family, factor in rec.items():
        if factor < 1.0 and newest[family] and ref:
            out.append(f"{labels[family]} end on {newest[family].isoformat()}, well before the latest data "
                       f"({ref.isoformat()}): confidence is lowered for their age.")
    return out


def data_score(cov: dict[str, float], rec: dict[str, float] | None = None) -> float:
    """Weighted coverage x recency of the evidence families, 0-1."""
    rec = rec or {}
    return round(sum(WEIGHTS[k] * cov.get(k, 0.0) * rec.get(k, 1.0) for k in WEIGHTS), 4)


def pack_score(pack: EvidencePack) -> float:
    return data_score(coverage(pack), recency(pack))


def _data_factor(pack: EvidencePack) -> float:
    return DATA_FLOOR + (1 - DATA_FLOOR) * pack_score(pack)


def framework_confidence(points: Iterable[FrameworkPoint], pack: EvidencePack) -> float:
    pts = list(points)
    if not pts:
        return EMPTY_CONFIDENCE
    mean = sum(p.confidence for p in pts) / len(pts)
    return round(mean * _data_factor(pack), 2)


def framework_points(fw: Frameworks) -> list[FrameworkPoint]:
    """Every point of the four frameworks."""
    return ([p for f in fw.porter.forces for p in f.points]
            + fw.swot.strengths + fw.swot.weaknesses + fw.swot.opportunities + fw.swot.threats
            + [p for factor in PESTEL_FACTORS for p in getattr(fw.pestel, factor)]
            + fw.blue_ocean.eliminate + fw.blue_ocean.reduce + fw.blue_ocean.raise_ + fw.blue_ocean.create)


def overall_confidence(fw: Frameworks, pack: EvidencePack) -> float:
    """The synthesis's confidence: the mean over every framework point, lowered by missing or dated families.
    It is the frameworks' confidences averaged by their number of points, so never above the highest of them
    (a framework the rules fell back to counts at its lowered confidence)."""
    weighted = [(f.confidence, n) for f, n in (
        (fw.porter, sum(len(x.points) for x in fw.porter.forces)),
        (fw.swot, len(fw.swot.strengths + fw.swot.weaknesses + fw.swot.opportunities + fw.swot.threats)),
        (fw.pestel, sum(len(getattr(fw.pestel, factor)) for factor in PESTEL_FACTORS)),
        (fw.blue_ocean, len(fw.blue_ocean.eliminate + fw.blue_ocean.reduce + fw.blue_ocean.raise_
                            + fw.blue_ocean.create)))]
    weighted = [(c, n) if n else (min(c, EMPTY_CONFIDENCE), 1) for c, n in weighted]
    return round(sum(c * n for c, n in weighted) / sum(n for _, n in weighted), 2)
