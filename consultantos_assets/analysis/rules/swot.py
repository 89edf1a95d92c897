"""SWOT by rule: strengths and weaknesses from the company's figures against its peers, opportunities and
threats from search interest, quarters, drawdowns and filings (pure)."""

from __future__ import annotations

from ...models import (
    SWOT,
)
from ..analyst import EvidencePack
from ..coverage import framework_confidence
from ..data_gaps import signal_gaps
from ..figure_text import money, pct
from ..industry import prior_id
from ..signals import Signals
from .points import Points, article, cagr_span, cap_priors, compare, fiscal_span, series_end, usable_trend
from .thresholds import (
    ATTENTION_MIN,
    BANK_EQUITY_CUSHION,
    COVERAGE_THIN,
    DRAWDOWN_RECENT_DAYS,
    NAME,
    NET_DEBT_HIGH,
    NET_DEBT_MODEST,
    SLOW_GROWTH,
)


# ------------------------------------------------------------------ SWOT
def swot(pack: EvidencePack) -> SWOT:
    s = Signals(pack)
    strengths, weaknesses, opportunities, threats = Points(s), Points(s), Points(s), Points(s)
    rev, g, cagr = s.revenue, s.growth, s.cagr
    gm, om, nm = s.gross_margin, s.operating_margin, s.net_margin
    if rev is not None:
        (strengths if rev.value >= 10e9 else weaknesses).add(
            f"Revenue of {money(rev.value)} in fiscal {s.fy} "
            + ("gives scale in purchasing, distribution and R&D." if rev.value >= 10e9
               else "limits scale against larger rivals."), rev)
    growth_cmp = compare(s, g, "revenue_growth") if g is not None and s.peer("revenue_growth") else None
    if growth_cmp is not None and growth_cmp[0]:
        (strengths if growth_cmp[0] > 0 else weaknesses).add(
            f"Revenue grew {pct(g.value, signed=True)} in fiscal {s.fy}, {growth_cmp[1]}.", *growth_cmp[2])  # type: ignore[union-attr]
    elif cagr is not None:
        cmp = compare(s, cagr, "revenue_growth")
        if cmp is not None and cmp[0]:
            (strengths if cmp[0] > 0 else weaknesses).add(
                f"Revenue compounded at {pct(cagr.value)} a year over {cagr_span(cagr)}, {cmp[1]}.", *cmp[2])
        elif cagr.value >= 0.15:
            strengths.add(f"Revenue compounded at {pct(cagr.value)} a year over {cagr_span(cagr)}.", cagr)
        elif 0 <= cagr.value < SLOW_GROWTH:
            weaknesses.add(f"Revenue compounded at only {pct(cagr.value)} a year over {cagr_span(cagr)}.", cagr)
    if g is not None and g.value < 0:
        weaknesses.add(f"Revenue declined {pct(-g.value)} in fiscal {s.fy}.", g)
    for sig, key, label in ((gm, "gross_margin", "gross"), (om, "operating_margin", "operating")):
        if sig is None:
            continue
        cmp = compare(s, sig, key)
        if cmp is None or not cmp[0]:
            continue
        (strengths if cmp[0] > 0 else weaknesses).add(
            f"{article(label).capitalize()} {label} margin of {pct(sig.value)} in fiscal {s.fy} is {cmp[1]}.", *cmp[2])
    ch = s.margin_change("operating_margin")
    if ch and ch[1].value - ch[0].value < -0.03:
        weaknesses.add(f"Operating margin fell from {pct(ch[0].value)} to {pct(ch[1].value)} over {fiscal_span(*ch)}.", *ch)
    if nm is not None and nm.value < 0:
        weaknesses.add(f"The company lost money: net margin {pct(nm.value)} in fiscal {s.fy}.", nm)
    balance_sheet(s, strengths, weaknesses)
    r3, vol = s.price_figure("return_3y"), s.price_figure("volatility")
    when = f" to {r3.evidence.date.isoformat()}" if r3 is not None and r3.evidence.date else ""
    if r3 is not None:
        (strengths if r3.value > 0 else weaknesses).add(f"The shares returned {pct(r3.value, signed=True)} over the three "
                                         f"years{when}.", r3)
    if vol is not None and vol.value > 0.4:
        weaknesses.add(f"Share-price volatility of {pct(vol.value)} a year raises the cost of capital.", vol)
    brand = s.brand_trend()
    r = usable_trend(s, brand, "momentum") if brand is not None else None
    if brand is not None and r is not None and brand.momentum > ATTENTION_MIN:  # type: ignore[operator]
        opportunities.add(f"Search interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} against its 52-week "
               f"average of {r.base_momentum:,.0f} of 100{series_end(s, r)}: attention to convert into demand.",
               brand.evidence_id)
    for t in s.product_trends()[:3]:
        r = usable_trend(s, t, "yoy")
        if r is not None and t.change_yoy > 0.2:  # type: ignore[operator]
            opportunities.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                   f"{r.base_yoy:,.0f} of 100{series_end(s, r)}: a product cycle to build on.", t.evidence_id)
        elif r is not None and t.change_yoy < -0.2:  # type: ignore[operator]
            threats.add(f"Interest in '{t.keyword}' is {pct(t.change_yoy, signed=True)} year on year from a base of "
                   f"{r.base_yoy:,.0f} of 100{series_end(s, r)}: the franchise needs renewal.", t.evidence_id)
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
    dd, r1 = s.price_figure("max_drawdown"), s.price_figure("return_1y")
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
        confidence=framework_confidence(strengths.items + weaknesses.items + opportunities.items + threats.items, pack),
        data_gaps=signal_gaps(s), strengths=strengths.items, weaknesses=weaknesses.items, opportunities=opportunities.items,
        threats=threats.items,
    )


def balance_sheet(s: Signals, strengths: Points, weaknesses: Points) -> None:
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
