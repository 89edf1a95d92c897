"""The frameworks' points grouped for display, the evidence they cite, the source list and the data gaps."""

from __future__ import annotations

from dataclasses import dataclass

from consultantos_assets.models import (
    FORCE_LABELS,
    PESTEL_FACTORS,
    FrameworkPoint,
    ReportInput,
)

from ..formatting import (
    fmt_date,
)
from .sections import ERRC, SWOT_QUADRANTS, SYNTHESIS_LISTS, missing_financials_message


@dataclass
class PointGroup:
    framework: str
    group: str
    points: list[FrameworkPoint]


def point_groups(report: ReportInput) -> list[PointGroup]:
    """Every framework point of the report, grouped as it is rendered."""
    out = []
    syn = report.synthesis
    for attr, label in SYNTHESIS_LISTS:
        out.append(PointGroup("Synthesis", label, list(getattr(syn, attr))))
    for force in report.porter.forces:
        out.append(PointGroup("Porter", FORCE_LABELS.get(force.name, force.name), list(force.points)))
    for attr, label in SWOT_QUADRANTS:
        out.append(PointGroup("SWOT", label, list(getattr(report.swot, attr))))
    for factor in PESTEL_FACTORS:
        out.append(PointGroup("PESTEL", factor.capitalize(), list(getattr(report.pestel, factor))))
    for attr, label in ERRC:
        out.append(PointGroup("Blue Ocean", label, list(getattr(report.blue_ocean, attr))))
    return out


def cited_ids(report: ReportInput) -> list[str]:
    """Evidence ids cited anywhere in the report, in order of first citation."""
    seen: dict[str, None] = {}
    for g in point_groups(report):
        for p in g.points:
            for e in p.evidence:
                seen.setdefault(e, None)
    for c in report.blue_ocean.canvas:
        for e in c.evidence:
            seen.setdefault(e, None)
    return list(seen)


@dataclass
class SourceRow:
    id: str
    source: str
    reference: str
    date: str
    text: str
    found: bool


def source_rows(report: ReportInput) -> list[SourceRow]:
    by_id = report.evidence_by_id()
    rows = []
    for eid in sorted(cited_ids(report)):
        ev = by_id.get(eid)
        if ev is None:
            rows.append(SourceRow(eid, "not in the evidence set", "", "", "cited but not found", False))
        else:
            rows.append(SourceRow(eid, ev.source, ev.reference or "", fmt_date(ev.date), ev.text, True))
    return rows


def data_gaps(report: ReportInput) -> list[tuple[str, str]]:
    """(origin, gap) for every known gap, in a stable order; a gap several parts record is listed once, with
    every part that records it ("Porter's five forces, SWOT")."""
    out: list[tuple[str, str]] = []
    fin = report.financials
    if not fin.has_statements:
        out.append(("Financials", missing_financials_message(report)))
    out += [("Financials", g) for g in fin.gaps]
    if fin.prices is None:
        out.append(("Prices", f"No share-price history for {report.ticker}"))
    if report.trends.provenance.provider == "none":  # the service failed: say why, not only what is missing
        out += [("Market trends", n) for n in report.trends.provenance.notes]
    out += [("Market trends", f"No search-interest data for keyword '{k}'") for k in report.trends.missing]
    out += [("Research", w) for w in report.research.warnings]
    for label, meta in (
        ("Porter's five forces", report.porter),
        ("SWOT", report.swot),
        ("PESTEL", report.pestel),
        ("Blue Ocean", report.blue_ocean),
        ("Synthesis", report.synthesis),
    ):
        out += [(label, g) for g in meta.data_gaps]
    missing_ev = [r.id for r in source_rows(report) if not r.found]
    if missing_ev:
        out.append(("Evidence", "Cited ids without evidence: " + ", ".join(missing_ev)))
    origins: dict[str, list[str]] = {}
    for origin, gap in out:
        where = origins.setdefault(gap, [])
        if origin not in where:
            where.append(origin)
    return [(", ".join(where), gap) for gap, where in origins.items()]
