"""The rule-based analyst: frameworks derived from the evidence with explicit rules (pure).

Every point cites evidence ids; every figure in the text is formatted from an evidence value, so the text
never states a number the sources do not hold. Each rule says what it needs and fires only then:

- comparisons with peers only on a peer median (peer:<metric>:median, at least three named peers), naming
  them; without one, a sector figure is a labelled prior (prior:typical:<metric>), used only for a wide gap
- leverage only from net debt / EBITDA (with interest coverage where computed), never liabilities to assets
- search-interest signals only from a base of at least trends.MIN_BASE of 100 and without a one-week spike;
  a series ending well before the report's date says when it ends
- a drawdown is a threat only when its trough lies within the year to the last close, and is stated with
  its dates and the year's return
- industry structure (prior:*) is a labelled prior, kept only where a section has no company evidence and
  at most PRIOR_SHARE of a framework's points, always after the company's own points
"""

from __future__ import annotations

import math

from ..models import (
    FORCE_LABELS,
    PESTEL,
    PESTEL_FACTORS,
    SWOT,
    BlueOcean,
    CanvasFactor,
    Force,
    FrameworkPoint,
    PorterFiveForces,
    Synthesis,
    TrendSeries,
)
from .analyst import EvidencePack, Frameworks
from .coverage import coverage, framework_confidence, overall_confidence, stale_families
from .figure_text import money, pct
from .industry import MARKET_TYPICAL, has_specific_prior, prior_id
from .signals import Signal, Signals, confidence_for, prior_only
from .topics import document_topics, quoted
from .trend_reading import read_series

NAME = "rule-based v2"
# equity / assets at which a bank's capital reads as a cushion (large US banks hold roughly 7-10%)
BANK_EQUITY_CUSHION = 0.08
# net debt / EBITDA above which leverage reads as high, and below which as modest
NET_DEBT_HIGH, NET_DEBT_MODEST = 3.0, 1.5
# operating income / interest below which interest is a burden
COVERAGE_THIN = 4.0
# a gap to a peer median that counts (margins, growth), and the wider gap a prior needs (priors are rough)
PEER_GAP, PRIOR_GAP = 0.02, 0.05
PRIOR_SHARE = 0.2  # at most this share of a framework's points may rest on priors alone
DRAWDOWN_RECENT_DAYS = 365
ATTENTION_MIN = 0.05  # search-interest momentum a recommendation needs
SLOW_GROWTH = 0.04  # compound revenue growth below this reads as slow whatever the sector


class _Points:
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


def cap_priors(groups: list[_Points], share: float = PRIOR_SHARE) -> None:
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


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _clamp(x: float, lo: float = 1.0, hi: float = 5.0) -> float:
    return round(max(lo, min(hi, x)), 1)


def _sector_phrase(s: Signals) -> str:
    if s.industry and s.sector:
        return f"{s.industry} ({s.sector})"
    return s.industry or s.sector or "its industry"


def _gaps(s: Signals) -> list[str]:
    fin = s.pack.financials
    gaps = list(fin.gaps)
    if not fin.has_statements:
        gaps.insert(0, f"Financial statements are missing for {s.ticker}: no SEC company facts were found.")
    if fin.prices is None:
        gaps.append(f"No price history for {s.ticker}.")
    if not s.pack.trends.series:
        gaps.append("No search-interest data.")
    elif s.pack.trends.missing:
        gaps.append("No search-interest data for: " + ", ".join(s.pack.trends.missing) + ".")
    if not s.sector:
        gaps.append("Sector unknown: industry-structure judgements use generic priors.")
    elif not has_specific_prior(s.sector):
        gaps.append(f"No industry-structure profile for the {s.sector} sector: generic priors used.")
    if s.financial_company:
        missing = [label for eid, label in (("net_interest_income", "net interest income"),
                                            ("credit_provisions", "provisions for credit losses"))
                   if s.fin(eid) is None]
        gaps.append("Bank or insurer: leverage is not judged from liabilities to assets (deposits and policy "
                    "reserves are its funding)" + (f"; {' and '.join(missing)} not found in the SEC facts"
                                                     if missing and fin.has_statements else "") + ".")
    gaps.extend(s.pack.research.warnings)
    gaps.extend(stale_families(s.pack))
    return gaps


def data_gaps(pack: EvidencePack) -> list[str]:
    """What is missing or stale in a company's evidence (the same list whichever analyst writes)."""
    return _gaps(Signals(pack))


def _framework_confidence(points: list[FrameworkPoint], pack: EvidencePack) -> float:
    """See coverage.py for the formula."""
    return framework_confidence(points, pack)


# ---------------------------------------------------------------------------------- comparison bases
def _peer_basis(s: Signals, metric: str) -> tuple[Signal, str] | None:
    """The peer median of `metric` and the words naming it ("the median of 4 peers (DELL, HPQ, ...)")."""
    med = s.peer(metric)
    if med is None:
        return None
    named = [p.ticker for p in s.pack.peers if getattr(p, metric, None) is not None]
    who = f"the median of {len(named)} peers ({', '.join(named)})" if named else "the peer median"
    return med, who


def _compare(s: Signals, sig: Signal, metric: str, prior: bool = True) -> tuple[int, str, list[Signal | str]] | None:
    """(direction, phrase, cites) of `sig` against peers, else (with `prior`) against a labelled prior when the
    gap is wide; None when neither basis holds or the gap is within what the basis can tell apart."""
    peer = _peer_basis(s, metric)
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


def _trend(s: Signals, t: TrendSeries, which: str):
    """The series' reading when it may carry a `which` (momentum | yoy) signal, else None."""
    r = read_series(t, s.as_of)
    ok = r.momentum_ok() if which == "momentum" else r.yoy_ok()
    value = t.momentum if which == "momentum" else t.change_yoy
    return r if ok and value is not None else None


def _ends(s: Signals, reading) -> str:
    """'' for a current series, else the clause saying when it ends."""
    if reading is None or not reading.dated or reading.last_date is None or s.as_of is None:
        return ""
    return f" (the series ends {reading.last_date.isoformat()}, before the report's data date of {s.as_of.isoformat()})"


class RuleBasedAnalyst:
    """Offline analyst: the company's own figures first, industry priors only where they are missing."""

    name = NAME

    # ------------------------------------------------------------------ Porter
    def porter(self, pack: EvidencePack) -> PorterFiveForces:
        s = Signals(pack)
        groups: dict[str, _Points] = {}
        ratings: dict[str, float] = {}
        for force in FORCE_LABELS:
            base, reason = s.prior.forces[force]
            pts = _Points(s)
            ratings[force] = base + getattr(self, f"_{force}")(s, pts)
            pts.prior(f"{reason} (a prior rating of {base:.1f} of 5).", prior_id("force", force))
            groups[force] = pts
        cap_priors(list(groups.values()))
        forces = [Force(name=f, rating=_clamp(ratings[f]), points=groups[f].items) for f in FORCE_LABELS]
        overall = _clamp(sum(f.rating for f in forces) / len(forces))
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
        gaps = _gaps(s) + [f"{FORCE_LABELS[f.name]}: no company evidence in the sources; rated at the industry "
                           f"prior ({f.rating:.1f} of 5)." for f in forces if not groups[f.name].company]
        if pack.financials.has_statements:
            gaps.append("Supplier and customer concentration are not in the sources (a 10-K's risk factors and "
                        "segment notes name them): supplier and buyer power are judged from margins only.")
        return PorterFiveForces(
            ticker=s.ticker, analyst=NAME, confidence=_framework_confidence(points, pack),
            data_gaps=gaps, forces=forces, overall_intensity=overall, summary=summary,
        )

    @staticmethod
    def _competitive_rivalry(s: Signals, pts: _Points) -> float:
        adj = 0.0
        gm, g, om = s.gross_margin, s.growth, s.operating_margin
        if gm is not None:
            if gm.value >= 0.5:
                adj -= 0.5
                pts.add(f"A gross margin of {pct(gm.value)} in fiscal {s.fy} shows differentiation that "
                        "blunts price competition.", gm)
            elif gm.value < 0.25:
                adj += 0.5
                pts.add(f"A gross margin of {pct(gm.value)} in fiscal {s.fy} leaves little room in a price war.", gm)
        if g is not None:
            peer = _compare(s, g, "revenue_growth") if s.peer("revenue_growth") else None
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

    @staticmethod
    def _supplier_power(s: Signals, pts: _Points) -> float:
        # who the suppliers are and how concentrated is not in the sources (the 10-K's risk factors name it):
        # only the gross-margin path says something about how input costs moved against prices
        adj = 0.0
        ch = s.margin_change("gross_margin")
        if ch:
            first, last = ch
            delta = last.value - first.value
            fy0 = first.evidence.label.rsplit("fiscal ", 1)[-1]
            if delta < -0.03:
                adj += 0.5
                pts.add(f"Gross margin slipped from {pct(first.value)} in fiscal {fy0} to {pct(last.value)} in "
                        f"fiscal {s.fy}: input costs rose faster than prices.", first, last)
            elif delta > 0.03:
                adj -= 0.3
                pts.add(f"Gross margin widened from {pct(first.value)} in fiscal {fy0} to {pct(last.value)} in "
                        f"fiscal {s.fy}: input costs have not outrun prices, whatever the suppliers' "
                        "concentration.", first, last)
        return adj

    @staticmethod
    def _buyer_power(s: Signals, pts: _Points) -> float:
        # customer concentration decides buyer power and is not in the sources: margins show only that prices
        # have held so far
        adj = 0.0
        nm = s.net_margin
        if nm is not None:
            if nm.value > 0.2:
                adj -= 0.3
                pts.add(f"A net margin of {pct(nm.value)} in fiscal {s.fy} shows prices have held so far; how "
                        "concentrated the customers are is not in the sources.", nm)
            elif nm.value < 0.05:
                adj += 0.5
                pts.add(f"A net margin of {pct(nm.value)} in fiscal {s.fy} leaves no pricing cushion against "
                        "buyers.", nm)
        return adj

    @staticmethod
    def _threat_of_substitutes(s: Signals, pts: _Points) -> float:
        adj = 0.0
        for t in s.product_trends()[:3]:
            r = _trend(s, t, "yoy")
            if r is None:
                continue
            if t.change_yoy < -0.2:  # type: ignore[operator]
                adj += 0.3
                pts.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                        f"{r.base_yoy:,.0f} of 100{_ends(s, r)}: customers may be looking elsewhere.", t.evidence_id)
            elif t.change_yoy > 0.2:  # type: ignore[operator]
                adj -= 0.2
                pts.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                        f"{r.base_yoy:,.0f} of 100{_ends(s, r)}: the offer is gaining relevance.", t.evidence_id)
        cagr = s.cagr
        if cagr is not None and cagr.value > 0.1:
            adj -= 0.3
            pts.add(f"Revenue compounded at {pct(cagr.value)} a year over {_span(cagr)}: customers are not "
                    "substituting away.", cagr)
        return adj

    @staticmethod
    def _threat_of_new_entrants(s: Signals, pts: _Points) -> float:
        adj = 0.0
        ta = s.total_assets
        if ta is not None:
            if ta.value >= 100e9:
                adj -= 0.5
                pts.add(f"Total assets of {money(ta.value)} at the end of fiscal {s.fy} set a capital barrier "
                        "entrants cannot match quickly.", ta)
            elif ta.value < 5e9:
                adj += 0.3
                pts.add(f"Total assets of {money(ta.value)} at the end of fiscal {s.fy} mean the incumbent's scale "
                        "is replicable.", ta)
        om, g = s.operating_margin, s.growth
        if om is not None and g is not None and om.value > 0.3 and g.value > 0.2:
            adj += 0.5
            pts.add(f"An operating margin of {pct(om.value)} with growth of {pct(g.value)} in fiscal {s.fy} draws "
                    "well-funded entrants.", om, g)
        return adj

    # ------------------------------------------------------------------ SWOT
    def swot(self, pack: EvidencePack) -> SWOT:
        s = Signals(pack)
        strengths, weaknesses, opportunities, threats = _Points(s), _Points(s), _Points(s), _Points(s)
        rev, g, cagr = s.revenue, s.growth, s.cagr
        gm, om, nm = s.gross_margin, s.operating_margin, s.net_margin
        if rev is not None:
            (strengths if rev.value >= 10e9 else weaknesses).add(
                f"Revenue of {money(rev.value)} in fiscal {s.fy} "
                + ("gives scale in purchasing, distribution and R&D." if rev.value >= 10e9
                   else "limits scale against larger rivals."), rev)
        growth_cmp = _compare(s, g, "revenue_growth") if g is not None and s.peer("revenue_growth") else None
        if growth_cmp is not None and growth_cmp[0]:
            (strengths if growth_cmp[0] > 0 else weaknesses).add(
                f"Revenue grew {pct(g.value, signed=True)} in fiscal {s.fy}, {growth_cmp[1]}.", *growth_cmp[2])  # type: ignore[union-attr]
        elif cagr is not None:
            cmp = _compare(s, cagr, "revenue_growth")
            if cmp is not None and cmp[0]:
                (strengths if cmp[0] > 0 else weaknesses).add(
                    f"Revenue compounded at {pct(cagr.value)} a year over {_span(cagr)}, {cmp[1]}.", *cmp[2])
            elif cagr.value >= 0.15:
                strengths.add(f"Revenue compounded at {pct(cagr.value)} a year over {_span(cagr)}.", cagr)
            elif 0 <= cagr.value < SLOW_GROWTH:
                weaknesses.add(f"Revenue compounded at only {pct(cagr.value)} a year over {_span(cagr)}.", cagr)
        if g is not None and g.value < 0:
            weaknesses.add(f"Revenue declined {pct(-g.value)} in fiscal {s.fy}.", g)
        for sig, key, label in ((gm, "gross_margin", "gross"), (om, "operating_margin", "operating")):
            if sig is None:
                continue
            cmp = _compare(s, sig, key)
            if cmp is None or not cmp[0]:
                continue
            (strengths if cmp[0] > 0 else weaknesses).add(
                f"{_article(label).capitalize()} {label} margin of {pct(sig.value)} in fiscal {s.fy} is {cmp[1]}.", *cmp[2])
        ch = s.margin_change("operating_margin")
        if ch and ch[1].value - ch[0].value < -0.03:
            weaknesses.add(f"Operating margin fell from {pct(ch[0].value)} to {pct(ch[1].value)} over {_span_of(*ch)}.", *ch)
        if nm is not None and nm.value < 0:
            weaknesses.add(f"The company lost money: net margin {pct(nm.value)} in fiscal {s.fy}.", nm)
        self._balance_sheet(s, strengths, weaknesses)
        r3, vol = s.px("return_3y"), s.px("volatility")
        when = f" to {r3.evidence.date.isoformat()}" if r3 is not None and r3.evidence.date else ""
        if r3 is not None:
            (strengths if r3.value > 0 else weaknesses).add(f"The shares returned {pct(r3.value, signed=True)} over the three "
                                             f"years{when}.", r3)
        if vol is not None and vol.value > 0.4:
            weaknesses.add(f"Share-price volatility of {pct(vol.value)} a year raises the cost of capital.", vol)
        brand = s.brand_trend()
        r = _trend(s, brand, "momentum") if brand is not None else None
        if brand is not None and r is not None and brand.momentum > ATTENTION_MIN:  # type: ignore[operator]
            opportunities.add(f"Search interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} against its 52-week "
                   f"average of {r.base_momentum:,.0f} of 100{_ends(s, r)}: attention to convert into demand.",
                   brand.evidence_id)
        for t in s.product_trends()[:3]:
            r = _trend(s, t, "yoy")
            if r is not None and t.change_yoy > 0.2:  # type: ignore[operator]
                opportunities.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                       f"{r.base_yoy:,.0f} of 100{_ends(s, r)}: a product cycle to build on.", t.evidence_id)
            elif r is not None and t.change_yoy < -0.2:  # type: ignore[operator]
                threats.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                       f"{r.base_yoy:,.0f} of 100{_ends(s, r)}: the franchise needs renewal.", t.evidence_id)
        latest = s.latest_quarter()
        if latest is not None and latest[1] is not None and g is not None and latest[0].date:
            q, qg = latest
            period = q.label.split(", ", 1)[1].replace(" fiscal ", " FY")
            if qg.value > g.value + 0.05:  # type: ignore[union-attr]
                opportunities.add(f"Growth picked up: revenue grew {pct(qg.value, signed=True)} year on year in {period} (to "  # type: ignore[union-attr]
                       f"{q.date.isoformat()}) against {pct(g.value, signed=True)} in fiscal {s.fy}: a cycle to "
                       "build on.", q.id, qg, g)
            elif qg.value < g.value - 0.05 and qg.value < 0.05:  # type: ignore[union-attr]
                threats.add(f"Growth is fading: revenue changed {pct(qg.value, signed=True)} year on year in {period} (to "  # type: ignore[union-attr]
                       f"{q.date.isoformat()}) against {pct(g.value, signed=True)} in fiscal {s.fy}.", q.id, qg, g)
        dd, r1 = s.px("max_drawdown"), s.px("return_1y")
        p = s.pack.financials.prices
        if (dd is not None and dd.value < -0.3 and p is not None and p.max_drawdown_trough and p.max_drawdown_peak
                and (p.last_date - p.max_drawdown_trough).days <= DRAWDOWN_RECENT_DAYS):
            threats.add(f"The shares fell {pct(-dd.value)} from {p.max_drawdown_peak.isoformat()} to "
                   f"{p.max_drawdown_trough.isoformat()}, within the year to {p.last_date.isoformat()}"
                   + (f" (over which they moved {pct(r1.value, signed=True)})" if r1 is not None else "")
                   + ": a fall of that size can return with the next shock.", dd, r1)
        n8k = s.recent_8k()
        if n8k is not None and n8k.value >= 12:
            threats.add(f"{n8k.value:,.0f} current reports (8-K) in the year to {n8k.evidence.date.isoformat()} signal "  # type: ignore[union-attr]
                   "frequent material events.", n8k)
        opportunities.prior(f"a sector tailwind: {s.prior.pestel['technological']}.", prior_id("pestel", "technological"))
        threats.prior(f"a sector headwind: {s.prior.pestel['legal']}.", prior_id("pestel", "legal"))
        threats.prior(f"policy exposure: {s.prior.pestel['political']}.", prior_id("pestel", "political"))
        strengths.prior(f"an industry where {s.prior.forces['threat_of_new_entrants'][1]}.",
                 prior_id("force", "threat_of_new_entrants"))
        weaknesses.prior(f"demand cycles: {s.prior.pestel['economic']}.", prior_id("pestel", "economic"))
        cap_priors([strengths, weaknesses, opportunities, threats])
        return SWOT(
            ticker=s.ticker, analyst=NAME,
            confidence=_framework_confidence(strengths.items + weaknesses.items + opportunities.items + threats.items, pack),
            data_gaps=_gaps(s), strengths=strengths.items, weaknesses=weaknesses.items, opportunities=opportunities.items,
            threats=threats.items,
        )

    @staticmethod
    def _balance_sheet(s: Signals, strengths: _Points, weaknesses: _Points) -> None:
        """Leverage from net debt / EBITDA and interest coverage only; liquidity from cash to debt when net cash
        cannot be stated; capital (equity to assets) for banks and insurers."""
        nc, nde, cov = s.net_cash, s.multiple("net_debt_ebitda"), s.multiple("interest_coverage")
        if nc is not None:
            if nc.value >= 0:
                strengths.add(f"Net cash of {money(nc.value)} at the end of fiscal {s.fy}: cash and marketable "
                       "securities exceed total debt.", nc)
            elif nde is not None and nde.value > NET_DEBT_HIGH:
                thin = cov is not None and cov.value < COVERAGE_THIN
                weaknesses.add(f"Net debt of {money(-nc.value)} is {nde.value:,.1f}x EBITDA: high leverage"
                       + (f", with operating income covering interest only {cov.value:,.1f}x." if thin else "."),
                       nc, nde, cov if thin else None)
            elif nde is not None and nde.value < NET_DEBT_MODEST:
                strengths.add(f"Net debt of {money(-nc.value)} is a modest {nde.value:,.1f}x EBITDA.", nc, nde)
        else:
            cd = s.cash_to_debt
            if cd is not None and cd.value >= 1:
                strengths.add(f"Cash covers {pct(cd.value)} of long-term debt at the end of fiscal {s.fy}.", cd)
            elif cd is not None and cd.value < 0.3:
                weaknesses.add(f"Cash covers only {pct(cd.value)} of long-term debt at the end of fiscal {s.fy}.", cd)
        er = s.equity_ratio
        if er is not None:  # banks and insurers: capital, not liabilities/assets, measures the cushion
            (strengths if er.value >= BANK_EQUITY_CUSHION else weaknesses).add(
                f"Equity is {pct(er.value)} of assets at the end of fiscal {s.fy}: "
                + ("a capital cushion above what banks typically hold." if er.value >= BANK_EQUITY_CUSHION
                   else "a thin capital cushion for a bank or insurer."), er)

    # ------------------------------------------------------------------ PESTEL
    def pestel(self, pack: EvidencePack) -> PESTEL:
        s = Signals(pack)
        out: dict[str, _Points] = {f: _Points(s) for f in PESTEL_FACTORS}
        p = s.pack.research.profile
        if p.state_of_incorporation or p.headquarters:
            where = ", ".join(x for x in (
                f"incorporated in {p.state_of_incorporation}" if p.state_of_incorporation else "",
                f"headquartered in {p.headquarters}" if p.headquarters else "") if x)
            out["political"].add(f"{s.name} is {where}, so US federal and state policy apply first.", s.profile_id)
        vol, g = s.px("volatility"), s.growth
        if g is not None:
            out["economic"].add(f"Revenue changed {pct(g.value, signed=True)} in fiscal {s.fy}, a gauge of how "
                                "demand held up in the latest cycle.", g)
        if vol is not None:
            out["economic"].add(f"Annualised share volatility of {pct(vol.value)} in the year to "
                                f"{vol.evidence.date.isoformat() if vol.evidence.date else 'the last close'} reflects "
                                "the market's view of macro sensitivity.", vol)
        brand = s.brand_trend()
        r = _trend(s, brand, "yoy") if brand is not None else None
        if brand is not None and r is not None:
            out["social"].add(f"Public attention to '{brand.keyword}' is {pct(brand.change_yoy, signed=True)} year on "
                              f"year from a base of {r.base_yoy:,.0f} of 100{_ends(s, r)}.", brand.evidence_id)
        for t in s.product_trends()[:2]:
            r = _trend(s, t, "momentum")
            if r is not None:
                out["technological"].add(f"Interest in '{t.keyword}' runs {pct(t.momentum, signed=True)} against its "
                                         f"52-week average of {r.base_momentum:,.0f} of 100{_ends(s, r)}, a read on "
                                         "adoption of the product generation.", t.evidence_id)
        n8k = s.recent_8k()
        if n8k is not None and n8k.value:
            out["legal"].add(f"{n8k.value:,.0f} current reports (8-K) filed in the year to "
                             f"{n8k.evidence.date.isoformat()} keep disclosure obligations in view.",  # type: ignore[union-attr]
                             n8k, f"doc:{s.ticker}:8k")
        self._document_factors(s, out)
        for factor in PESTEL_FACTORS:
            out[factor].prior(f"{s.prior.pestel[factor]}.", prior_id("pestel", factor))
        cap_priors(list(out.values()))
        items = {f: pts.items for f, pts in out.items()}
        allpts = [x for v in items.values() for x in v]
        return PESTEL(ticker=s.ticker, analyst=NAME, confidence=_framework_confidence(allpts, pack),
                      data_gaps=_gaps(s), **items)

    @staticmethod
    def _document_factors(s: Signals, out: dict[str, _Points], per_factor: int = 2) -> None:
        """PESTEL points from what the research documents discuss, citing the documents."""
        for factor, hits in document_topics(s.pack.research).items():
            for hit in hits[:per_factor]:
                titles = ", ".join(quoted(t) for t in hit.titles[:2])
                more = " and other documents" if len(hit.titles) > 2 else ""
                phrases = ", ".join(quoted(p, 40) for p in hit.phrases[:3])
                verb = "mentions" if len(hit.titles) == 1 else "mention"
                out[factor].add(f"The research record discusses {hit.topic.name}: {titles}{more} {verb} "
                                f"{phrases}. So {hit.topic.implication}.", *hit.documents[:3])

    # ------------------------------------------------------------------ Blue Ocean
    def blue_ocean(self, pack: EvidencePack) -> BlueOcean:
        s = Signals(pack)
        errc = {k: _Points(s) for k in ("eliminate", "reduce", "raise", "create")}
        has_peers = self._peer_moves(s, errc)
        gm, g = s.gross_margin, s.growth
        if not has_peers and gm is not None:
            cmp = _compare(s, gm, "gross_margin")
            if cmp is not None and cmp[0] < 0:
                errc["reduce"].add(f"Cost to serve: a gross margin of {pct(gm.value)} in fiscal {s.fy} is {cmp[1]}.",
                                   *cmp[2])
        if not has_peers and g is not None:
            cmp = _compare(s, g, "revenue_growth")
            if cmp is not None and cmp[0] < 0:
                errc["create"].add(f"New demand: revenue changed {pct(g.value, signed=True)} in fiscal {s.fy}, "
                                   f"{cmp[1]}, so growth must come from non-customers.", *cmp[2])
        nde, nc, om = s.multiple("net_debt_ebitda"), s.net_cash, s.operating_margin
        ch = s.margin_change("operating_margin")
        if ch and ch[1].value - ch[0].value < -0.03:
            errc["reduce"].add(f"Cost growth: operating margin fell from {pct(ch[0].value)} to {pct(ch[1].value)} over "
                               f"{_span_of(*ch)}.", *ch)
        if nc is not None and nc.value > 0 and s.cagr is not None and s.cagr.value < SLOW_GROWTH:
            errc["create"].add(f"New offers funded from the balance sheet: net cash of {money(nc.value)} at the end of "
                               f"fiscal {s.fy} against revenue that compounded at only {pct(s.cagr.value)} a year over "
                               f"{_span(s.cagr)}.", nc, s.cagr)
        if g is not None and om is not None and g.value > 0.15 and om.value > 0.2:
            errc["raise"].add(f"Capacity behind demand: revenue grew {pct(g.value)} in fiscal {s.fy} at an operating "
                              f"margin of {pct(om.value)}.", g, om)
        if s.net_cash is not None and s.net_cash.value < 0 and nde is not None and nde.value > NET_DEBT_HIGH:
            errc["reduce"].add(f"Capital intensity: net debt at {nde.value:,.1f}x EBITDA limits bold bets.", nde)
        for t in s.product_trends()[:1]:
            r = _trend(s, t, "momentum")
            if r is not None and t.momentum > ATTENTION_MIN:  # type: ignore[operator]
                errc["raise"].add(f"Investment behind '{t.keyword}', where interest runs "
                                  f"{pct(t.momentum, signed=True)} against its 52-week average of "
                                  f"{r.base_momentum:,.0f} of 100{_ends(s, r)}.", t.evidence_id)
        for k, pts in errc.items():
            pts.prior(f"a common '{k}' move in the sector is {s.prior.errc[k]}.", prior_id("errc", k))
        cap_priors(list(errc.values()))
        canvas = self._canvas(s)
        allpts = [x for v in errc.values() for x in v.items]
        gaps = _gaps(s)
        if not has_peers and s.pack.financials.has_statements:
            gaps.extend(s.pack.peer_gaps)
            gaps.append("Fewer than three named peers have the figures: the strategy canvas's industry line is the "
                        "sector prior (not a measured peer figure), and no ERRC move is judged against peers.")
        return BlueOcean(
            ticker=s.ticker, analyst=NAME, confidence=_framework_confidence(allpts, pack),
            data_gaps=gaps, eliminate=errc["eliminate"].items, reduce=errc["reduce"].items,
            raise_=errc["raise"].items, create=errc["create"].items, canvas=canvas,
        )

    @staticmethod
    def _peer_moves(s: Signals, errc: dict[str, _Points]) -> bool:
        """ERRC moves from the company's position against its named peers' medians."""
        found = False
        for metric, sig, label in (("gross_margin", s.gross_margin, "gross margin"),
                                   ("operating_margin", s.operating_margin, "operating margin")):
            basis = _peer_basis(s, metric)
            if basis is None:
                continue
            found = True
            if sig is None:
                continue
            peer, who = basis
            gap = sig.value - peer.value
            if gap >= 0.05:
                errc["raise"].add(f"Differentiation that customers pay for: {_article(label)} {label} of {pct(sig.value)} "
                                  f"against {who} at {pct(peer.value)}.", sig, peer)
            elif gap <= -0.05:
                errc["reduce"].add(f"Cost to serve: {_article(label)} {label} of {pct(sig.value)} trails {who} at "
                                   f"{pct(peer.value)}.", sig, peer)
        basis, g = _peer_basis(s, "revenue_growth"), s.growth
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

    @staticmethod
    def _canvas(s: Signals) -> list[CanvasFactor]:
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
        r1, vol = s.px("return_1y"), s.px("volatility")
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

    # ------------------------------------------------------------------ Synthesis
    def synthesis(self, pack: EvidencePack, fw: Frameworks) -> Synthesis:
        s = Signals(pack)
        cov = coverage(pack)
        conf = overall_confidence(fw, pack)
        thesis = _thesis(s)
        context = [f"{s.name} ({s.ticker}) operates in {_sector_phrase(s)}."]
        context += _latest_figures(s, ttm_only=True)
        r1 = s.px("return_1y")
        if r1 is not None and r1.evidence.date and not any("over the year to" in t for t in thesis):
            context.append(f"The shares moved {pct(r1.value, signed=True)} over the year to "
                           f"{r1.evidence.date.isoformat()}.")
        strongest = max(fw.porter.forces, key=lambda f: f.rating)
        on_priors = not any(p.evidence and not prior_only(p.evidence, s.ev) for f in fw.porter.forces for p in f.points)
        context.append(
            f"Competitive intensity scores {fw.porter.overall_intensity:.1f} of 5"
            + (" on industry priors alone (no company evidence bears on the five forces); " if on_priors else
               f", led by {FORCE_LABELS[strongest.name].lower()}; ")
            + ("documented strengths outnumber weaknesses." if len(fw.swot.strengths) > len(fw.swot.weaknesses)
               else "weaknesses weigh as much as strengths." if len(fw.swot.strengths) == len(fw.swot.weaknesses)
               else "documented weaknesses outnumber strengths."))
        ev = s.ev
        company = [p for p in [*fw.swot.strengths, *fw.swot.weaknesses, *[x for f in fw.porter.forces for x in f.points]]
                   if p.evidence and not prior_only(p.evidence, ev)]
        findings = _top(company, 5)
        recs = self._recommendations(s)
        risks = _top([p for p in [*fw.swot.threats, *fw.swot.weaknesses] if p.evidence and not prior_only(p.evidence, ev)],
                     5)
        gaps = list(dict.fromkeys(g for f in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean) for g in f.data_gaps))
        return Synthesis(
            ticker=s.ticker, analyst=NAME, confidence=conf, data_gaps=gaps,
            executive_summary=" ".join(thesis) + "\n\n" + " ".join(context), key_findings=findings,
            recommendations=recs, risks=risks, confidence_breakdown=cov,
        )

    @staticmethod
    def _recommendations(s: Signals) -> list[FrameworkPoint]:
        """Each names the metric it would move and, where the evidence gives one, the size of the gap; the data
        first when it is missing or dated; at most one driven by search attention, never the first."""
        r = _Points(s)
        fin = s.pack.financials
        age = s.statements_age
        if not fin.has_statements:
            r.add(f"Obtain audited statements for {s.ticker} before acting on this assessment: no revenue, margin "
                  "or balance-sheet figure could be read from SEC company facts.", "fin:statements_missing")
        elif age is not None:
            r.add(f"Refresh the statements before acting on any margin or leverage figure here: the latest annual "
                  f"statements (fiscal {s.fy}) are {age.value:,.0f} months older than the report's data date.", age)
        g, cagr, gm, om = s.growth, s.cagr, s.gross_margin, s.operating_margin
        growth_cmp = _compare(s, g, "revenue_growth", prior=False) if g is not None else None
        if g is not None and growth_cmp is not None and growth_cmp[0] < 0:
            r.add(f"Make revenue growth the metric to move: {pct(g.value, signed=True)} in fiscal {s.fy}, "
                  f"{growth_cmp[1]}.", *growth_cmp[2])
        elif cagr is not None and g is not None:
            if 0 <= cagr.value < SLOW_GROWTH and om is not None and om.value > 0.15:
                r.add(f"Make revenue growth the metric to move: revenue compounded at only {pct(cagr.value)} a year "
                      f"over {_span(cagr)} while the operating margin of {pct(om.value)} in fiscal {s.fy} can fund "
                      "new offers.", cagr, om)
            elif g.value > 0.15 and om is not None and om.value > 0.2:
                r.add(f"Keep capacity and supply ahead of demand: revenue grew {pct(g.value)} in fiscal {s.fy} at an "
                      f"operating margin of {pct(om.value)}, so lost volume costs more than spare capacity.", g, om)
        for sig, key, label in ((gm, "gross_margin", "gross margin"), (om, "operating_margin", "operating margin")):
            if sig is None:
                continue
            cmp = _compare(s, sig, key, prior=False)  # a rule of thumb sets no target
            if cmp is not None and cmp[0] < 0:
                r.add(f"Lift {label} from {pct(sig.value)} in fiscal {s.fy}: it is {cmp[1]}.", *cmp[2])
                break
        ch = s.margin_change("operating_margin")
        if ch and ch[1].value - ch[0].value < -0.03:
            r.add(f"Recover operating margin from {pct(ch[1].value)} in fiscal {s.fy} towards the {pct(ch[0].value)} "
                  f"of fiscal {ch[0].evidence.label.rsplit('fiscal ', 1)[-1]}.", *ch)
        nc, nde, fcfy = s.net_cash, s.multiple("net_debt_ebitda"), s.multiple("fcf_yield")
        if age is not None:  # a balance sheet years old sets no capital decision today
            pass
        elif nc is not None and nc.value > 0:
            r.add(f"Decide the use of net cash of {money(nc.value)} (end of fiscal {s.fy}): invested or returned, it "
                  "moves the free cash flow yield"
                  + (f", {pct(fcfy.value)} at the last close." if fcfy is not None else "."), nc, fcfy)
        elif nc is not None and nde is not None and nde.value > NET_DEBT_HIGH:
            r.add(f"Bring net debt of {money(-nc.value)} down from {nde.value:,.1f}x EBITDA before new bets.", nc, nde)
        brand = s.brand_trend()
        rd = _trend(s, brand, "momentum") if brand is not None else None
        if (r.company and brand is not None and rd is not None and not rd.dated
                and abs(brand.momentum) > ATTENTION_MIN):  # type: ignore[arg-type]
            verb = "Convert attention into demand" if brand.momentum > 0 else "Rebuild attention"  # type: ignore[operator]
            r.add(f"{verb}: search interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} against its "
                  f"52-week average of {rd.base_momentum:,.0f} of 100{_ends(s, rd)}; the metric is demand, "
                  "not attention.", brand.evidence_id)
        return r.items


def _span(sig: Signal) -> str:
    """'fiscal 2021 to fiscal 2025' from a CAGR id fin:revenue_cagr:FY2021-FY2025."""
    a, _, b = sig.id.rsplit(":", 1)[-1].partition("-")
    return f"fiscal {a[2:]} to fiscal {b[2:]}" if a and b else "the period covered"


def _span_of(first: Signal, last: Signal) -> str:
    return f"fiscal {first.evidence.label.rsplit('fiscal ', 1)[-1]} to fiscal {last.evidence.label.rsplit('fiscal ', 1)[-1]}"


def _thesis(s: Signals) -> list[str]:
    """The two or three things that matter most, each a judgement with its figures and dates: the state of the
    data when it limits everything else, then the growth path, then profitability and the balance sheet, then
    what the share price assumes."""
    out: list[str] = []
    rev, g, om, age, cagr = s.revenue, s.growth, s.operating_margin, s.statements_age, s.cagr
    if not s.pack.financials.has_statements:
        out.append(f"No SEC statements were available for {s.name}, so nothing here rests on its revenue, margins "
                   "or balance sheet.")
    elif age is not None and rev is not None and rev.evidence.date and s.as_of:
        out.append(f"Its latest SEC statements are dated: fiscal {s.fy} ended {rev.evidence.date.isoformat()}, "
                   f"{age.value:,.0f} months before this report's data date of {s.as_of.isoformat()}, so the figures "
                   "below describe the company as it was then and confidence is lowered accordingly.")
    latest = s.latest_quarter()
    if rev is not None and g is not None:
        annual = f"fiscal {s.fy} revenue of {money(rev.value)} ({pct(g.value, signed=True)} year on year)"
        if cagr is not None:
            annual += f" and {pct(cagr.value)} a year compounded over {_span(cagr)}"
        q, qg = latest if latest is not None else (None, None)
        if q is not None and qg is not None and q.date:
            period = q.label.split(", ", 1)[1].replace(" fiscal ", " FY")
            trend = ("picking up" if qg.value > g.value + 0.05 else "slowing" if qg.value < g.value - 0.05
                     else "holding")
            out.append(f"Growth is {trend}: in its latest quarter, {period} (to {q.date.isoformat()}), revenue was "
                       f"{money(q.value)} ({pct(qg.value, signed=True)} year on year), against {annual}.")  # type: ignore[arg-type]
        else:
            out.append(f"Growth: {annual}.")
    if om is not None:
        level = "high" if om.value >= 0.2 else "thin" if om.value < 0.05 else "moderate"
        line = f"Profitability is {level}: an operating margin of {pct(om.value)} in fiscal {s.fy}"
        nc = s.net_cash
        if nc is not None and nc.evidence.date:
            line += (f", with net cash of {money(nc.value)}" if nc.value >= 0 else
                     f", with net debt of {money(-nc.value)}") + f" at {nc.evidence.date.isoformat()}"
        out.append(line + ".")
    if len(out) < 3:
        out += _valuation_sentence(s)
    if len(out) < 3:
        r1 = s.px("return_1y")
        if r1 is not None and r1.evidence.date:
            out.append(f"The shares moved {pct(r1.value, signed=True)} over the year to {r1.evidence.date.isoformat()}.")
    out = out[:3]
    if out:
        out[0] = "What matters most: " + out[0][0].lower() + out[0][1:]
    return out


def _latest_figures(s: Signals, ttm_only: bool = False) -> list[str]:
    """The latest quarter and trailing twelve months, when newer than the latest fiscal year."""
    latest = s.latest_quarter()
    if latest is None:
        return []
    q, growth = latest
    period = q.label.split(", ", 1)[1].replace(" fiscal ", " FY")
    line = f"In its latest quarter, {period} (to {q.date.isoformat()}), revenue was {money(q.value)}"  # type: ignore[union-attr]
    if growth is not None:
        line += f" ({pct(growth.value, signed=True)} year on year)"
    out = [] if ttm_only else [line + "."]
    rev, ni, fcf = s.ttm("revenue"), s.ttm("net_income"), s.ttm("free_cash_flow")
    parts = [f"{label} {money(sig.value)}" for label, sig in (("revenue", rev), ("net income", ni),
                                                              ("free cash flow", fcf)) if sig is not None]
    if parts:
        out.append(f"Over the trailing twelve months to {q.date.isoformat()} " + ", ".join(parts) + ".")  # type: ignore[union-attr]
    return out


def _valuation_sentence(s: Signals) -> list[str]:
    pe, fcf_yield = s.multiple("pe_trailing"), s.multiple("fcf_yield")
    parts = []
    if pe is not None:
        parts.append(f"{pe.value:,.1f}x trailing earnings ({pe.evidence.label.split(', ', 1)[-1]})")
    if fcf_yield is not None:
        parts.append(f"a free cash flow yield of {pct(fcf_yield.value)}")
    if not parts:
        return []
    close = (pe or fcf_yield).evidence.date  # type: ignore[union-attr]
    return [f"At the last close ({close.isoformat() if close else 'date unknown'}) the shares traded at "
            + " with ".join(parts) + "."]


def _top(points: list[FrameworkPoint], n: int) -> list[FrameworkPoint]:
    """Best-evidenced points first, stable, without repeats."""
    seen: set[str] = set()
    ranked = sorted(points, key=lambda p: (-p.confidence, -len(p.evidence)))
    out = []
    for p in ranked:
        if p.text in seen:
            continue
        seen.add(p.text)
        out.append(p)
        if len(out) == n:
            break
    return out
