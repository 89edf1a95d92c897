"""Sector peers: one company's latest figures, and the peer medians as citable evidence (pure).

Reading the peers' data is the caller's job (sources/peers.py); this module only computes.
"""

from __future__ import annotations

import datetime as dt
import statistics

from pydantic import BaseModel

from ..models import Evidence, Financials
from .formatting import money, pct

PEER_METRICS: dict[str, tuple[str, str]] = {
    # metric -> (label, unit)
    "gross_margin": ("gross margin", "ratio"),
    "operating_margin": ("operating margin", "ratio"),
    "net_margin": ("net margin", "ratio"),
    "revenue_growth": ("revenue growth", "ratio"),
    "revenue": ("annual revenue", "USD"),
}


class PeerFigures(BaseModel):
    """A sector peer's latest fiscal year, from its SEC facts."""

    ticker: str
    name: str
    sector: str
    fiscal_year: int
    period_end: dt.date
    accession: str
    revenue: float | None = None
    gross_margin: float | None = None
    operating_margin: float | None = None
    net_margin: float | None = None
    revenue_growth: float | None = None


def peer_figures(ticker: str, name: str, sector: str, fin: Financials) -> PeerFigures | None:
    """The latest fiscal year with revenue; None without statements."""
    revs = [f for f in fin.series("revenue") if f.value]
    if not revs:
        return None
    rev = revs[-1]
    fy = rev.fiscal_year

    def ratio(metric: str) -> float | None:
        num = fin.value(metric, fy)
        return None if num is None else num.value / rev.value

    prev = fin.value("revenue", fy - 1)
    return PeerFigures(
        ticker=ticker, name=name, sector=sector, fiscal_year=fy, period_end=rev.period_end,
        accession=rev.accession, revenue=rev.value, gross_margin=ratio("gross_profit"),
        operating_margin=ratio("operating_income"), net_margin=ratio("net_income"),
        revenue_growth=(rev.value / prev.value - 1) if prev is not None and prev.value else None,
    )


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def peer_evidence(sector: str | None, peers: list[PeerFigures]) -> list[Evidence]:
    """One evidence item per metric: the median across peers, citable as peer:<metric>:median."""
    out: list[Evidence] = []
    if not peers:
        return out
    for metric, (label, unit) in PEER_METRICS.items():
        rows = [(p, getattr(p, metric)) for p in peers if getattr(p, metric) is not None]
        if not rows:
            continue
        values = [v for _, v in rows]
        median = statistics.median(values)
        fmt = pct if unit == "ratio" else money
        tickers = ", ".join(p.ticker for p, _ in rows)
        n = len(rows)
        group = sector or "sector"
        if n == 1:
            text = (f"The only {group} peer with SEC facts in the snapshot ({tickers}) had {_a(label)} {label} of "
                    f"{fmt(median)} in its latest fiscal year, the peer median")
        else:
            text = (f"The median {label} of {n} {group} peers with SEC facts in the snapshot ({tickers}) was "
                    f"{fmt(median)} in their latest fiscal years (from {fmt(min(values))} to {fmt(max(values))})")
        out.append(Evidence(
            id=f"peer:{metric}:median", kind="financial", label=f"Sector peer median {label}",
            text=text + ".", value=median, unit=unit,
            source="computed from SEC EDGAR facts of sector peers",
            reference="; ".join(f"{p.ticker} FY{p.fiscal_year} {p.accession}" for p, _ in rows),
            date=max(p.period_end for p, _ in rows),
        ))
    return out
