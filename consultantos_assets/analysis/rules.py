"""The rule-based analyst: frameworks derived from the evidence with explicit rules (pure).

Every point cites evidence ids; every figure in the text is formatted from an evidence value,
so the text never states a number the sources do not hold.
"""

from __future__ import annotations

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
)
from .analyst import EvidencePack, Frameworks
from .coverage import coverage, framework_confidence, pack_confidence, stale_families
from .formatting import money, pct
from .industry import MARKET_TYPICAL, has_specific_prior
from .signals import Signal, Signals, confidence_for
from .topics import document_topics, quoted

NAME = "rule-based v1"
# equity / assets at which a bank's capital reads as a cushion (large US banks hold roughly 7-10%)
BANK_EQUITY_CUSHION = 0.08
# net debt / EBITDA above which leverage reads as high, and below which as modest
NET_DEBT_HIGH, NET_DEBT_MODEST = 3.0, 1.5


class _Points:
    """Collects points and computes their confidence from what they cite."""

    def __init__(self, s: Signals):
        self.s = s
        self.items: list[FrameworkPoint] = []

    def add(self, text: str, *cites: Signal | str | None) -> None:
        ids = []
        for c in cites:
            if c is None:
                continue
            ids.append(c if isinstance(c, str) else c.id)
        ids = [i for i in dict.fromkeys(ids) if i in self.s.ev]
        self.items.append(FrameworkPoint(text=text, evidence=ids,
                                         confidence=confidence_for(ids, self.s.ev, self.s.as_of)))

    def prior(self, text: str) -> None:
        """A sector-level statement: cites the company profile (sector) only."""
        self.add(text, self.s.profile_id)


def _a(word: str) -> str:
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


class RuleBasedAnalyst:
    """Offline analyst: industry priors adjusted by the company's own figures."""

    name = NAME

    # ------------------------------------------------------------------ Porter
    def porter(self, pack: EvidencePack) -> PorterFiveForces:
        s = Signals(pack)
        forces = []
        for force in FORCE_LABELS:
            base, reason = s.prior.forces[force]
            pts = _Points(s)
            pts.prior(f"Industry structure: in {_sector_phrase(s)}, {reason}.")
            rating = base + getattr(self, f"_{force}")(s, pts)
            forces.append(Force(name=force, rating=_clamp(rating), points=pts.items))
        overall = _clamp(sum(f.rating for f in forces) / len(forces))
        strongest = max(forces, key=lambda f: f.rating)
        weakest = min(forces, key=lambda f: f.rating)
        summary = (
            f"Overall competitive intensity for {s.name} is {overall:.1f} of 5. The strongest force is "
            f"{FORCE_LABELS[strongest.name].lower()} ({strongest.rating:.1f} of 5); the weakest is "
            f"{FORCE_LABELS[weakest.name].lower()} ({weakest.rating:.1f} of 5)."
        )
        points = [p for f in forces for p in f.points]
        return PorterFiveForces(
            ticker=s.ticker, analyst=NAME, confidence=_framework_confidence(points, pack),
            data_gaps=_gaps(s), forces=forces, overall_intensity=overall, summary=summary,
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
            else:
                pts.add(f"A gross margin of {pct(gm.value)} in fiscal {s.fy} is neither a moat nor a weakness.", gm)
        if g is not None:
            if g.value < 0:
                adj += 0.5
                pts.add(f"Revenue fell {pct(-g.value)} in fiscal {s.fy}: share is being contested.", g)
            elif g.value > 0.15:
                adj -= 0.3
                pts.add(f"Revenue grew {pct(g.value)} in fiscal {s.fy}, faster than rivals can easily match.", g)
        if om is not None and om.value > 0.25:
            adj -= 0.2
            pts.add(f"An operating margin of {pct(om.value)} gives room to outspend rivals.", om)
        return adj

    @staticmethod
    def _supplier_power(s: Signals, pts: _Points) -> float:
        adj = 0.0
        ch = s.margin_change("gross_margin")
        if ch:
            first, last = ch
            delta = last.value - first.value
            if delta < -0.03:
                adj += 0.5
                pts.add(f"Gross margin slipped from {pct(first.value)} to {pct(last.value)}: input costs are "
                        "rising faster than prices.", first, last)
            elif delta > 0.03:
                adj -= 0.3
                pts.add(f"Gross margin widened from {pct(first.value)} to {pct(last.value)}: suppliers are not "
                        "capturing the gains.", first, last)
        rev = s.revenue
        if rev is not None and rev.value >= 100e9:
            adj -= 0.5
            pts.add(f"With revenue of {money(rev.value)} the company buys at a scale few suppliers can refuse.", rev)
        return adj

    @staticmethod
    def _buyer_power(s: Signals, pts: _Points) -> float:
        adj = 0.0
        nm = s.net_margin
        if nm is not None:
            if nm.value > 0.2:
                adj -= 0.5
                pts.add(f"A net margin of {pct(nm.value)} shows customers accept premium prices.", nm)
            elif nm.value < 0.05:
                adj += 0.5
                pts.add(f"A net margin of {pct(nm.value)} suggests customers push prices down.", nm)
        brand = s.brand_trend()
        if brand is not None and brand.momentum is not None:
            if brand.momentum > 0.1:
                adj -= 0.3
                pts.add(f"Search interest in '{brand.keyword}' runs {pct(brand.momentum, signed=True)} above its "
                        "52-week average: demand pull strengthens the seller.", brand.evidence_id)
            elif brand.momentum < -0.1:
                adj += 0.3
                pts.add(f"Search interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} against its "
                        "52-week average: buyers' attention is drifting.", brand.evidence_id)
        return adj

    @staticmethod
    def _threat_of_substitutes(s: Signals, pts: _Points) -> float:
        adj = 0.0
        for t in s.product_trends()[:2]:
            if t.change_yoy is None:
                continue
            if t.change_yoy < -0.2:
                adj += 0.3
                pts.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year: customers "
                        "may be looking elsewhere.", t.evidence_id)
            elif t.change_yoy > 0.2:
                adj -= 0.2
                pts.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year: the offer "
                        "is gaining relevance.", t.evidence_id)
        cagr = s.cagr
        if cagr is not None and cagr.value > 0.1:
            adj -= 0.3
            pts.add(f"Compound revenue growth of {pct(cagr.value)} a year shows customers are not substituting away.",
                    cagr)
        return adj

    @staticmethod
    def _threat_of_new_entrants(s: Signals, pts: _Points) -> float:
        adj = 0.0
        ta = s.total_assets
        if ta is not None:
            if ta.value >= 100e9:
                adj -= 0.5
                pts.add(f"Total assets of {money(ta.value)} set a capital barrier entrants cannot match quickly.", ta)
            elif ta.value < 5e9:
                adj += 0.3
                pts.add(f"Total assets of {money(ta.value)} mean the incumbent's scale is replicable.", ta)
        om, g = s.operating_margin, s.growth
        if om is not None and g is not None and om.value > 0.3 and g.value > 0.2:
            adj += 0.5
            pts.add(f"An operating margin of {pct(om.value)} with growth of {pct(g.value)} draws well-funded "
                    "entrants.", om, g)
        return adj

    # ------------------------------------------------------------------ SWOT
    def swot(self, pack: EvidencePack) -> SWOT:
        s = Signals(pack)
        st, wk, op, th = _Points(s), _Points(s), _Points(s), _Points(s)
        rev, g, cagr = s.revenue, s.growth, s.cagr
        gm, om, nm = s.gross_margin, s.operating_margin, s.net_margin
        typical = s.prior.typical
        if rev is not None:
            (st if rev.value >= 10e9 else wk).add(
                f"Revenue of {money(rev.value)} in fiscal {s.fy} "
                + ("gives scale in purchasing, distribution and R&D." if rev.value >= 10e9
                   else "limits scale against larger rivals."), rev)
        if cagr is not None:
            (st if cagr.value > typical.get("growth", 0.05) else wk).add(
                f"Revenue compounded at {pct(cagr.value)} a year over the period covered, "
                + ("ahead of" if cagr.value > typical.get("growth", 0.05) else "behind")
                + " a typical peer.", cagr)
        if g is not None and g.value < 0:
            wk.add(f"Revenue declined {pct(-g.value)} in fiscal {s.fy}.", g)
        for sig, key, label in ((gm, "gross_margin", "gross"), (om, "operating_margin", "operating")):
            if sig is None:
                continue
            bench = typical.get(key)
            if bench is not None and sig.value >= bench:
                st.add(f"{'An' if label[0] in 'aeiou' else 'A'} {label} margin of {pct(sig.value)} is above what the sector typically earns.", sig)
            elif bench is not None:
                wk.add(f"{'An' if label[0] in 'aeiou' else 'A'} {label} margin of {pct(sig.value)} is below what the sector typically earns.", sig)
        ch = s.margin_change("operating_margin")
        if ch and ch[1].value - ch[0].value < -0.03:
            wk.add(f"Operating margin fell from {pct(ch[0].value)} to {pct(ch[1].value)} over the period.", *ch)
        if nm is not None and nm.value < 0:
            wk.add(f"The company lost money: net margin {pct(nm.value)} in fiscal {s.fy}.", nm)
        lr, cd = s.liabilities_ratio, s.cash_to_debt
        nc, nde = s.net_cash, s.multiple("net_debt_ebitda")
        if nc is not None:  # net cash / net debt against earnings is the leverage measure when it exists
            lr = cd = None
            if nc.value >= 0:
                st.add(f"Net cash of {money(nc.value)} at the end of fiscal {s.fy}: cash and marketable "
                       "securities exceed total debt.", nc)
            elif nde is not None and nde.value > NET_DEBT_HIGH:
                wk.add(f"Net debt of {money(-nc.value)} is {nde.value:,.1f}x EBITDA: high leverage.", nc, nde)
            elif nde is not None and nde.value < NET_DEBT_MODEST:
                st.add(f"Net debt of {money(-nc.value)} is a modest {nde.value:,.1f}x EBITDA.", nc, nde)
        if lr is not None:
            if lr.value > 0.75 and nm is not None and nm.value > 0.15:
                wk.add(f"Liabilities are {pct(lr.value)} of assets: high leverage, though carried by a net margin "
                       f"of {pct(nm.value)}.", lr, nm)
            elif lr.value > 0.75:
                wk.add(f"Liabilities are {pct(lr.value)} of assets, leaving a thin equity cushion.", lr)
            elif lr.value < 0.5:
                st.add(f"Liabilities are only {pct(lr.value)} of assets: a conservative balance sheet.", lr)
        er = s.equity_ratio
        if er is not None:  # banks and insurers: capital, not liabilities/assets, measures the cushion
            (st if er.value >= BANK_EQUITY_CUSHION else wk).add(
                f"Equity is {pct(er.value)} of assets: "
                + ("a capital cushion above what banks typically hold." if er.value >= BANK_EQUITY_CUSHION
                   else "a thin capital cushion for a bank or insurer."), er)
        if cd is not None:
            if cd.value >= 1:
                st.add(f"Cash covers {pct(cd.value)} of long-term debt.", cd)
            elif cd.value < 0.3:
                wk.add(f"Cash covers only {pct(cd.value)} of long-term debt.", cd)
        r3, vol, dd = s.px("return_3y"), s.px("volatility"), s.px("max_drawdown")
        if r3 is not None:
            (st if r3.value > 0 else wk).add(
                f"The shares returned {pct(r3.value, signed=True)} over three years.", r3)
        if vol is not None and vol.value > 0.4:
            wk.add(f"Share-price volatility of {pct(vol.value)} a year raises the cost of capital.", vol)
        brand = s.brand_trend()
        if brand is not None and brand.momentum is not None and brand.momentum > 0.05:
            op.add(f"Search interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} against its "
                   "52-week average: momentum to convert into demand.", brand.evidence_id)
        for t in s.product_trends()[:3]:
            if t.peak_date and t.latest is not None and t.peak_value:
                if t.change_yoy is not None and t.change_yoy > 0.2:
                    op.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year: a product "
                           "cycle to build on.", t.evidence_id)
                elif t.latest >= 0.5 * t.peak_value:
                    op.add(f"'{t.keyword}' still draws {t.latest:,.0f} of its peak {t.peak_value:,.0f} search "
                           "interest: a live product franchise to extend.", t.evidence_id)
                else:
                    th.add(f"'{t.keyword}' has fallen to {t.latest:,.0f} from a search-interest peak of "
                           f"{t.peak_value:,.0f}: the franchise needs renewal.", t.evidence_id)
        op.prior(f"Sector tailwind: {s.prior.pestel['technological']}.")
        th.prior(f"Sector headwind: {s.prior.pestel['legal']}.")
        th.prior(f"Policy exposure: {s.prior.pestel['political']}.")
        if dd is not None and dd.value < -0.3:
            th.add(f"The shares fell {pct(-dd.value)} from peak to trough in the period: the market has doubted "
                   "the story before.", dd)
        n8k = s.recent_8k()
        if n8k is not None and n8k.value >= 12:
            th.add(f"{n8k.value:,.0f} current reports (8-K) in the latest year signal frequent material events.",
                   n8k)
        if not s.pack.financials.has_statements:
            wk.add(f"No SEC financial statements were available for {s.ticker}, so strengths and weaknesses "
                   "rest on market data and industry structure only.", s.profile_id)
        if not st.items:
            st.prior(f"Position in {_sector_phrase(s)}, an industry where {s.prior.forces['threat_of_new_entrants'][1]}.")
        if not wk.items:
            wk.prior(f"Exposure to {_sector_phrase(s)} demand cycles: {s.prior.pestel['economic']}.")
        return SWOT(
            ticker=s.ticker, analyst=NAME,
            confidence=_framework_confidence(st.items + wk.items + op.items + th.items, pack),
            data_gaps=_gaps(s), strengths=st.items, weaknesses=wk.items, opportunities=op.items,
            threats=th.items,
        )

    # ------------------------------------------------------------------ PESTEL
    def pestel(self, pack: EvidencePack) -> PESTEL:
        s = Signals(pack)
        out: dict[str, _Points] = {f: _Points(s) for f in PESTEL_FACTORS}
        for factor in PESTEL_FACTORS:
            out[factor].prior(f"{factor.capitalize()}: {s.prior.pestel[factor]}.")
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
            out["economic"].add(f"Annualised share volatility of {pct(vol.value)} reflects the market's view of "
                                "macro sensitivity.", vol)
        brand = s.brand_trend()
        if brand is not None and brand.change_yoy is not None:
            out["social"].add(f"Public attention to '{brand.keyword}' is {pct(brand.change_yoy, signed=True)} "
                              "year on year.", brand.evidence_id)
        for t in s.product_trends()[:2]:
            if t.momentum is not None:
                out["technological"].add(f"Interest in '{t.keyword}' runs {pct(t.momentum, signed=True)} against "
                                         "its 52-week average, a read on adoption of the product generation.",
                                         t.evidence_id)
        n8k = s.recent_8k()
        if n8k is not None and n8k.value:
            out["legal"].add(f"{n8k.value:,.0f} current reports (8-K) filed in the latest year keep disclosure "
                             "obligations in view.", n8k, f"doc:{s.ticker}:8k")
        self._document_factors(s, out)
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
        for k, pts in errc.items():
            pts.prior(f"{k.capitalize()}: {s.prior.errc[k]}.")
        gm, g, lr = s.gross_margin, s.growth, s.liabilities_ratio
        has_peers = self._peer_moves(s, errc)
        if not has_peers and gm is not None and gm.value < s.prior.typical.get("gross_margin", 0.35):
            errc["reduce"].add(f"Cost to serve: a gross margin of {pct(gm.value)} trails the sector.", gm)
        if not has_peers and g is not None and g.value < s.prior.typical.get("growth", 0.05):
            errc["create"].add(f"New demand: revenue changed only {pct(g.value, signed=True)} in fiscal {s.fy}, so "
                               "growth must come from non-customers.", g)
        nde = s.multiple("net_debt_ebitda")
        if s.net_cash is not None:
            if nde is not None and nde.value > NET_DEBT_HIGH:
                errc["reduce"].add(f"Capital intensity: net debt at {nde.value:,.1f}x EBITDA limits bold bets.", nde)
        elif lr is not None and lr.value > 0.7:
            errc["reduce"].add(f"Capital intensity: liabilities at {pct(lr.value)} of assets limit bold bets.", lr)
        for t in s.product_trends()[:1]:
            if t.momentum is not None and t.momentum > 0:
                errc["raise"].add(f"Investment behind '{t.keyword}', where interest runs "
                                  f"{pct(t.momentum, signed=True)} against its 52-week average.", t.evidence_id)
        canvas = self._canvas(s)
        allpts = [x for v in errc.values() for x in v.items]
        gaps = _gaps(s)
        if not has_peers and s.pack.financials.has_statements:
            gaps.extend(s.pack.peer_gaps)
            gaps.append("Without a median over at least three named peers, the strategy canvas compares with "
                        "industry priors (typical levels, not measured peers).")
        return BlueOcean(
            ticker=s.ticker, analyst=NAME, confidence=_framework_confidence(allpts, pack),
            data_gaps=gaps, eliminate=errc["eliminate"].items, reduce=errc["reduce"].items,
            raise_=errc["raise"].items, create=errc["create"].items, canvas=canvas,
        )

    @staticmethod
    def _peer_moves(s: Signals, errc: dict[str, _Points]) -> bool:
        """ERRC moves from the company's position against its sector peers' medians."""
        found = False

        def among(peer) -> str:  # the named basis of a peer median: "5 named peers (DELL, HPQ, ...)"
            ref = s.pack.by_id()[peer.id].reference or ""
            names = [part.split(" ")[0] for part in ref.split("; ") if part]
            return f"{len(names)} named peers ({', '.join(names)})"

        for metric, sig, label in (("gross_margin", s.gross_margin, "gross margin"),
                                   ("operating_margin", s.operating_margin, "operating margin")):
            peer = s.peer(metric)
            if peer is None:
                continue
            found = True
            if sig is None:
                continue
            gap = sig.value - peer.value
            if gap >= 0.05:
                errc["raise"].add(f"Differentiation that customers pay for: {_a(label)} {label} of {pct(sig.value)} against "
                                  f"a median of {pct(peer.value)} among {among(peer)}.", sig, peer)
            elif gap <= -0.05:
                errc["reduce"].add(f"Cost to serve: {_a(label)} {label} of {pct(sig.value)} trails the median of "
                                   f"{pct(peer.value)} among {among(peer)}.", sig, peer)
        peer_g, g = s.peer("revenue_growth"), s.growth
        if peer_g is not None:
            found = True
            if g is not None and g.value < peer_g.value:
                errc["create"].add(f"New demand: revenue changed {pct(g.value, signed=True)} in fiscal {s.fy} "
                                   f"against a median of {pct(peer_g.value, signed=True)} among {among(peer_g)}, so "
                                   "growth must come from non-customers.", g, peer_g)
            elif g is not None:
                errc["raise"].add(f"Capacity behind demand: revenue growth of {pct(g.value, signed=True)} outpaces "
                                  f"the median of {pct(peer_g.value, signed=True)} among {among(peer_g)}.", g, peer_g)
        return found

    @staticmethod
    def _canvas(s: Signals) -> list[CanvasFactor]:
        """Company vs sector on a 0-10 scale; only factors with evidence are drawn."""
        typ = s.prior.typical

        def scale(v: float, lo: float, hi: float) -> float:
            return round(max(0.0, min(10.0, (v - lo) / (hi - lo) * 10)), 1)

        rows: list[CanvasFactor] = []
        # the 'industry' line is the median of sector peers in the snapshot when there are any, else the prior
        for name, sig, key, peer_key, lo, hi in (
            ("Gross margin", s.gross_margin, "gross_margin", "gross_margin", 0.0, 0.8),
            ("Operating margin", s.operating_margin, "operating_margin", "operating_margin", -0.1, 0.5),
            ("Net margin", s.net_margin, "net_margin", "net_margin", -0.1, 0.4),
            ("Revenue growth", s.growth, "growth", "revenue_growth", -0.2, 0.6),
        ):
            peer = s.peer(peer_key)
            if sig is not None and peer is not None:
                rows.append(CanvasFactor(factor=name, company=scale(sig.value, lo, hi),
                                         industry=scale(peer.value, lo, hi), evidence=[sig.id, peer.id]))
            elif sig is not None and key in typ:
                rows.append(CanvasFactor(factor=name, company=scale(sig.value, lo, hi),
                                         industry=scale(typ[key], lo, hi), evidence=[sig.id]))
        rev = s.revenue
        if rev is not None:
            # log scale: $1B -> 2, $1T -> 10
            import math

            def log_scale(v: float) -> float:
                return scale(math.log10(max(v, 1e8)), 8.75, 12.0)

            peer_rev = s.peer("revenue")
            rows.append(CanvasFactor(factor="Scale (revenue)", company=log_scale(rev.value),
                                     industry=log_scale(peer_rev.value) if peer_rev else 5.0,
                                     evidence=[rev.id, peer_rev.id] if peer_rev else [rev.id]))
        market = MARKET_TYPICAL
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
        brand = s.brand_trend()
        if brand is not None and brand.momentum is not None:
            rows.append(CanvasFactor(factor="Brand momentum", company=scale(brand.momentum, -0.5, 0.5),
                                     industry=5.0, evidence=[brand.evidence_id]))
        return rows

    # ------------------------------------------------------------------ Synthesis
    def synthesis(self, pack: EvidencePack, fw: Frameworks) -> Synthesis:
        s = Signals(pack)
        cov = coverage(pack)
        conf = pack_confidence(pack)
        p = pack.research.profile
        sentences = [f"{s.name} ({s.ticker}) operates in {_sector_phrase(s)}."]
        rev, g, om = s.revenue, s.growth, s.operating_margin
        age = s.statements_age
        if age is not None and rev is not None:
            sentences.append(
                f"Its latest SEC statements are dated: fiscal {s.fy} ended {rev.evidence.date.isoformat()}, "  # type: ignore[union-attr]
                f"{age.value:,.0f} months before this report's data date of {s.as_of.isoformat()}, so the "  # type: ignore[union-attr]
                "figures below describe the company as it was then and confidence is lowered accordingly.")
        sentences += _latest_figures(s)
        if rev is not None:
            line = f"Fiscal {s.fy} revenue was {money(rev.value)}"
            if g is not None:
                line += f" ({pct(g.value, signed=True)} year on year)"
            if om is not None:
                line += f" at an operating margin of {pct(om.value)}"
            sentences.append(line + ".")
        else:
            sentences.append("SEC financial statements were not available, so this assessment rests on market "
                             "data, filings and industry structure.")
        r1 = s.px("return_1y")
        if r1 is not None:
            sentences.append(f"The shares moved {pct(r1.value, signed=True)} over the latest year.")
        sentences += _valuation_sentence(s)
        strongest = max(fw.porter.forces, key=lambda f: f.rating)
        sentences.append(
            f"Competitive intensity scores {fw.porter.overall_intensity:.1f} of 5, led by "
            f"{FORCE_LABELS[strongest.name].lower()}; "
            + ("documented strengths outnumber weaknesses." if len(fw.swot.strengths) > len(fw.swot.weaknesses)
               else "weaknesses weigh as much as strengths." if len(fw.swot.strengths) == len(fw.swot.weaknesses)
               else "documented weaknesses outnumber strengths."))
        findings = _top([*fw.swot.strengths, *fw.swot.weaknesses, *[x for f in fw.porter.forces for x in f.points]],
                        5)
        recs = self._recommendations(s, fw)
        risks = _top([*fw.swot.threats, *fw.swot.weaknesses], 5)
        gaps = list(dict.fromkeys(g for f in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean) for g in f.data_gaps))
        del p
        return Synthesis(
            ticker=s.ticker, analyst=NAME, confidence=conf, data_gaps=gaps,
            executive_summary=" ".join(sentences), key_findings=findings, recommendations=recs, risks=risks,
            confidence_breakdown=cov,
        )

    @staticmethod
    def _recommendations(s: Signals, fw: Frameworks) -> list[FrameworkPoint]:
        r = _Points(s)
        gm, g, lr, cd = s.gross_margin, s.growth, s.liabilities_ratio, s.cash_to_debt
        if gm is not None and g is not None:
            if gm.value >= s.prior.typical.get("gross_margin", 0.35) and g.value < 0.05:
                r.add(f"Defend pricing power (gross margin {pct(gm.value)}) while opening new growth vectors: "
                      f"revenue moved only {pct(g.value, signed=True)} in fiscal {s.fy}.", gm, g)
            elif g.value >= 0.05 and gm.value < s.prior.typical.get("gross_margin", 0.35):
                r.add(f"Convert growth of {pct(g.value)} into margin: gross margin of {pct(gm.value)} trails "
                      "the sector.", g, gm)
            elif g.value >= 0.05:
                r.add(f"Keep investing behind growth of {pct(g.value)} while margins ({pct(gm.value)} gross) "
                      "allow it.", g, gm)
            else:
                r.add(f"Restore growth and margin together: revenue {pct(g.value, signed=True)}, gross margin "
                      f"{pct(gm.value)}.", g, gm)
        nm = s.net_margin
        nc, nde = s.net_cash, s.multiple("net_debt_ebitda")
        if nc is not None:
            lr = cd = None
            if nc.value > 0:
                r.add(f"Put net cash of {money(nc.value)} to work in growth or returns to shareholders.", nc)
            elif nde is not None and nde.value > NET_DEBT_HIGH:
                r.add(f"Strengthen the balance sheet: net debt is {nde.value:,.1f}x EBITDA.", nde, nc)
        if lr is not None and lr.value > 0.75 and (nm is None or nm.value < 0.1):
            r.add(f"Strengthen the balance sheet: liabilities are {pct(lr.value)} of assets.", lr)
        elif lr is not None and lr.value > 0.75:
            r.add(f"Keep leverage tied to earnings power: liabilities are {pct(lr.value)} of assets against a net "
                  f"margin of {pct(nm.value)}.", lr, nm)
        elif cd is not None and cd.value > 1.5:
            r.add(f"Put idle cash to work: cash is {pct(cd.value)} of long-term debt.", cd)
        brand = s.brand_trend()
        if brand is not None and brand.momentum is not None:
            if brand.momentum > 0.05:
                r.add(f"Capitalise on attention: interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} "
                      "against its 52-week average.", brand.evidence_id)
            elif brand.momentum < -0.05:
                r.add(f"Rebuild attention: interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} "
                      "against its 52-week average.", brand.evidence_id)
        strongest = max(fw.porter.forces, key=lambda f: f.rating)
        cites = [e for p in strongest.points for e in p.evidence][:3]
        r.add(f"Address the strongest force, {FORCE_LABELS[strongest.name].lower()} "
              f"({strongest.rating:.1f} of 5): {s.prior.errc['raise']}.", *cites)
        for p in fw.blue_ocean.create[:1]:
            r.add(f"Create: {p.text[0].lower()}{p.text[1:]}" if not p.text.startswith("Create") else p.text,
                  *p.evidence)
        if not s.pack.financials.has_statements:
            r.add(f"Obtain audited financial statements for {s.ticker} before acting on this assessment.",
                  s.profile_id)
        return r.items


def _latest_figures(s: Signals) -> list[str]:
    """The latest quarter and trailing twelve months, when newer than the latest fiscal year."""
    latest = s.latest_quarter()
    if latest is None:
        return []
    q, growth = latest
    period = q.label.split(", ", 1)[1].replace(" fiscal ", " FY")
    line = f"In its latest quarter, {period} (to {q.date.isoformat()}), revenue was {money(q.value)}"  # type: ignore[union-attr]
    if growth is not None:
        line += f" ({pct(growth.value, signed=True)} year on year)"
    out = [line + "."]
    rev, ni, fcf = s.ttm("revenue"), s.ttm("net_income"), s.ttm("free_cash_flow")
    parts = [f"{label} {money(sig.value)}" for label, sig in (("revenue", rev), ("net income", ni),
                                                              ("free cash flow", fcf)) if sig is not None]
    if parts:
        out.append("Over the trailing twelve months " + ", ".join(parts) + ".")
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
