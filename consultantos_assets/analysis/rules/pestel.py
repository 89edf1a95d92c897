"""PESTEL by rule: the company's own facts and what its research documents discuss, then the sector's
labelled priors (pure)."""

from __future__ import annotations

from ...models import (
    PESTEL,
    PESTEL_FACTORS,
)
from ..analyst import EvidencePack
from ..coverage import framework_confidence
from ..data_gaps import signal_gaps
from ..figure_text import pct
from ..industry import prior_id
from ..signals import Signals
from ..topics import document_topics, quoted
from .points import Points, cap_priors, series_end, usable_trend
from .thresholds import NAME


# ------------------------------------------------------------------ PESTEL
def pestel(pack: EvidencePack) -> PESTEL:
    s = Signals(pack)
    out: dict[str, Points] = {f: Points(s) for f in PESTEL_FACTORS}
    p = s.pack.research.profile
    if p.state_of_incorporation or p.headquarters:
        where = ", ".join(x for x in (
            f"incorporated in {p.state_of_incorporation}" if p.state_of_incorporation else "",
            f"headquartered in {p.headquarters}" if p.headquarters else "") if x)
        out["political"].add(f"{s.name} is {where}, so US federal and state policy apply first.", s.profile_id)
    vol, g = s.price_figure("volatility"), s.growth
    if g is not None:
        out["economic"].add(f"Revenue changed {pct(g.value, signed=True)} in fiscal {s.fy}, a gauge of how "
                            "demand held up in the latest cycle.", g)
    if vol is not None:
        out["economic"].add(f"Annualised share volatility of {pct(vol.value)} in the year to "
                            f"{vol.evidence.date.isoformat() if vol.evidence.date else 'the last close'} reflects "
                            "the market's view of macro sensitivity.", vol)
    brand = s.brand_trend()
    r = usable_trend(s, brand, "yoy") if brand is not None else None
    if brand is not None and r is not None:
        out["social"].add(f"Public attention to '{brand.keyword}' is {pct(brand.change_yoy, signed=True)} year on "
                          f"year from a base of {r.base_yoy:,.0f} of 100{series_end(s, r)}.", brand.evidence_id)
    for t in s.product_trends()[:2]:
        r = usable_trend(s, t, "momentum")
        if r is not None:
            out["technological"].add(f"Interest in '{t.keyword}' runs {pct(t.momentum, signed=True)} against its "
                                     f"52-week average of {r.base_momentum:,.0f} of 100{series_end(s, r)}, a read on "
                                     "adoption of the product generation.", t.evidence_id)
    n8k = s.recent_8k()
    if n8k is not None and n8k.value:
        out["legal"].add(f"{n8k.value:,.0f} current reports (8-K) filed in the year to "
                         f"{n8k.evidence.date.isoformat()} keep disclosure obligations in view.",  # type: ignore[union-attr]
                         n8k, f"doc:{s.ticker}:8k")
    document_factors(s, out)
    for factor in PESTEL_FACTORS:
        out[factor].prior(f"{s.prior.pestel[factor]}.", prior_id("pestel", factor))
    cap_priors(list(out.values()))
    items = {f: pts.items for f, pts in out.items()}
    allpts = [x for v in items.values() for x in v]
    return PESTEL(ticker=s.ticker, analyst=NAME, confidence=framework_confidence(allpts, pack),
                  data_gaps=signal_gaps(s), **items)


def document_factors(s: Signals, out: dict[str, Points], per_factor: int = 2) -> None:
    """PESTEL points from what the research documents discuss, citing the documents."""
    for factor, hits in document_topics(s.pack.research).items():
        for hit in hits[:per_factor]:
            titles = ", ".join(quoted(t) for t in hit.titles[:2])
            more = " and other documents" if len(hit.titles) > 2 else ""
            phrases = ", ".join(quoted(p, 40) for p in hit.phrases[:3])
            verb = "mentions" if len(hit.titles) == 1 else "mention"
            out[factor].add(f"The research record discusses {hit.topic.name}: {titles}{more} {verb} "
                            f"{phrases}. So {hit.topic.implication}.", *hit.documents[:3])
