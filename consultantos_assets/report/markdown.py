"""Markdown rendering of the report (same sections as the PDF; used as the Dagster preview)."""

from __future__ import annotations

from consultantos_assets.models import FORCE_LABELS, PESTEL_FACTORS, FrameworkPoint, ReportInput

from . import content
from .content import SECTIONS
from .formatting import fmt_conf, fmt_date, fmt_num
from .text import md

MAX_CELL = 400


def _table(header: list[str], rows: list[list[str]], numeric_from: int | None = None) -> list[str]:
    out = ["| " + " | ".join(md(h) for h in header) + " |"]
    out.append(
        "| "
        + " | ".join("---:" if numeric_from is not None and i >= numeric_from else "---" for i in range(len(header)))
        + " |"
    )
    for row in rows:
        out.append("| " + " | ".join(md(c, MAX_CELL) or " " for c in row) + " |")
    return out + [""]


def _point(p: FrameworkPoint, bullet: str = "-") -> str:
    ids = " ".join(f"\\[{md(e)}\\]" for e in p.evidence) or "no evidence cited"
    return f"{bullet} {md(p.text)}  \n  <sub>{ids} · confidence {fmt_conf(p.confidence)}</sub>"


def _points(points: list[FrameworkPoint], numbered: bool = False, empty: str = "_None._") -> list[str]:
    if not points:
        return [empty, ""]
    return [_point(p, f"{i}." if numbered else "-") for i, p in enumerate(points, 1)] + [""]


def render_markdown(report: ReportInput) -> str:
    """The report as markdown: every section of the PDF, tables as markdown tables."""
    r = report
    name = content.company_name(r)
    lines: list[str] = [
        f"# {md(name)} ({md(r.ticker)}) - strategy report",
        "",
        f"**Data as of:** {r.as_of.isoformat()} · **Mode:** {md(content.mode_summary(r))} · "
        f"**Overall confidence:** {fmt_conf(r.synthesis.confidence)}",
        "",
    ]
    lines += _table(
        ["Source", "Provider", "Mode", "Data as of"],
        [[s.name, s.provider, s.mode, s.as_of] for s in content.source_statuses(r)],
    )
    keys = content.section_keys(r)
    lines += ["## Contents", ""]
    lines += [f"{i}. {SECTIONS[k]}" for i, k in enumerate(keys, 1)] + [""]
    for i, key in enumerate(keys, 1):
        lines += [f"## {i}. {SECTIONS[key]}", ""]
        lines += _SECTION[key](r)
    return "\n".join(lines).rstrip() + "\n"


def _summary(r: ReportInput) -> list[str]:
    syn = r.synthesis
    out = [md(p.strip()) + "\n" for p in syn.executive_summary.split("\n\n") if p.strip()]
    out += [f"_Overall confidence {fmt_conf(syn.confidence)}; analyst {md(syn.analyst)}._", ""]
    out += ["### Key findings", ""] + _points(syn.key_findings)
    out += ["### Recommendations", ""] + _points(syn.recommendations, numbered=True)
    return out


def _dashboard(r: ReportInput) -> list[str]:
    out = []
    if not r.financials.has_statements:
        out += [f"> **{md(content.missing_financials_message(r))}.**", ""]
    out += _table(["Metric", "Value", "Note"], [[k.label, k.value, k.note] for k in content.kpis(r)])
    return out


def _financials(r: ReportInput) -> list[str]:
    fin = r.financials
    out = [f"_{md(content.financial_headline(r))}_", ""]
    if not fin.has_statements:
        out += [f"> **{md(content.missing_financials_message(r))}.**", ""]
        out += [f"- {md(g)}" for g in fin.gaps] + [""]
    else:
        t = content.financial_table(r)
        out += _table(t.header, t.rows, 1)
        t = content.ratio_table(r)
        out += _table(t.header, t.rows, 1)
        lq = content.latest_quarter_table(r)
        if lq is not None:
            out += ["### Latest quarter and trailing twelve months", ""] + _table(lq.header, lq.rows, 1)
        cf = content.cash_flow_table(r)
        if cf is not None:
            out += ["### Cash flow and capital", ""] + _table(cf.header, cf.rows, 1)
        mt = content.multiples_table(r)
        out += ["### Valuation multiples", ""] + _table(mt.header, mt.rows, 1)
        ct = content.comparables_table(r)
        if ct is not None:
            out += ["### Comparables", ""] + _table(ct.header, ct.rows, 1)
            out += [f"_Peer median: {md(content.comparables_basis(r))}; a median and a rank only where at least "
                    f"{content.MIN_PEERS} named peers report the figure._", ""]
    pt = content.price_table(r)
    if pt is not None:
        out += ["### Share price", ""] + _table(pt.header, pt.rows, 1)
    return out


def _trends(r: ReportInput) -> list[str]:
    out = [f"_{md(content.trends_headline(r))}_", ""]
    if r.trends.series:
        t = content.trend_table(r)
        out += _table(t.header, t.rows, 1)
    if r.trends.missing:
        out += ["No data for: " + ", ".join(md(k) for k in r.trends.missing), ""]
    return out


def _porter(r: ReportInput) -> list[str]:
    pf = r.porter
    out = [f"_{md(pf.summary)}_", "", f"Overall intensity **{fmt_num(pf.overall_intensity)} / 5**, "
           f"confidence {fmt_conf(pf.confidence)}, analyst {md(pf.analyst)}.", ""]
    out += _table(["Force", "Rating (1-5)"], [[FORCE_LABELS.get(f.name, f.name), fmt_num(f.rating)]
                                              for f in pf.forces], 1)
    for f in pf.forces:
        out += [f"### {FORCE_LABELS.get(f.name, f.name)} ({fmt_num(f.rating)} / 5)", ""] + _points(f.points)
    return out


def _quads(meta, quads) -> list[str]:
    out = [f"_Confidence {fmt_conf(meta.confidence)}; analyst {md(meta.analyst)}._", ""]
    for attr, label in quads:
        out += [f"### {label}", ""] + _points(list(getattr(meta, attr)))
    return out


def _pestel(r: ReportInput) -> list[str]:
    pe = r.pestel
    rows = []
    for factor in PESTEL_FACTORS:
        for p in getattr(pe, factor):
            rows.append([factor.capitalize(), p.text, " ".join(p.evidence), fmt_conf(p.confidence)])
    out = [f"_Confidence {fmt_conf(pe.confidence)}; analyst {md(pe.analyst)}._", ""]
    return out + _table(["Factor", "Point", "Evidence", "Confidence"], rows)


def _blue_ocean(r: ReportInput) -> list[str]:
    out = _quads(r.blue_ocean, content.ERRC)
    if r.blue_ocean.canvas:
        out += ["### Strategy canvas", ""]
        out += _table(
            ["Factor", r.ticker, "Reference", "Reference is", "Evidence"],
            [[c.factor, fmt_num(c.company), fmt_num(c.industry), content.canvas_basis(c), " ".join(c.evidence)]
             for c in r.blue_ocean.canvas],
            1,
        )
    return out


def _risks(r: ReportInput) -> list[str]:
    out = ["### Key risks", ""] + _points(r.synthesis.risks)
    gaps = content.data_gaps(r)
    out += ["### Data gaps", ""]
    out += _table(["Where", "Gap"], [[a, b] for a, b in gaps]) if gaps else ["_None recorded._", ""]
    return out


def _changes(r: ReportInput) -> list[str]:
    ch = content.changes(r)
    if ch is None:
        return []
    out = [f"_Changes since the previous report of {fmt_date(ch.previous_as_of)}._", ""]
    if ch.empty:
        return out + ["No material changes.", ""]
    if ch.values:
        out += ["### Figures", ""] + _table(["Item", "Previous", "Current", "Change"], ch.values, 1)
    if ch.ratings:
        out += ["### Ratings and confidence", ""] + _table(["Item", "Previous", "Current", "Change"], ch.ratings, 1)
    for title, items in (("Points added", ch.added), ("Points removed", ch.removed)):
        if items:
            out += [f"### {title}", ""] + _table(["Where", "Point"], [[a, b] for a, b in items])
    return out


def _sources(r: ReportInput) -> list[str]:
    rows = content.source_rows(r)
    return _table(["Evidence id", "Fact", "Source", "Reference", "Date"],
                  [[s.id, s.text, s.source, s.reference, s.date] for s in rows])


def _methodology(r: ReportInput) -> list[str]:
    out = [content.METHODOLOGY_TEXT, "", content.CONFIDENCE_TEXT, "", "### Data sources", ""]
    out += _table(
        ["Source", "Provider", "Mode", "Data as of", "Retrieved"],
        [[s.name, s.provider, s.mode, s.as_of, s.retrieved] for s in content.source_statuses(r)],
    )
    out += ["### Analysts", ""] + _table(["Framework", "Analyst", "Confidence"], content.analyst_rows(r), 2)
    out += ["### Asset versions", ""]
    vrows = content.version_rows(r)
    out += _table(["Asset", "Data version", "Provider"], vrows) if vrows else ["_None recorded._", ""]
    return out


_SECTION = {
    "summary": _summary,
    "dashboard": _dashboard,
    "financials": _financials,
    "trends": _trends,
    "porter": _porter,
    "swot": lambda r: _quads(r.swot, content.SWOT_QUADRANTS),
    "pestel": _pestel,
    "blue_ocean": _blue_ocean,
    "risks": _risks,
    "changes": _changes,
    "sources": _sources,
    "methodology": _methodology,
}
