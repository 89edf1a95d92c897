"""Blue Ocean (ERRC) by rule: moves from the company's position against its named peers' medians (pure)."""

from __future__ import annotations

from ...models import (
    BlueOcean,
)
from ..analyst import EvidencePack
from ..canvas import blue_ocean_gaps, strategy_canvas
from ..coverage import framework_confidence
from ..figure_text import money, pct
from ..industry import prior_id
from ..signals import Signals
from .points import Points, article, cagr_span, cap_priors, compare, fiscal_span, peer_basis, series_end, usable_trend
from .thresholds import ATTENTION_MIN, NAME, NET_DEBT_HIGH, PEER_GAP, SLOW_GROWTH


# ------------------------------------------------------------------ Blue Ocean
def blue_ocean(pack: EvidencePack) -> BlueOcean:
    s = Signals(pack)
    errc = {k: Points(s) for k in ("eliminate", "reduce", "raise", "create")}
    has_peers = peer_moves(s, errc)
    gm, g = s.gross_margin, s.growth
    if not has_peers and gm is not None:
        cmp = compare(s, gm, "gross_margin")
        if cmp is not None and cmp[0] < 0:
            errc["reduce"].add(f"Cost to serve: a gross margin of {pct(gm.value)} in fiscal {s.fy} is {cmp[1]}.",
                               *cmp[2])
    if not has_peers and g is not None:
        cmp = compare(s, g, "revenue_growth")
        if cmp is not None and cmp[0] < 0:
            errc["create"].add(f"New demand: revenue changed {pct(g.value, signed=True)} in fiscal {s.fy}, "
                               f"{cmp[1]}, so growth must come from non-customers.", *cmp[2])
    nde, nc, om = s.multiple("net_debt_ebitda"), s.net_cash, s.operating_margin
    ch = s.margin_change("operating_margin")
    if ch and ch[1].value - ch[0].value < -0.03:
        errc["reduce"].add(f"Cost growth: operating margin fell from {pct(ch[0].value)} to {pct(ch[1].value)} over "
                           f"{fiscal_span(*ch)}.", *ch)
    if nc is not None and nc.value > 0 and s.cagr is not None and s.cagr.value < SLOW_GROWTH:
        errc["create"].add(f"New offers funded from the balance sheet: net cash of {money(nc.value)} at the end of "
                           f"fiscal {s.fy} against revenue that compounded at only {pct(s.cagr.value)} a year over "
                           f"{cagr_span(s.cagr)}.", nc, s.cagr)
    if g is not None and om is not None and g.value > 0.15 and om.value > 0.2:
        errc["raise"].add(f"Capacity behind demand: revenue grew {pct(g.value)} in fiscal {s.fy} at an operating "
                          f"margin of {pct(om.value)}.", g, om)
    if s.net_cash is not None and s.net_cash.value < 0 and nde is not None and nde.value > NET_DEBT_HIGH:
        errc["reduce"].add(f"Capital intensity: net debt at {nde.value:,.1f}x EBITDA limits bold bets.", nde)
    for t in s.product_trends()[:1]:
        r = usable_trend(s, t, "momentum")
        if r is not None and t.momentum > ATTENTION_MIN:  # type: ignore[operator]
            errc["raise"].add(f"Investment behind '{t.keyword}', where interest runs "
                              f"{pct(t.momentum, signed=True)} against its 52-week average of "
                              f"{r.base_momentum:,.0f} of 100{series_end(s, r)}.", t.evidence_id)
    for k, pts in errc.items():
        pts.prior(f"a common '{k}' move in the sector is {s.prior.errc[k]}.", prior_id("errc", k))
    cap_priors(list(errc.values()))
    canvas = strategy_canvas(s)
    allpts = [x for v in errc.values() for x in v.items]
    gaps = blue_ocean_gaps(s)
    return BlueOcean(
        ticker=s.ticker, analyst=NAME, confidence=framework_confidence(allpts, pack),
        data_gaps=gaps, eliminate=errc["eliminate"].items, reduce=errc["reduce"].items,
        raise_=errc["raise"].items, create=errc["create"].items, canvas=canvas,
    )


def peer_moves(s: Signals, errc: dict[str, Points]) -> bool:
    """ERRC moves from the company's position against its named peers' medians."""
    found = False
    for metric, sig, label in (("gross_margin", s.gross_margin, "gross margin"),
                               ("operating_margin", s.operating_margin, "operating margin")):
        basis = peer_basis(s, metric)
        if basis is None:
            continue
        found = True
        if sig is None:
            continue
        peer, who = basis
        gap = sig.value - peer.value
        if gap >= 0.05:
            errc["raise"].add(f"Differentiation that customers pay for: {article(label)} {label} of {pct(sig.value)} "
                              f"against {who} at {pct(peer.value)}.", sig, peer)
        elif gap <= -0.05:
            errc["reduce"].add(f"Cost to serve: {article(label)} {label} of {pct(sig.value)} trails {who} at "
                               f"{pct(peer.value)}.", sig, peer)
    basis, g = peer_basis(s, "revenue_growth"), s.growth
    if basis is not None:
        found = True
        peer_g, who = basis
        if g is not None and g.value < peer_g.value - PEER_GAP:
            errc["create"].add(f"New demand: revenue changed {pct(g.value, signed=True)} in fiscal {s.fy} "
                               f"against {who} at {pct(peer_g.value, signed=True)}, so growth must come from "
                               "non-customers.", g, peer_g)
        elif g is not None and g.value > peer_g.value + PEER_GAP:
            errc["raise"].add(f"Capacity behind demand: revenue growth of {pct(g.value, signed=True)} outpaces "
                              f"{who} at {pct(peer_g.value, signed=True)}.", g, peer_g)
    return found
