"""The Blue Ocean strategy canvas and its gaps: computed from the evidence, never asked of a model, so
both analysts draw the same canvas (pure)."""

from __future__ import annotations

import math

from ..models import CanvasFactor
from .data_gaps import signal_gaps
from .industry import MARKET_TYPICAL, prior_id
from .signals import Signals

# the metrics whose peer median the canvas and the ERRC moves compare against
PEER_METRICS = ("gross_margin", "operating_margin", "revenue_growth")


def strategy_canvas(s: Signals) -> list[CanvasFactor]:
    """Company vs industry on a 0-10 scale; the industry line is the peer median where one exists, else
    the sector prior (cited as prior:typical:*); only factors with evidence are drawn."""

    def scale(v: float, lo: float, hi: float) -> float:
        return round(max(0.0, min(10.0, (v - lo) / (hi - lo) * 10)), 1)

    rows: list[CanvasFactor] = []
    for name, sig, key, lo, hi in (
        ("Gross margin", s.gross_margin, "gross_margin", 0.0, 0.8),
        ("Operating margin", s.operating_margin, "operating_margin", -0.1, 0.5),
        ("Net margin", s.net_margin, "net_margin", -0.1, 0.4),
        ("Revenue growth", s.growth, "revenue_growth", -0.2, 0.6),
    ):
        if sig is None:
            continue
        bench = s.peer(key) or s.get(prior_id("typical", key))
        if bench is not None:
            rows.append(CanvasFactor(factor=name, company=scale(sig.value, lo, hi),
                                     industry=scale(bench.value, lo, hi), evidence=[sig.id, bench.id]))
    rev = s.revenue
    if rev is not None:
        def log_scale(v: float) -> float:  # $1B -> 2, $1T -> 10
            return scale(math.log10(max(v, 1e8)), 8.75, 12.0)

        peer_rev = s.peer("revenue")
        rows.append(CanvasFactor(factor="Scale (revenue)", company=log_scale(rev.value),
                                 industry=log_scale(peer_rev.value) if peer_rev else 5.0,
                                 evidence=[rev.id, peer_rev.id] if peer_rev else [rev.id]))
    typ, market = s.prior.typical, MARKET_TYPICAL
    r1, vol = s.price_figure("return_1y"), s.price_figure("volatility")
    if r1 is not None:
        rows.append(CanvasFactor(factor="Shareholder return (1y)", company=scale(r1.value, -0.5, 0.7),
                                 industry=scale(typ.get("return_1y", market["return_1y"]), -0.5, 0.7),
                                 evidence=[r1.id]))
    if vol is not None:
        # lower volatility scores higher: a steadier share price
        rows.append(CanvasFactor(factor="Price stability", company=scale(-vol.value, -0.8, 0.0),
                                 industry=scale(-typ.get("volatility", market["volatility"]), -0.8, 0.0),
                                 evidence=[vol.id]))
    return rows


def has_peer_basis(s: Signals) -> bool:
    """True when at least one of PEER_METRICS has a peer median (three or more named peers report it)."""
    return any(s.peer(metric) is not None for metric in PEER_METRICS)


def blue_ocean_gaps(s: Signals) -> list[str]:
    """The data gaps of a Blue Ocean: the company's, and what a missing peer basis leaves to the prior."""
    gaps = signal_gaps(s)
    if not has_peer_basis(s) and s.pack.financials.has_statements:
        gaps.extend(s.pack.peer_gaps)
        gaps.append("Fewer than three named peers have the figures: the strategy canvas's industry line is the "
                    "sector prior (not a measured peer figure), and no ERRC move is judged against peers.")
    return gaps
