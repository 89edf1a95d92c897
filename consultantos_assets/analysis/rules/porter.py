"""Porter's five forces by rule: each force starts from the industry prior and moves only with the
company's own figures (pure)."""

from __future__ import annotations

from ...models import (
    FORCE_LABELS,
    Force,
    PorterFiveForces,
)
from ..analyst import EvidencePack
from ..coverage import framework_confidence
from ..data_gaps import signal_gaps
from ..figure_text import money, pct
from ..industry import prior_id
from ..signals import Signal, Signals
from .points import Points, cagr_span, cap_priors, clamp_rating, compare, series_end, usable_trend
from .thresholds import NAME


# ------------------------------------------------------------------ Porter
def porter(pack: EvidencePack) -> PorterFiveForces:
    s = Signals(pack)
    groups: dict[str, Points] = {}
    ratings: dict[str, float] = {}
    for force in FORCE_LABELS:
        base, reason = s.prior.forces[force]
        pts = Points(s)
        ratings[force] = base + _FORCE_RULES[force](s, pts)
        pts.prior(f"{reason} (a prior rating of {base:.1f} of 5).", prior_id("force", force))
        groups[force] = pts
    cap_priors(list(groups.values()))
    forces = [Force(name=f, rating=clamp_rating(ratings[f]), points=groups[f].items) for f in FORCE_LABELS]
    overall = clamp_rating(sum(f.rating for f in forces) / len(forces))
    strongest = max(forces, key=lambda f: f.rating)
    weakest = min(forces, key=lambda f: f.rating)
    summary = (
        f"Overall competitive intensity for {s.name} is {overall:.1f} of 5. The strongest force is "
        f"{FORCE_LABELS[strongest.name].lower()} ({strongest.rating:.1f} of 5); the weakest is "
        f"{FORCE_LABELS[weakest.name].lower()} ({weakest.rating:.1f} of 5). "
        + ("Ratings start from the industry prior and move only with the company's own figures."
           if any(g.company for g in groups.values()) else
           "No company evidence bears on the five forces: every rating is the industry prior.")
    )
    points = [p for f in forces for p in f.points]
    gaps = signal_gaps(s) + [f"{FORCE_LABELS[f.name]}: no company evidence in the sources; rated at the industry "
                       f"prior ({f.rating:.1f} of 5)." for f in forces if not groups[f.name].company]
    if pack.financials.has_statements:
        gaps.append("Supplier and customer concentration are not in the sources (a 10-K's risk factors and "
                    "segment notes name them): supplier and buyer power are judged from margins only.")
    return PorterFiveForces(
        ticker=s.ticker, analyst=NAME, confidence=framework_confidence(points, pack),
        data_gaps=gaps, forces=forces, overall_intensity=overall, summary=summary,
    )


def _either(pts: Points, first: bool, first_adj: float, first_text: str, second: bool, second_adj: float,
            second_text: str, *cites: Signal) -> float:
    """A force's adjustment when a figure sits at one end or the other: the first that holds adds its point
    (citing `cites`) and returns its adjustment; 0 when neither holds."""
    if first:
        pts.add(first_text, *cites)
        return first_adj
    if second:
        pts.add(second_text, *cites)
        return second_adj
    return 0.0


def _competitive_rivalry(s: Signals, pts: Points) -> float:
    adj = 0.0
    gm, g, om = s.gross_margin, s.growth, s.operating_margin
    if gm is not None:
        adj += _either(pts, gm.value >= 0.5, -0.5, f"A gross margin of {pct(gm.value)} in fiscal {s.fy} shows "
                       "differentiation that blunts price competition.",
                       gm.value < 0.25, 0.5, f"A gross margin of {pct(gm.value)} in fiscal {s.fy} leaves little "
                       "room in a price war.", gm)
    if g is not None:
        peer = compare(s, g, "revenue_growth") if s.peer("revenue_growth") else None
        if g.value < 0:
            adj += 0.5
            pts.add(f"Revenue fell {pct(-g.value)} in fiscal {s.fy}: share is being contested.", g)
        elif peer is not None and peer[0] < 0:
            adj += 0.3
            pts.add(f"Revenue grew {pct(g.value)} in fiscal {s.fy}, {peer[1]}: rivals are growing faster.",
                    *peer[2])
        elif g.value > 0.15 and (peer is None or peer[0] > 0):
            adj -= 0.3
            pts.add(f"Revenue grew {pct(g.value)} in fiscal {s.fy}"
                    + (f", {peer[1]}" if peer else "") + ": demand growing that fast eases the fight for "
                    "share.", g, *(peer[2] if peer else []))
    if om is not None and om.value > 0.25:
        adj -= 0.2
        pts.add(f"An operating margin of {pct(om.value)} in fiscal {s.fy} gives room to outspend rivals.", om)
    return adj


def _supplier_power(s: Signals, pts: Points) -> float:
    # who the suppliers are and how concentrated is not in the sources (the 10-K's risk factors name it):
    # only the gross-margin path says something about how input costs moved against prices
    adj = 0.0
    ch = s.margin_change("gross_margin")
    if ch:
        first, last = ch
        delta = last.value - first.value
        fy0 = first.evidence.label.rsplit("fiscal ", 1)[-1]
        adj += _either(pts, delta < -0.03, 0.5, f"Gross margin slipped from {pct(first.value)} in fiscal {fy0} "
                       f"to {pct(last.value)} in fiscal {s.fy}: input costs rose faster than prices.",
                       delta > 0.03, -0.3, f"Gross margin widened from {pct(first.value)} in fiscal {fy0} to "
                       f"{pct(last.value)} in fiscal {s.fy}: input costs have not outrun prices, whatever the "
                       "suppliers' concentration.", first, last)
    return adj


def _buyer_power(s: Signals, pts: Points) -> float:
    # customer concentration decides buyer power and is not in the sources: margins show only that prices
    # have held so far
    adj = 0.0
    nm = s.net_margin
    if nm is not None:
        adj += _either(pts, nm.value > 0.2, -0.3, f"A net margin of {pct(nm.value)} in fiscal {s.fy} shows prices "
                       "have held so far; how concentrated the customers are is not in the sources.",
                       nm.value < 0.05, 0.5, f"A net margin of {pct(nm.value)} in fiscal {s.fy} leaves no pricing "
                       "cushion against buyers.", nm)
    return adj


def _threat_of_substitutes(s: Signals, pts: Points) -> float:
    adj = 0.0
    for t in s.product_trends()[:3]:
        r = usable_trend(s, t, "yoy")
        if r is None:
            continue
        if t.change_yoy < -0.2:  # type: ignore[operator]
            adj += 0.3
            pts.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                    f"{r.base_yoy:,.0f} of 100{series_end(s, r)}: customers may be looking elsewhere.", t.evidence_id)
        elif t.change_yoy > 0.2:  # type: ignore[operator]
            adj -= 0.2
            pts.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                    f"{r.base_yoy:,.0f} of 100{series_end(s, r)}: the offer is gaining relevance.", t.evidence_id)
    cagr = s.cagr
    if cagr is not None and cagr.value > 0.1:
        adj -= 0.3
        pts.add(f"Revenue compounded at {pct(cagr.value)} a year over {cagr_span(cagr)}: customers are not "
                "substituting away.", cagr)
    return adj


def _threat_of_new_entrants(s: Signals, pts: Points) -> float:
    adj = 0.0
    ta = s.total_assets
    if ta is not None:
        adj += _either(pts, ta.value >= 100e9, -0.5, f"Total assets of {money(ta.value)} at the end of fiscal "
                       f"{s.fy} set a capital barrier entrants cannot match quickly.",
                       ta.value < 5e9, 0.3, f"Total assets of {money(ta.value)} at the end of fiscal {s.fy} mean "
                       "the incumbent's scale is replicable.", ta)
    om, g = s.operating_margin, s.growth
    if om is not None and g is not None and om.value > 0.3 and g.value > 0.2:
        adj += 0.5
        pts.add(f"An operating margin of {pct(om.value)} with growth of {pct(g.value)} in fiscal {s.fy} draws "
                "well-funded entrants.", om, g)
    return adj


# each force's adjustment to its prior rating, from the company's own figures
_FORCE_RULES = {
    "competitive_rivalry": _competitive_rivalry,
    "supplier_power": _supplier_power,
    "buyer_power": _buyer_power,
    "threat_of_substitutes": _threat_of_substitutes,
    "threat_of_new_entrants": _threat_of_new_entrants,
}
