"""The PDF sections of the strategy frameworks: Porter's five forces, SWOT, PESTEL, Blue Ocean and the
risks."""

from __future__ import annotations

import logging

from reportlab.lib.units import cm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)

from consultantos_assets.models import FORCE_LABELS, PESTEL_FACTORS, FrameworkPoint, ReportInput

from .. import charts, content
from ..formatting import fmt_conf, fmt_num
from ..markup import esc
from ..theme import FRAME_H, FRAME_W, Palette, Styles
from .flowables import (
    MAX_CELL_CHARS,
    caption,
    chart_block,
    data_table,
    hexcolor,
    markup,
    para,
    point_flowables,
    points_list,
    table_head_style,
)

log = logging.getLogger(__name__)


def porter(r: ReportInput) -> list[Flowable]:
    pf = r.porter
    out: list[Flowable] = [
        markup(
            f"Overall competitive intensity <b>{fmt_num(pf.overall_intensity)} / 5</b> &nbsp;·&nbsp; "
            f"confidence {fmt_conf(pf.confidence)} &nbsp;·&nbsp; analyst {esc(pf.analyst)}",
            Styles.small,
        ),
        Spacer(1, 6),
    ]
    drawing = charts.porter_chart(r, FRAME_W, 40 + 24 * max(1, len(pf.forces)))
    if drawing is not None:
        out.append(drawing)
        out.append(Spacer(1, 10))
    for force in pf.forces:
        title = (f"{FORCE_LABELS.get(force.name, force.name)} &nbsp;"
                 f"<font color='{hexcolor(Palette.SLATE)}'>{force.rating:.1f} / 5</font>")
        block = [markup(title, Styles.h3), *points_list(force.points)]
        out.append(KeepTogether(block[:3]))
        out += block[3:]
        out.append(Spacer(1, 4))
    return out


def _byline(framework) -> list[Flowable]:
    """The line under a framework's heading: its confidence and the analyst that wrote it."""
    return [markup(f"Confidence {fmt_conf(framework.confidence)} &nbsp;·&nbsp; analyst {esc(framework.analyst)}",
                   Styles.small), Spacer(1, 8)]


def _quadrant(title: str, colour, points: list[FrameworkPoint], width: float) -> list[Flowable]:
    head = Table([[markup(f"<b>{esc(title)}</b>", Styles.cell_head)]], colWidths=[width])
    head.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), colour),
                              ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
    body: list[Flowable] = [head, Spacer(1, 5)]
    if not points:
        body.append(para("None identified.", Styles.small))
    for p in points:
        body += point_flowables(p, max_len=MAX_CELL_CHARS)
    return body


def _grid(quads: list[tuple[str, object, list[FrameworkPoint]]], min_height: float = 0) -> list[Flowable]:
    """Four quadrants as a 2x2 grid, or stacked when they are too long for one page."""
    gap = 10
    cw = (FRAME_W - gap) / 2
    cells = [_quadrant(t, c, pts, cw - 8) for t, c, pts in quads]
    grid = Table([[cells[0], "", cells[1]], [cells[2], "", cells[3]]], colWidths=[cw, gap, cw], hAlign="LEFT",
                 minRowHeights=[min_height, min_height])
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                ("BACKGROUND", (0, 0), (0, -1), Palette.PANEL),
                ("BACKGROUND", (2, 0), (2, -1), Palette.PANEL),
                ("LINEBELOW", (0, 0), (0, 0), 6, Palette.WHITE),
                ("LINEBELOW", (2, 0), (2, 0), 6, Palette.WHITE),
            ]
        )
    )
    _, h = grid.wrap(FRAME_W, FRAME_H)
    if h <= FRAME_H - 4 * cm:
        return [grid]
    log.debug("quadrant grid is %.0fpt tall; stacking the quadrants", h)
    out: list[Flowable] = []
    for t, c, pts in quads:
        block = _quadrant(t, c, pts, FRAME_W)
        out.append(KeepTogether(block[:4]))
        out += block[4:]
        out.append(Spacer(1, 8))
    return out


def swot(r: ReportInput) -> list[Flowable]:
    s = r.swot
    colours = {"strengths": Palette.TEAL, "weaknesses": Palette.AMBER, "opportunities": Palette.SKY, "threats": Palette.RED}
    out: list[Flowable] = [
        *_byline(s),
    ]
    out += _grid([(label, colours[attr], list(getattr(s, attr))) for attr, label in content.SWOT_QUADRANTS],
                 min_height=FRAME_H * 0.36)
    out.append(caption("Internal factors (strengths, weaknesses) on top; external factors (opportunities, threats) "
                       "below."))
    return out


def pestel(r: ReportInput) -> list[Flowable]:
    pe = r.pestel
    out: list[Flowable] = [
        *_byline(pe),
    ]
    head = [markup(h, Styles.cell_head) for h in ("Factor", "Point", "Evidence", "Conf.")]
    rows = [head]
    group_starts = []
    widths = [FRAME_W * 0.15, FRAME_W * 0.51, FRAME_W * 0.25, FRAME_W * 0.09]
    for factor in PESTEL_FACTORS:
        pts: list[FrameworkPoint] = list(getattr(pe, factor))
        group_starts.append(len(rows))
        label = markup(f"<b>{factor.capitalize()}</b>", Styles.cell)
        if not pts:
            rows.append([label, para("No points.", Styles.cell_small), "", ""])
        for i, p in enumerate(pts):
            ev = " ".join(f"[{esc(e)}]" for e in p.evidence) or "none"
            rows.append(
                [
                    label if i == 0 else "",
                    para(p.text, Styles.cell, MAX_CELL_CHARS),
                    markup(ev, Styles.cell_small),
                    markup(fmt_conf(p.confidence), Styles.cell_num),
                ]
            )
    t = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1, hAlign="LEFT")
    cmds = table_head_style(bottom_padding=5)
    for gi, start in enumerate(group_starts):
        if gi:
            cmds.append(("LINEABOVE", (0, start), (-1, start), 0.6, Palette.RULE))
        end = group_starts[gi + 1] - 1 if gi + 1 < len(group_starts) else len(rows) - 1
        cmds.append(("BACKGROUND", (0, start), (0, end), Palette.TEAL_PALE))
    t.setStyle(TableStyle(cmds))
    out.append(t)
    return out


def blue_ocean(r: ReportInput) -> list[Flowable]:
    bo = r.blue_ocean
    out: list[Flowable] = [
        *_byline(bo),
        markup("Eliminate - Reduce - Raise - Create", Styles.h2),
    ]
    colours = {"eliminate": Palette.RED, "reduce": Palette.AMBER, "raise_": Palette.SKY, "create": Palette.TEAL}
    out += _grid([(label, colours[attr], list(getattr(bo, attr))) for attr, label in content.ERRC],
                 min_height=FRAME_H * 0.12)
    out.append(CondPageBreak(8 * cm))
    extra: list[Flowable] = []
    if bo.canvas:
        rows = [
            [c.factor, fmt_num(c.company), fmt_num(c.industry), f"{c.company - c.industry:+.1f}",
             content.canvas_basis(c), " ".join(f"[{e}]" for e in c.evidence) or "none"]
            for c in bo.canvas
        ]
        table = data_table(["Factor", r.ticker, "Reference", "Gap", "Reference is", "Evidence"], rows,
                           [FRAME_W * 0.24, FRAME_W * 0.08, FRAME_W * 0.1, FRAME_W * 0.08, FRAME_W * 0.18,
                            FRAME_W * 0.32], numeric_cols={1, 2, 3})
        extra = [table]
    drawing = charts.canvas_chart(r, FRAME_W, 165)
    title = "Strategy canvas"
    prior = "a typical level for the industry (a prior, not a measured peer figure)"
    note = (f"Offering level per competitive factor (0 = none, 10 = best), {r.ticker} against a reference: the "
            f"{content.comparables_basis(r)} where at least {content.MIN_PEERS} named peers report the factor, else "
            f"{prior}." if content.has_peer_median(r) else
            f"Offering level per competitive factor (0 = none, 10 = best), {r.ticker} against {prior}: "
            f"{content.comparables_basis(r)}.")
    if len(extra) and len(bo.canvas) <= 12:
        out += chart_block(drawing, title, note, extra)
    else:
        out += chart_block(drawing, title, note) + extra
    return out


def risks(r: ReportInput) -> list[Flowable]:
    out: list[Flowable] = [markup("Key risks", Styles.h2)]
    out += points_list(r.synthesis.risks, empty="No risks were identified.")
    out.append(markup("Data gaps", Styles.h2))
    gaps = content.data_gaps(r)
    if gaps:
        out.append(para("What the evidence does not cover; conclusions touching these areas carry lower "
                        "confidence.", Styles.small))
        out.append(Spacer(1, 4))
        out.append(data_table(["Where", "Gap"], [[a, b] for a, b in gaps], [FRAME_W * 0.24, FRAME_W * 0.76]))
    else:
        out.append(para("No data gaps were recorded.", Styles.body))
    return out
