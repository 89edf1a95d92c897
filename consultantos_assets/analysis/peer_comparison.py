"""Named peers' figures and the medians a comparison may rest on (pure).

Reading the peers' data is the caller's job (the `peer_figures` asset); this module only computes.
A median becomes citable evidence (peer:<metric>:median) only when at least MIN_PEERS named peers have
the figure, and its text names them: fewer peers are no basis for "above" or "below".
"""

from __future__ import annotations

import statistics

from ..models import Evidence, Financials, PeerComparison, PeerFigures
from .figure_text import money, pct
from .valuation import is_financial_company, multiples

MIN_PEERS = 3  # a comparison needs at least three named peers with the figure

PEER_METRICS: dict[str, tuple[str, str]] = {
    # metric -> (label, unit); the order of the comparables table
    "revenue": ("revenue", "USD"),
    "revenue_growth": ("revenue growth", "ratio"),
    "gross_margin": ("gross margin", "ratio"),
    "operating_margin": ("operating margin", "ratio"),
    "net_margin": ("net margin", "ratio"),
    "fcf_margin": ("free cash flow margin", "ratio"),
    "net_debt_to_ebitda": ("net debt / EBITDA", "x"),
    "pe": ("trailing P/E", "x"),
    "ev_ebitda": ("EV / EBITDA", "x"),
}


def _ratio(fin: Financials, metric: str, fy: int, revenue: float) -> float | None:
    num = fin.value(metric, fy)
    return None if num is None or not revenue else num.value / revenue


def _net_debt_to_ebitda(fin: Financials, fy: int, financial_company: bool) -> float | None:
    ebitda, cash, debt = fin.value("ebitda", fy), fin.value("cash_and_securities", fy), fin.value("total_debt", fy)
    if financial_company or ebitda is None or ebitda.value <= 0 or cash is None:
        return None
    return ((debt.value if debt else 0.0) - cash.value) / ebitda.value


def peer_figures(ticker: str, name: str, sector: str, fin: Financials, sic: int | None = None) -> PeerFigures | None:
    """The peer's latest fiscal year with revenue (and TTM, multiples where a price exists); None
    without statements."""
    revs = [f for f in fin.series("revenue") if f.value]
    if not revs:
        return None
    rev = revs[-1]
    fy = rev.fiscal_year
    financial = is_financial_company(sector, sic)
    prev = fin.value("revenue", fy - 1)
    ttm_rev, ttm_op = fin.ttm_value("revenue"), fin.ttm_value("operating_income")
    by_key = {m.key: m for m in multiples(fin, financial)} if fin.prices is not None else {}
    pe, ev_ebitda = by_key.get("pe_trailing"), by_key.get("ev_ebitda")
    used = [f for f in fin.annual if f.fiscal_year == fy] + list(fin.ttm)
    return PeerFigures(
        ticker=ticker, name=name, sector=sector, fiscal_year=fy, period_end=rev.period_end,
        accession=rev.accession, filed=rev.filed, revenue=rev.value,
        gross_margin=_ratio(fin, "gross_profit", fy, rev.value),
        operating_margin=_ratio(fin, "operating_income", fy, rev.value),
        net_margin=_ratio(fin, "net_income", fy, rev.value),
        fcf_margin=_ratio(fin, "free_cash_flow", fy, rev.value),
        revenue_growth=(rev.value / prev.value - 1) if prev is not None and prev.value else None,
        net_debt_to_ebitda=_net_debt_to_ebitda(fin, fy, financial),
        ttm_label=ttm_rev.period_label if ttm_rev else None,
        ttm_revenue=ttm_rev.value if ttm_rev else None,
        ttm_operating_margin=(ttm_op.value / ttm_rev.value) if ttm_rev and ttm_op and ttm_rev.value else None,
        pe=pe.value if pe else None, ev_ebitda=ev_ebitda.value if ev_ebitda else None,
        price_date=fin.prices.last_date if fin.prices else None,
        accessions=sorted({f.accession for f in used if f.accession}),
    )


def with_figure(comparison: PeerComparison | None, metric: str) -> list[tuple[PeerFigures, float]]:
    """The named peers that have `metric`, with its value."""
    if comparison is None:
        return []
    return [(p, v) for p in comparison.figures if (v := getattr(p, metric)) is not None]


def basis_text(rows: list[tuple[PeerFigures, float]]) -> str:
    """'5 peers: DELL, HPQ, HPE, NTAP, SMCI'."""
    return f"{len(rows)} peers: " + ", ".join(p.ticker for p, _ in rows)


def _fmt(value: float, unit: str) -> str:
    if unit == "ratio":
        return pct(value, signed=value < 0)
    if unit == "x":
        return f"{value:,.1f}x"
    return money(value)


def peer_evidence(comparison: PeerComparison | None) -> list[Evidence]:
    """One evidence item per metric that at least MIN_PEERS named peers report: their median."""
    out: list[Evidence] = []
    for metric, (label, unit) in PEER_METRICS.items():
        rows = with_figure(comparison, metric)
        if len(rows) < MIN_PEERS:
            continue
        values = [v for _, v in rows]
        median = statistics.median(values)
        years = sorted({p.fiscal_year for p, _ in rows})
        when = f"fiscal {years[0]}" if len(years) == 1 else f"fiscal {years[0]}-{years[-1]}"
        named = f"{len(rows)} named peers ({', '.join(p.ticker for p, _ in rows)})"
        text = (f"The median {label} of {named} was {_fmt(median, unit)} in their latest fiscal years "
                f"({when}; from {_fmt(min(values), unit)} to {_fmt(max(values), unit)}).")
        if metric in ("pe", "ev_ebitda"):
            closes = sorted({p.price_date.isoformat() for p, _ in rows if p.price_date})
            text = (f"The median {label} of {named} was {_fmt(median, unit)} at their last closes "
                    f"({', '.join(closes[:1] + closes[-1:] if len(closes) > 1 else closes)}; from "
                    f"{_fmt(min(values), unit)} to {_fmt(max(values), unit)}).")
        out.append(Evidence(
            id=f"peer:{metric}:median", kind="financial", label=f"Peer median {label} ({len(rows)} named peers)",
            text=text, value=median, unit=unit,
            source="computed from SEC EDGAR facts of named peers",
            reference="; ".join(f"{p.ticker} FY{p.fiscal_year} {p.accession}" for p, _ in rows),
            date=max(p.period_end for p, _ in rows),
        ))
    return out


def comparison_gaps(comparison: PeerComparison | None) -> list[str]:
    """What the peer set cannot support, said plainly (one line each)."""
    if comparison is None:
        return ["No peer comparison: the peer figures were not built."]
    named = comparison.named
    if not named:
        return [f"No named peers for {comparison.ticker}, so no figure is compared with peers."]
    thin = [PEER_METRICS[m][0] for m in PEER_METRICS if len(with_figure(comparison, m)) < MIN_PEERS]
    out = []
    if comparison.missing:
        out.append("No figures for " + ", ".join(f"{g.ticker} ({g.reason})" for g in comparison.missing) + ".")
    listed = f"({', '.join(named)})"
    if len(named) < MIN_PEERS:
        out.append(f"{comparison.ticker} has only {len(named)} named peer{'s' if len(named) > 1 else ''} {listed}; a "
                   f"comparison needs at least {MIN_PEERS}, so the sample holds too few peers for any comparison.")
    elif len(thin) == len(PEER_METRICS):
        have = (f"None of the {len(named)} named peers {listed} has figures" if not comparison.figures else
                f"Only {len(comparison.figures)} of the {len(named)} named peers {listed} have figures")
        out.append(f"{have}; a comparison needs at least {MIN_PEERS}, so the sample holds too few peers for any "
                   "comparison.")
    elif thin:
        out.append(f"Fewer than {MIN_PEERS} named peers report {', '.join(thin)}: no comparison is made on "
                   f"{'it' if len(thin) == 1 else 'them'}.")
    return out
