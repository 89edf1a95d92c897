"""Turn the three source assets into citable evidence (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from ..models import (
    METRICS,
    CompanyResearch,
    Evidence,
    EvidenceSet,
    FinancialFact,
    Financials,
    MarketTrends,
    PeerComparison,
)
from .coverage import report_as_of
from .figure_text import figure, money, pct
from .industry import prior_evidence
from .peer_comparison import MIN_PEERS, comparison_gaps, peer_evidence
from .trend_reading import read_series
from .valuation import is_financial_company, latest_quarter, multiples, statements_age


def _when(f: FinancialFact) -> str:
    if f.fiscal_period == "FY":
        return f"fiscal {f.fiscal_year}"
    if f.fiscal_period == "TTM":
        return "the trailing twelve months"
    return f"{f.fiscal_period} fiscal {f.fiscal_year}"


def _fact_evidence(f: FinancialFact) -> Evidence:
    label, _ = METRICS.get(f.metric, (f.metric, f.unit))
    period = (
        f"{f.period_start.isoformat()} to {f.period_end.isoformat()}"
        if f.period_start
        else f"as of {f.period_end.isoformat()}"
    )
    when = _when(f)
    restated = ""
    if f.split_factor != 1.0:
        restated = (f" Restated to the latest share basis: reported as {figure(f.reported_value, f.unit)}, "
                    f"x{f.split_factor:g} for the stock splits since it was filed.")
    how = f" Computed as {f.concept.split(': ', 1)[1]}." if f.concept.startswith(("derived:", "TTM:")) else ""
    return Evidence(
        id=f.evidence_id,
        kind="financial",
        label=f"{label}, {when}",
        text=f"{label} for {when} ({period}) was {figure(f.value, f.unit)} ({f.unit} {f.value:,.2f}), "
        f"reported in {f.form} accession {f.accession}.{how}{restated}",
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


def derived_financial_evidence(fin: Financials, financial_company: bool = False) -> list[Evidence]:
    """Margins, growth and leverage computed from the annual facts.

    For banks and insurers liabilities/assets and cash/debt measure funding, not leverage: they give
    equity to assets instead.
    """
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
    if years and financial_company:
        out += _balance_ratio(fin, years[-1], "equity", "total_assets", "equity_to_assets", "Equity to assets",
                              lambda r, fy, equity, assets: f"Shareholders' equity was {pct(r)} of total assets "
                              f"at the end of fiscal {fy} ({money(equity.value)} of {money(assets.value)}).")
    elif years:
        out += _balance_ratio(fin, years[-1], "total_liabilities", "total_assets", "liabilities_to_assets",
                              "Liabilities to assets",
                              lambda r, fy, liab, assets: f"Liabilities were {pct(r)} of total assets at the end "
                              f"of fiscal {fy} ({money(liab.value)} of {money(assets.value)}).")
        out += _balance_ratio(fin, years[-1], "cash", "long_term_debt", "cash_to_debt", "Cash to long-term debt",
                              lambda r, fy, cash, debt: f"Cash covered {pct(r)} of long-term debt at the end of "
                              f"fiscal {fy} ({money(cash.value)} against {money(debt.value)}).")
    return out


def _balance_ratio(fin: Financials, fy: int, num_metric: str, den_metric: str, key: str, label: str,
                   say: Callable[[float, int, FinancialFact, FinancialFact], str]) -> list[Evidence]:
    """fin:<key>:FY<fy>, the ratio of two year-end figures, when both are reported and the denominator is
    not zero; `say` words it from (ratio, year, numerator, denominator)."""
    num, den = fin.value(num_metric, fy), fin.value(den_metric, fy)
    if not (num and den and den.value):
        return []
    r = num.value / den.value
    return [_ratio(f"fin:{key}:FY{fy}", f"{label}, fiscal {fy}", r, say(r, fy, num, den), [num, den])]


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
         f"Market capitalisation at the last close of {p.last_date.isoformat()} was about {money(p.market_cap)} "
         f"({money(p.last_close, 'USD/shares')} x {p.market_cap_shares or 0:,.0f} shares outstanding as of "
         f"{p.market_cap_shares_date.isoformat() if p.market_cap_shares_date else 'an unknown date'}"
         f"{', cover of ' + p.market_cap_shares_accession if p.market_cap_shares_accession else ''}; "
         "share count on the latest split basis)."),
    ]
    return [
        Evidence(id=eid, kind="price", label=label, text=text, value=value, unit=unit,
                 source=src, date=p.last_date)
        for eid, label, value, unit, text in items
        if value is not None
    ]


def valuation_evidence(fin: Financials, financial_company: bool = False) -> list[Evidence]:
    """The computable multiples (val:*), the latest quarter's year-on-year growth and the splits."""
    out = []
    for m in multiples(fin, financial_company):
        if m.value is None or not m.refs:
            continue
        ratio = m.key in ("fcf_yield", "dividend_yield")
        out.append(Evidence(
            id=m.evidence_id, kind="financial", label=f"{m.label}, {m.period}",
            text=f"{m.label} was {m.display}: {m.basis}.", value=m.value, unit="ratio" if ratio else "x",
            source="computed from SEC EDGAR facts and the last close",
            reference=", ".join(sorted({r.accession for r in m.refs})),
            date=fin.prices.last_date if fin.prices else max(r.period_end for r in m.refs)))
    for q in latest_quarter(fin):
        if q.growth is None or q.year_ago is None:
            continue
        label = METRICS[q.metric][0]
        c, a = q.current, q.year_ago
        out.append(_ratio(
            f"fin:{q.metric}_growth_yoy:{c.evidence_id.rsplit(':', 1)[1]}",
            f"{label} growth, {c.period_label} on a year earlier", q.growth,
            f"{label} in {c.period_label} (quarter to {c.period_end.isoformat()}) was {figure(c.value, c.unit)}, "
            f"{pct(q.growth, signed=True)} on {a.period_label} ({figure(a.value, a.unit)}).", [c, a]))
    for split in fin.splits:
        out.append(Evidence(
            id=f"fin:split:{split.first_new_filing.isoformat()}", kind="financial",
            label=f"Stock split ({split.label})",
            text=f"A {split.label} took effect between filings of {split.last_old_filing.isoformat()} and "
            f"{split.first_new_filing.isoformat()}; per-share figures filed before it are divided and share "
            f"counts multiplied by {split.factor:g}. Evidence: " + "; ".join(split.evidence) + ".",
            value=split.factor, unit="x", source="inferred from restated SEC EDGAR facts",
            date=split.first_new_filing))
    return out


def age_evidence(fin: Financials, as_of: date | None) -> list[Evidence]:
    """How many months the latest annual statements predate the report's as-of date, when stale."""
    if not fin.has_statements:
        return [Evidence(
            id="fin:statements_missing", kind="filing", label="SEC statements not found",
            text=f"No annual statements were found in the SEC company facts for {fin.ticker}"
            + (f" (CIK {fin.cik})" if fin.cik else "") + ": no revenue, margin or balance-sheet figure is available.",
            source="SEC EDGAR company facts")]
    aged = statements_age(fin, as_of) if as_of else None
    if aged is None or as_of is None:
        return []
    fact, months = aged
    return [Evidence(
        id="fin:statements_age", kind="financial", label="Age of the latest annual statements",
        text=f"The latest annual statements are for fiscal {fact.fiscal_year}, ended {fact.period_end.isoformat()}: "
        f"{months} months before the report's data date of {as_of.isoformat()}.",
        value=float(months), unit="months", source="SEC EDGAR filing dates", reference=fact.accession,
        date=fact.period_end)]


def trend_evidence(trends: MarketTrends) -> list[Evidence]:
    out = []
    for s in trends.series:
        if s.momentum is None and s.latest is None:
            continue
        reading = read_series(s, None)
        parts = [f"Search interest in '{s.keyword}'"]
        if s.momentum is not None:
            parts.append(f"over the last 12 weeks was {pct(s.momentum, signed=True)} against its 52-week average"
                         + (f" of {reading.base_momentum:,.0f} of 100" if reading.base_momentum is not None else ""))
        if s.change_yoy is not None:
            parts.append(f"and {pct(s.change_yoy, signed=True)} against the same weeks a year earlier"
                         + (f" (which averaged {reading.base_yoy:,.0f} of 100)" if reading.base_yoy is not None else ""))
        text = " ".join(parts)
        if s.latest is not None:
            text += f"; the latest week reads {s.latest:,.0f} of 100"
        if s.peak_date:
            text += f"; it peaked at {s.peak_value:,.0f} of 100 in the week of {s.peak_date.isoformat()}"
        if reading.last_date:
            text += f"; the series ends in the week of {reading.last_date.isoformat()}"
        out.append(
            Evidence(
                id=s.evidence_id,
                kind="trend",
                label=f"Search interest: {s.keyword}",
                text=text + ".",
                value=s.momentum,
                unit="ratio",
                source=f"Google Trends ({trends.provenance.provider})",
                date=reading.last_date,
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
                   peers: PeerComparison | None = None) -> list[Evidence]:
    """Every citable fact, ids unique, in a stable order. `peers`: the named peers' figures."""
    bank = is_financial_company(research.profile.sector, research.profile.sic)
    items = (
        age_evidence(fin, report_as_of(research, trends, fin))
        +
        [_fact_evidence(f) for f in fin.annual + fin.quarterly + fin.ttm]
        + derived_financial_evidence(fin, bank)
        + price_evidence(fin)
        + valuation_evidence(fin, bank)
        + trend_evidence(trends)
        + filing_evidence(research)
        + document_evidence(research)
        + peer_evidence(peers)
    )
    items = drop_priors_measured_by_peers(items + prior_evidence(research.profile.sector, research.profile.sic),
                                          peers.figures if peers else [])
    seen: dict[str, Evidence] = {}
    for e in items:
        seen.setdefault(e.id, e)
    return list(seen.values())


def evidence_set(research: CompanyResearch, trends: MarketTrends, fin: Financials,
                 peers: PeerComparison | None = None) -> EvidenceSet:
    """The company's evidence set: every citable fact, the peer comparison and what it cannot support."""
    return EvidenceSet(ticker=research.ticker, as_of=report_as_of(research, trends, fin),
                       items=build_evidence(research, trends, fin, peers), peers=peers,
                       gaps=comparison_gaps(peers))


def drop_priors_measured_by_peers(evidence: list[Evidence], peers: list) -> list[Evidence]:
    """The evidence less the typical figure of any metric a usable peer median measures: prior:typical:<m> goes
    when peer:<m>:median exists and at least MIN_PEERS of `peers` have the figure (a measured comparison
    replaces the rule of thumb)."""
    ids = {e.id for e in evidence}

    def measured(metric: str) -> bool:
        return (f"peer:{metric}:median" in ids
                and sum(getattr(p, metric, None) is not None for p in peers) >= MIN_PEERS)

    return [e for e in evidence if not (e.id.startswith("prior:typical:") and measured(e.id.rsplit(":", 1)[1]))]
