"""The rule-based synthesis: the thesis, the context, the best-evidenced findings, risks and
recommendations that each name the metric they would move (pure)."""

from __future__ import annotations

from ...models import (
    FORCE_LABELS,
    FrameworkPoint,
    Synthesis,
)
from ..analyst import EvidencePack, Frameworks
from ..coverage import coverage, overall_confidence
from ..figure_text import money, pct
from ..signals import Signals, prior_only
from .points import Points, cagr_span, compare, sector_phrase, series_end, usable_trend
from .thresholds import ATTENTION_MIN, NAME, NET_DEBT_HIGH, SLOW_GROWTH


# ------------------------------------------------------------------ Synthesis
def synthesis(pack: EvidencePack, fw: Frameworks) -> Synthesis:
    s = Signals(pack)
    cov = coverage(pack)
    conf = overall_confidence(fw, pack)
    thesis = _thesis(s)
    context = [f"{s.name} ({s.ticker}) operates in {sector_phrase(s)}."]
    context += _latest_figures(s, ttm_only=True)
    r1 = s.price_figure("return_1y")
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
    recs = recommendations(s)
    risks = _top([p for p in [*fw.swot.threats, *fw.swot.weaknesses] if p.evidence and not prior_only(p.evidence, ev)],
                 5)
    gaps = list(dict.fromkeys(g for f in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean) for g in f.data_gaps))
    return Synthesis(
        ticker=s.ticker, analyst=NAME, confidence=conf, data_gaps=gaps,
        executive_summary=" ".join(thesis) + "\n\n" + " ".join(context), key_findings=findings,
        recommendations=recs, risks=risks, confidence_breakdown=cov,
    )


def recommendations(s: Signals) -> list[FrameworkPoint]:
    """Each names the metric it would move and, where the evidence gives one, the size of the gap; the data
    first when it is missing or dated; at most one driven by search attention, never the first."""
    r = Points(s)
    fin = s.pack.financials
    age = s.statements_age
    if not fin.has_statements:
        r.add(f"Obtain audited statements for {s.ticker} before acting on this assessment: no revenue, margin "
              "or balance-sheet figure could be read from SEC company facts.", "fin:statements_missing")
    elif age is not None:
        r.add(f"Refresh the statements before acting on any margin or leverage figure here: the latest annual "
              f"statements (fiscal {s.fy}) are {age.value:,.0f} months older than the report's data date.", age)
    g, cagr, gm, om = s.growth, s.cagr, s.gross_margin, s.operating_margin
    growth_cmp = compare(s, g, "revenue_growth", prior=False) if g is not None else None
    if g is not None and growth_cmp is not None and growth_cmp[0] < 0:
        r.add(f"Make revenue growth the metric to move: {pct(g.value, signed=True)} in fiscal {s.fy}, "
              f"{growth_cmp[1]}.", *growth_cmp[2])
    elif cagr is not None and g is not None:
        if 0 <= cagr.value < SLOW_GROWTH and om is not None and om.value > 0.15:
            r.add(f"Make revenue growth the metric to move: revenue compounded at only {pct(cagr.value)} a year "
                  f"over {cagr_span(cagr)} while the operating margin of {pct(om.value)} in fiscal {s.fy} can fund "
                  "new offers.", cagr, om)
        elif g.value > 0.15 and om is not None and om.value > 0.2:
            r.add(f"Keep capacity and supply ahead of demand: revenue grew {pct(g.value)} in fiscal {s.fy} at an "
                  f"operating margin of {pct(om.value)}, so lost volume costs more than spare capacity.", g, om)
    for sig, key, label in ((gm, "gross_margin", "gross margin"), (om, "operating_margin", "operating margin")):
        if sig is None:
            continue
        cmp = compare(s, sig, key, prior=False)  # a rule of thumb sets no target
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
    rd = usable_trend(s, brand, "momentum") if brand is not None else None
    if (r.company and brand is not None and rd is not None and not rd.dated
            and abs(brand.momentum) > ATTENTION_MIN):  # type: ignore[arg-type]
        verb = "Convert attention into demand" if brand.momentum > 0 else "Rebuild attention"  # type: ignore[operator]
        r.add(f"{verb}: search interest in '{brand.keyword}' is {pct(brand.momentum, signed=True)} against its "
              f"52-week average of {rd.base_momentum:,.0f} of 100{series_end(s, rd)}; the metric is demand, "
              "not attention.", brand.evidence_id)
    return r.items


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
            annual += f" and {pct(cagr.value)} a year compounded over {cagr_span(cagr)}"
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
        r1 = s.price_figure("return_1y")
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
