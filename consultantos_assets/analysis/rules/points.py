"""What the rule-based analyst's rules share (their thresholds are in thresholds.py): the point collector, the cap on priors, the comparison bases
(peer median, else a wide gap to a labelled prior) and the phrases that name periods (pure)."""

from __future__ import annotations

import math

from ...models import FrameworkPoint, TrendSeries
from ..figure_text import pct
from ..industry import prior_id
from ..signals import Signal, Signals, confidence_for, prior_only
from ..trend_reading import read_series
from .thresholds import PEER_GAP, PRIOR_GAP, PRIOR_SHARE


class Points:
    """Collects points and computes their confidence from what they cite; priors are kept apart."""

    def __init__(self, s: Signals):
        self.s = s
        self.company: list[FrameworkPoint] = []
        self.priors: list[FrameworkPoint] = []
        self.kept: list[FrameworkPoint] | None = None

    def _point(self, text: str, cites) -> FrameworkPoint:
        ids = [c if isinstance(c, str) else c.id for c in cites if c is not None]
        ids = [i for i in dict.fromkeys(ids) if i in self.s.ev]
        return FrameworkPoint(text=text, evidence=ids, confidence=confidence_for(ids, self.s.ev, self.s.as_of))

    def add(self, text: str, *cites: Signal | str | None) -> None:
        p = self._point(text, cites)
        (self.priors if p.evidence and prior_only(p.evidence, self.s.ev) else self.company).append(p)

    def prior(self, text: str, pid: str) -> None:
        """An industry-structure statement, labelled as a prior and citing the prior item itself."""
        if pid in self.s.ev:
            self.priors.append(self._point(f"Industry prior, not measured for {self.s.name}: {text}", [pid]))

    @property
    def items(self) -> list[FrameworkPoint]:
        return self.company + (self.priors if self.kept is None else self.kept)


def cap_priors(groups: list[Points], share: float = PRIOR_SHARE) -> None:
    """Keep priors only in groups without company points, at most `share` of all points (priors last)."""
    company = sum(len(g.company) for g in groups)
    allowed = math.floor(share * company / (1 - share) + 1e-9)
    for g in groups:
        g.kept = []
    for g in groups:
        if allowed <= 0:
            break
        if not g.company and g.priors:
            g.kept.append(g.priors[0])
            allowed -= 1


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def clamp_rating(x: float, lo: float = 1.0, hi: float = 5.0) -> float:
    return round(max(lo, min(hi, x)), 1)


def sector_phrase(s: Signals) -> str:
    if s.industry and s.sector:
        return f"{s.industry} ({s.sector})"
    return s.industry or s.sector or "its industry"


# ---------------------------------------------------------------------------------- comparison bases
def peer_basis(s: Signals, metric: str) -> tuple[Signal, str] | None:
    """The peer median of `metric` and the words naming it ("the median of 4 peers (DELL, HPQ, ...)")."""
    med = s.peer(metric)
    if med is None:
        return None
    named = [p.ticker for p in s.pack.peers if getattr(p, metric, None) is not None]
    who = f"the median of {len(named)} peers ({', '.join(named)})" if named else "the peer median"
    return med, who


def compare(s: Signals, sig: Signal, metric: str, prior: bool = True) -> tuple[int, str, list[Signal | str]] | None:
    """(direction, phrase, cites) of `sig` against peers, else (with `prior`) against a labelled prior when the
    gap is wide; None when neither basis holds or the gap is within what the basis can tell apart."""
    peer = peer_basis(s, metric)
    if peer is not None:
        med, who = peer
        gap = sig.value - med.value
        if abs(gap) < PEER_GAP:
            return 0, f"in line with {who} at {pct(med.value)}", [sig, med]
        return (1 if gap > 0 else -1), f"{'above' if gap > 0 else 'below'} {who} at {pct(med.value)}", [sig, med]
    typ = s.get(prior_id("typical", metric)) if prior else None
    if typ is None or abs(sig.value - typ.value) < PRIOR_GAP:
        return None
    side = "well above" if sig.value > typ.value else "well below"
    return ((1 if sig.value > typ.value else -1),
            f"{side} the {pct(typ.value)} typical for the sector (a prior, not a measured peer figure)", [sig, typ])


def usable_trend(s: Signals, t: TrendSeries, which: str):
    """The series' reading when it may carry a `which` (momentum | yoy) signal, else None."""
    r = read_series(t, s.as_of)
    ok = r.momentum_ok() if which == "momentum" else r.yoy_ok()
    value = t.momentum if which == "momentum" else t.change_yoy
    return r if ok and value is not None else None


def series_end(s: Signals, reading) -> str:
    """'' for a current series, else the clause saying when it ends."""
    if reading is None or not reading.dated or reading.last_date is None or s.as_of is None:
        return ""
    return f" (the series ends {reading.last_date.isoformat()}, before the report's data date of {s.as_of.isoformat()})"


def cagr_span(sig: Signal) -> str:
    """'fiscal 2021 to fiscal 2025' from a CAGR id fin:revenue_cagr:FY2021-FY2025."""
    a, _, b = sig.id.rsplit(":", 1)[-1].partition("-")
    return f"fiscal {a[2:]} to fiscal {b[2:]}" if a and b else "the period covered"


def fiscal_span(first: Signal, last: Signal) -> str:
    return f"fiscal {first.evidence.label.rsplit('fiscal ', 1)[-1]} to fiscal {last.evidence.label.rsplit('fiscal ', 1)[-1]}"
