"""How much evidence exists, per family: the basis of every confidence figure (pure)."""

from __future__ import annotations

from .analyst import EvidencePack

WEIGHTS = {"statements": 0.4, "prices": 0.2, "trends": 0.15, "documents": 0.25}


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


def overall_confidence(cov: dict[str, float]) -> float:
    """Weighted coverage mapped into [0.15, 0.9]: no analysis is certain, none is worthless."""
    score = sum(WEIGHTS[k] * cov.get(k, 0.0) for k in WEIGHTS)
    return round(0.15 + 0.75 * score, 2)
