"""The comparables section's content: the company against its named peers' filed figures, the peer median
where at least MIN_PEERS report a metric, the ranks, and what the peers cannot support."""

from __future__ import annotations

from dataclasses import dataclass

from consultantos_assets.models import (
    PeerFigures,
    ReportInput,
)

from ...analysis.peer_comparison import MIN_PEERS, PEER_METRICS, basis_text, peer_figures, with_figure
from ..formatting import (
    NA,
    fmt_pct,
    fmt_value,
)
from .financials import TableData
from .sections import company_name, fy_label


@dataclass
class Comparable:
    label: str  # the company, a peer, "Peer median" or "Rank"
    values: dict[str, float | None]
    note: str = ""
    ticker: str = ""


# key -> (label, unit): the comparables table's columns, in order
COMPARABLE_METRICS: dict[str, tuple[str, str]] = {
    k: (PEER_METRICS[k][0][:1].upper() + PEER_METRICS[k][0][1:], PEER_METRICS[k][1])
    for k in ("revenue", "revenue_growth", "gross_margin", "operating_margin", "fcf_margin", "pe", "ev_ebitda")
}


# column headings where the table is narrow (PDF, slides)
COMPARABLE_HEADINGS = {"revenue": "Revenue", "revenue_growth": "Growth", "gross_margin": "Gross margin",
                       "operating_margin": "Op. margin", "fcf_margin": "FCF margin", "pe": "P/E",
                       "ev_ebitda": "EV/EBITDA"}


# a lower multiple is the cheaper; for every other column the higher ranks first
_LOWER_FIRST = {"pe", "ev_ebitda"}


def own_figures(report: ReportInput) -> PeerFigures | None:
    p = report.research.profile
    return peer_figures(report.ticker, company_name(report), p.sector or "", report.financials, p.sic)


def comparables(report: ReportInput) -> list[Comparable]:
    """The company, each named peer (those without figures with the reason), and the peer median of
    each column that at least MIN_PEERS peers report; empty when the company has no named peers."""
    cmp = report.peers
    if cmp is None or not cmp.named:
        return []
    own = own_figures(report)
    rows = [Comparable(f"{company_name(report)} ({report.ticker})",
                       {k: getattr(own, k) if own else None for k in COMPARABLE_METRICS},
                       fy_label(own.fiscal_year) if own else "no revenue reported", report.ticker)]
    for f in cmp.figures:
        rows.append(Comparable(f"{f.name} ({f.ticker})", {k: getattr(f, k) for k in COMPARABLE_METRICS},
                               fy_label(f.fiscal_year), f.ticker))
    for g in cmp.missing:
        rows.append(Comparable(f"{g.name} ({g.ticker})", dict.fromkeys(COMPARABLE_METRICS), f"no figures: {g.reason}",
                               g.ticker))
    by_id = report.evidence_by_id()
    medians = {k: e.value for k in COMPARABLE_METRICS if (e := by_id.get(f"peer:{k}:median"))}
    rows.append(Comparable("Peer median", {k: medians.get(k) for k in COMPARABLE_METRICS},
                           comparables_basis(report)))
    return rows


def comparables_basis(report: ReportInput) -> str:
    """What the medians rest on: 'median of 5 peers: DELL, HPQ, ...', or why there is none."""
    cmp = report.peers
    if cmp is None or not cmp.named:
        return "no median: no named peers"
    rows = max((with_figure(cmp, k) for k in COMPARABLE_METRICS), key=len, default=[])
    if len(rows) < MIN_PEERS:
        return (f"no median: {len(rows)} of {len(cmp.named)} named peers have figures, and a comparison needs "
                f"at least {MIN_PEERS}")
    return "median of " + basis_text(rows)


def has_peer_median(report: ReportInput) -> bool:
    return comparables_basis(report).startswith("median of")


def comparable_ranks(report: ReportInput) -> dict[str, str]:
    """The company's rank in each column among itself and the peers with the figure ('2 of 6'), only
    where at least MIN_PEERS peers have it; higher ranks first, except multiples (cheapest first)."""
    cmp = report.peers
    own = own_figures(report)
    out: dict[str, str] = {}
    if cmp is None or own is None:
        return out
    for k in COMPARABLE_METRICS:
        mine, rows = getattr(own, k), with_figure(cmp, k)
        if mine is None or len(rows) < MIN_PEERS:
            continue
        values = [v for _, v in rows]
        better = sum(1 for v in values if (v < mine if k in _LOWER_FIRST else v > mine))
        out[k] = f"{better + 1} of {len(values) + 1}"
    return out


def comparables_table(report: ReportInput) -> TableData | None:
    """The comparables table as the PDF and Markdown show it: a row per company, the median, the rank."""
    rows = comparables(report)
    if not rows:
        return None
    keys = list(COMPARABLE_METRICS)
    body = [[c.label, *[fmt_comparable(c.values.get(k), k) for k in keys]] for c in rows]
    ranks = comparable_ranks(report)
    body.append([f"{report.ticker} rank", *[ranks.get(k, NA) for k in keys]])
    return TableData(header=["Company", *[COMPARABLE_HEADINGS[k] for k in keys]], rows=body)


def peer_accession_rows(report: ReportInput) -> list[list[str]]:
    """Each named peer with the fiscal year and SEC accessions its figures rest on (sources appendix)."""
    cmp = report.peers
    if cmp is None:
        return []
    out = [[f"{f.ticker} ({f.name})", fy_label(f.fiscal_year) + (f", {f.ttm_label}" if f.ttm_label else ""),
            ", ".join(f.accessions) or f.accession] for f in cmp.figures]
    out += [[f"{g.ticker} ({g.name})", NA, f"no figures: {g.reason}"] for g in cmp.missing]
    return out


def peer_gaps(report: ReportInput) -> list[str]:
    """What the peer set cannot support, as the evidence asset stated it."""
    from ...analysis.peer_comparison import comparison_gaps

    return comparison_gaps(report.peers) if report.peers is not None else []


def canvas_basis(factor) -> str:
    """What a strategy-canvas factor's reference line is: a peer median or a prior."""
    if any(e.startswith("peer:") for e in factor.evidence):
        return "median of named peers"
    return "industry prior"


def fmt_comparable(value: float | None, key: str) -> str:
    unit = COMPARABLE_METRICS[key][1]
    if unit == "x":
        return NA if value is None else f"{value:,.1f}x"
    return fmt_pct(value, signed=key.endswith("growth")) if unit == "ratio" else fmt_value(value, unit)
