"""Turn the three source assets into citable evidence (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from ..models import (
    METRICS,
    CompanyResearch,
    Evidence,
    FinancialFact,
    Financials,
    MarketTrends,
)
from .formatting import figure, money, pct
from .peers import PeerFigures, peer_evidence


def _fact_evidence(f: FinancialFact) -> Evidence:
    label, _ = METRICS.get(f.metric, (f.metric, f.unit))
    period = (
        f"{f.period_start.isoformat()} to {f.period_end.isoformat()}"
        if f.period_start
        else f"as of {f.period_end.isoformat()}"
    )
    when = f"fiscal {f.fiscal_year}" if f.fiscal_period == "FY" else f"{f.fiscal_period} fiscal {f.fiscal_year}"
    return Evidence(
        id=f.evidence_id,
        kind="financial",
        label=f"{label}, {when}",
        text=f"{label} for {when} ({period}) was {figure(f.value, f.unit)} ({f.unit} {f.value:,.2f}), "
        f"reported in {f.form} accession {f.accession}.",
        value=f.value,
        unit=f.unit,
        source=f"SEC EDGAR {f.form}",
        reference=f.accession,
        date=f.period_end,
    )


def _ratio(eid: str, label: str, value: float, text: str, refs: Iterable[FinancialFact]) -> Evidence:
    refs = list(refs)
    return Evidence(
        id=eid,
        kind="financial",
        label=label,
        text=text,
        value=value,
        unit="ratio",
        source="computed from SEC EDGAR facts",
        reference=", ".join(sorted({r.accession for r in refs})),
        date=max(r.period_end for r in refs),
    )


def derived_financial_evidence(fin: Financials) -> list[Evidence]:
    """Margins, growth and leverage computed from the annual facts."""
    out: list[Evidence] = []
    years = fin.fiscal_years()
    for fy in years:
        rev = fin.value("revenue", fy)
        if rev is None or rev.value == 0:
            continue
        for metric, name in (
            ("gross_profit", "gross_margin"),
            ("operating_income", "operating_margin"),
            ("net_income", "net_margin"),
        ):
            num = fin.value(metric, fy)
            if num is None:
                continue
            m = num.value / rev.value
            label = name.replace("_", " ").capitalize()
            out.append(
                _ratio(
                    f"fin:{name}:FY{fy}",
                    f"{label}, fiscal {fy}",
                    m,
                    f"{label} in fiscal {fy} was {pct(m)} ({METRICS[metric][0].lower()} "
                    f"{money(num.value)} on revenue {money(rev.value)}).",
                    [num, rev],
                )
            )
        prev = fin.value("revenue", fy - 1)
        if prev is not None and prev.value:
            g = rev.value / prev.value - 1
            out.append(
                _ratio(
                    f"fin:revenue_growth:FY{fy}",
                    f"Revenue growth, fiscal {fy}",
                    g,
                    f"Revenue changed {pct(g, signed=True)} in fiscal {fy} "
                    f"({money(prev.value)} to {money(rev.value)}).",
                    [prev, rev],
                )
            )
    revs = [f for f in fin.series("revenue") if f.value > 0]
    if len(revs) >= 3:
        first, last = revs[0], revs[-1]
        n = last.fiscal_year - first.fiscal_year
        if n > 0:
            cagr = (last.value / first.value) ** (1 / n) - 1
            out.append(
                _ratio(
                    f"fin:revenue_cagr:FY{first.fiscal_year}-FY{last.fiscal_year}",
                    f"Revenue CAGR, fiscal {first.fiscal_year}-{last.fiscal_year}",
                    cagr,
                    f"Revenue grew at a compound {pct(cagr)} a year from fiscal {first.fiscal_year} "
                    f"({money(first.value)}) to fiscal {last.fiscal_year} ({money(last.value)}).",
                    [first, last],
                )
            )
    if years:
        fy = years[-1]
        liab, assets = fin.value("total_liabilities", fy), fin.value("total_assets", fy)
        if liab and assets and assets.value:
            r = liab.value / assets.value
            out.append(
                _ratio(
                    f"fin:liabilities_to_assets:FY{fy}",
                    f"Liabilities to assets, fiscal {fy}",
                    r,
                    f"Liabilities were {pct(r)} of total assets at the end of fiscal {fy} "
                    f"({money(liab.value)} of {money(assets.value)}).",
                    [liab, assets],
                )
            )
        debt, cash = fin.value("long_term_debt", fy), fin.value("cash", fy)
        if debt and cash and debt.value:
            r = cash.value / debt.value
            out.append(
                _ratio(
                    f"fin:cash_to_debt:FY{fy}",
                    f"Cash to long-term debt, fiscal {fy}",
                    r,
                    f"Cash covered {pct(r)} of long-term debt at the end of fiscal {fy} "
                    f"({money(cash.value)} against {money(debt.value)}).",
                    [cash, debt],
                )
            )
    return out


def price_evidence(fin: Financials) -> list[Evidence]:
    p = fin.prices
    if p is None:
        return []
    src = (fin.price_provenance.provider if fin.price_provenance else "prices") + " daily closes"
    items: list[tuple[str, str, float | None, str | None, str]] = [
        ("px:last_close", "Last close", p.last_close, "USD/shares",
         f"The last close was {money(p.last_close, 'USD/shares')} on {p.last_date.isoformat()}."),
        ("px:return_1y", "1-year total return", p.return_1y, "ratio",
         f"The share price changed {pct(p.return_1y, signed=True)} over the year to {p.last_date.isoformat()}."),
        ("px:return_3y", "3-year total return", p.return_3y, "ratio",
         f"The share price changed {pct(p.return_3y, signed=True)} over the three years to "
         f"{p.last_date.isoformat()}."),
        ("px:volatility", "Annualised volatility", p.volatility_annual, "ratio",
         f"Annualised volatility of daily returns over the last year was {pct(p.volatility_annual)}."),
        ("px:max_drawdown", "Maximum drawdown", p.max_drawdown, "ratio",
         f"The deepest peak-to-trough fall since {p.first_date.isoformat()} was {pct(p.max_drawdown)}"
         + (f" ({p.max_drawdown_peak.isoformat()} to {p.max_drawdown_trough.isoformat()})."
            if p.max_drawdown_peak and p.max_drawdown_trough else ".")),
        ("px:market_cap", "Market capitalisation", p.market_cap, "USD",
         f"Market capitalisation at the last close was about {money(p.market_cap)}."),
    ]
    return [
        Evidence(id=eid, kind="price", label=label, text=text, value=value, unit=unit,
                 source=src, date=p.last_date)
        for eid, label, value, unit, text in items
        if value is not None
    ]


def trend_evidence(trends: MarketTrends) -> list[Evidence]:
    out = []
    for s in trends.series:
        if s.momentum is None and s.latest is None:
            continue
        parts = [f"Search interest in '{s.keyword}'"]
        if s.momentum is not None:
            parts.append(f"over the last 12 weeks was {pct(s.momentum, signed=True)} against its 52-week average")
        if s.change_yoy is not None:
            parts.append(f"and {pct(s.change_yoy, signed=True)} against the same weeks a year earlier")
        text = " ".join(parts)
        if s.latest is not None:
            text += f"; the latest week reads {s.latest:,.0f} of 100"
        if s.peak_date:
            text += f"; it peaked at {s.peak_value:,.0f} of 100 in the week of {s.peak_date.isoformat()}"
        out.append(
            Evidence(
                id=s.evidence_id,
                kind="trend",
                label=f"Search interest: {s.keyword}",
                text=text + ".",
                value=s.momentum,
                unit="ratio",
                source=f"Google Trends ({trends.provenance.provider})",
                date=s.points[-1].date if s.points else None,
            )
        )
    return out


def filing_evidence(research: CompanyResearch, days: int = 365) -> list[Evidence]:
    """Counts of current reports (8-K) in the year to the newest filing."""
    if not research.filings:
        return []
    newest = max(f.filing_date for f in research.filings)
    start = newest - timedelta(days=days)
    eights = [f for f in research.filings if f.form == "8-K" and f.filing_date > start]
    return [Evidence(
        id="filing:8k_last_year", kind="filing", label="Current reports (8-K) in the latest year",
        text=f"{len(eights)} current reports (8-K) were filed in the year to {newest.isoformat()}.",
        value=float(len(eights)), unit="count", source="SEC EDGAR submissions",
        reference=", ".join(f.accession for f in eights[:3]) or None, date=newest,
    )]


def document_evidence(research: CompanyResearch) -> list[Evidence]:
    out = []
    for d in research.documents:
        kind = "profile" if d.kind == "profile" else "filing" if d.kind in ("filing", "filing_history") else (
            "document"
        )
        out.append(
            Evidence(
                id=d.id,
                kind=kind,
                label=d.title,
                text=d.text[:400],
                source=d.source,
                reference=d.url,
                date=d.published,
            )
        )
    return out


def build_evidence(research: CompanyResearch, trends: MarketTrends, fin: Financials,
                   peers: list[PeerFigures] | None = None) -> list[Evidence]:
    """Every citable fact, ids unique, in a stable order. `peers`: sector peers' latest figures."""
    items = (
        [_fact_evidence(f) for f in fin.annual + fin.quarterly]
        + derived_financial_evidence(fin)
        + price_evidence(fin)
        + trend_evidence(trends)
        + filing_evidence(research)
        + document_evidence(research)
        + peer_evidence(research.profile.sector, peers or [])
    )
    seen: dict[str, Evidence] = {}
    for e in items:
        seen.setdefault(e.id, e)
    return list(seen.values())
