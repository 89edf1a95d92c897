"""The deck's framework and record slides: Porter, SWOT, PESTEL, Blue Ocean with its canvas, risks, what
changed and sources."""

from __future__ import annotations

from pptx.chart.data import CategoryChartData
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE
from pptx.util import Inches, Pt

from consultantos_assets.models import FORCE_LABELS, PESTEL_FACTORS, FrameworkPoint

from .. import content
from ..formatting import fmt_conf, fmt_date, fmt_num
from ..office import text
from .chart_style import colour_series, style_chart, value_axis
from .geometry import BODY_H, BODY_W, MX, ROWS_PER_SLIDE, TOP, H
from .layout import Deck, add_run, box, chunks, fill_shape, not_available, note, points_box, table


def porter_slide(d: Deck) -> None:
    r = d.report
    pf = r.porter
    s = d.slide(content.SECTIONS["porter"], "Frameworks", pf.summary)
    if not pf.forces:
        not_available(s, "Force ratings", "The analysis rated no forces.", TOP + Inches(0.4))
        return
    cd = CategoryChartData(number_format='0.0')
    cd.categories = [FORCE_LABELS.get(f.name, f.name) for f in reversed(pf.forces)]
    cd.add_series("Rating (1 weak - 5 strong)", [f.rating for f in reversed(pf.forces)])
    chart = s.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, MX, TOP + Inches(0.45), Inches(5.6), Inches(4.6),
                               cd).chart
    style_chart(chart, legend=False)
    chart.has_title = False
    colour_series(chart)
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0, 5
    chart.value_axis.major_unit = 1
    value_axis(chart, '0', "Rating (1 weak - 5 strong)")
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.has_data_labels = True
    plot.data_labels.number_format = '0.0'
    plot.data_labels.number_format_is_linked = False
    box(s, MX, TOP + Inches(5.1), Inches(5.6), Inches(0.4),
        f"Overall intensity {fmt_num(pf.overall_intensity)} / 5 · confidence {fmt_conf(pf.confidence)}", 12,
        "NAVY", bold=True)
    tb = s.shapes.add_textbox(MX + Inches(5.9), TOP + Inches(0.45), BODY_W - Inches(5.9), Inches(5.2))
    tf = tb.text_frame
    tf.word_wrap = True
    first = True
    for f in pf.forces:
        p = tf.paragraphs[0] if first else tf.add_paragraph()
        first = False
        p.space_before = Pt(6)
        add_run(p, f"{FORCE_LABELS.get(f.name, f.name)} ({fmt_num(f.rating)} / 5)", 12, "NAVY", bold=True)
        if f.points:
            pt = f.points[0]
            q = tf.add_paragraph()
            add_run(q, pt.text, 10, "INK", max_len=200)
            add_run(q, "  " + (" ".join(f"[{e}]" for e in pt.evidence) or "no evidence cited"), 8, "MUTED",
                 max_len=120)


def _grid(d: Deck, title: str, kicker: str, quads: list[tuple[str, str, list[FrameworkPoint]]], meta) -> None:
    s = d.slide(title, kicker, f"Confidence {fmt_conf(meta.confidence)}; analyst {meta.analyst}")
    gap = Inches(0.2)
    qw, qh = (BODY_W - gap) // 2, Inches(2.7)
    for i, (label, colour, points) in enumerate(quads):
        row, col = divmod(i, 2)
        x, y = MX + col * (qw + gap), TOP + Inches(0.45) + row * (qh + gap)
        panel = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, qw, qh)
        fill_shape(panel, "PANEL")
        accent = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, qw, Inches(0.06))
        fill_shape(accent, colour)
        points_box(s, x + Inches(0.1), y + Inches(0.1), qw - Inches(0.2), qh - Inches(0.2), label, points, colour,
                   size=12, limit=3)


def swot_slide(d: Deck) -> None:
    sw = d.report.swot
    colours = {"strengths": "TEAL", "weaknesses": "RED", "opportunities": "SKY", "threats": "AMBER"}
    _grid(d, content.SECTIONS["swot"], "Frameworks",
          [(label, colours[attr], list(getattr(sw, attr))) for attr, label in content.SWOT_QUADRANTS], sw)


def pestel_slide(d: Deck) -> None:
    pe = d.report.pestel
    rows = []
    for factor in PESTEL_FACTORS:
        pts = list(getattr(pe, factor))
        for pt in pts[:2]:
            rows.append([factor.capitalize(), text(pt.text, 170), " ".join(pt.evidence) or "none",
                         fmt_conf(pt.confidence)])
        if not pts:
            rows.append([factor.capitalize(), "No points.", "", ""])
    s = d.slide(content.SECTIONS["pestel"], "Frameworks",
                f"Confidence {fmt_conf(pe.confidence)}; analyst {pe.analyst}")
    table(s, MX, TOP + Inches(0.45), BODY_W, ["Factor", "Point", "Evidence", "Confidence"], rows, [1.3, 7, 2.4, 1],
          numeric_from=3, size=9, row_h=Inches(0.4))


def blue_ocean_slide(d: Deck) -> None:
    bo = d.report.blue_ocean
    colours = {"eliminate": "RED", "reduce": "AMBER", "raise_": "SKY", "create": "TEAL"}
    _grid(d, "Blue Ocean: eliminate, reduce, raise, create", "Frameworks",
          [(label, colours[attr], list(getattr(bo, attr))) for attr, label in content.ERRC], bo)


def canvas_slide(d: Deck) -> None:
    r = d.report
    bo = r.blue_ocean
    s = d.slide("Blue Ocean: strategy canvas", "Frameworks")
    if not bo.canvas:
        not_available(s, "Strategy canvas", "The analysis scored no competing factors.")
        return
    cd = CategoryChartData(number_format='0.0')
    cd.categories = [text(c.factor, 40) for c in bo.canvas]
    cd.add_series(text(r.ticker), [c.company for c in bo.canvas])
    cd.add_series("Peers / prior", [c.industry for c in bo.canvas])
    chart = s.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, MX, TOP, BODY_W, Inches(5.0), cd).chart
    style_chart(chart)
    colour_series(chart, line=True)
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0, 10
    value_axis(chart, '0', "Offering level (0-10)")
    note(s, "Each factor's score cites its evidence in the workbook's Frameworks sheet.")


def risks_slide(d: Deck) -> None:
    r = d.report
    s = d.slide(content.SECTIONS["risks"], "Risks and gaps")
    half = (BODY_W - Inches(0.4)) // 2
    points_box(s, MX, TOP, half, BODY_H - Inches(0.3), "Key risks", r.synthesis.risks, "RED", size=12, limit=4,
               empty="No risks recorded.")
    gaps = content.data_gaps(r)
    x = MX + half + Inches(0.4)
    if gaps:
        shown = gaps[:10]
        table(s, x, TOP, half, ["Where", "Data gap"], [[a, text(b, 150)] for a, b in shown], [1, 3],
              numeric_from=None, size=9, row_h=Inches(0.4))
        if len(gaps) > len(shown):
            box(s, x, H - Inches(0.85), half, Inches(0.3), f"+ {len(gaps) - len(shown)} more in the PDF", 9, "MUTED")
    else:
        box(s, x, TOP, half, Inches(0.5), "Data gaps: none recorded.", 12, "SLATE")


def changes_slide(d: Deck) -> None:
    ch = content.changes(d.report)
    if ch is None:
        return
    rows = [*ch.values, *ch.ratings]
    added = [[f"Added · {a}", text(b, 140), "", ""] for a, b in ch.added]
    removed = [[f"Removed · {a}", text(b, 140), "", ""] for a, b in ch.removed]
    everything = rows + added + removed
    headline = f"Changes since the previous report of {fmt_date(ch.previous_as_of)}."
    if not everything:
        s = d.slide(content.SECTIONS["changes"], "History", headline)
        box(s, MX, TOP + Inches(0.5), BODY_W, Inches(0.5), "No material changes.", 14, "SLATE")
        return
    pages = chunks(everything, ROWS_PER_SLIDE)
    for i, chunk in enumerate(pages, 1):
        title = content.SECTIONS["changes"] + (f" ({i}/{len(pages)})" if len(pages) > 1 else "")
        s = d.slide(title, "History", headline)
        table(s, MX, TOP + Inches(0.45), BODY_W, ["Item", "Previous", "Current", "Change"], chunk,
              [4.5, 2, 2, 1.3], size=9)


def sources_slide(d: Deck) -> None:
    rows = [[x.id, x.source, x.reference, x.date] for x in content.source_rows(d.report)]
    if not rows:
        s = d.slide(content.SECTIONS["sources"], "Evidence")
        box(s, MX, TOP, BODY_W, Inches(0.5), "No evidence was cited.", 14, "SLATE")
        return
    pages = chunks(rows, 14)
    for i, chunk in enumerate(pages, 1):
        title = content.SECTIONS["sources"] + (f" ({i}/{len(pages)})" if len(pages) > 1 else "")
        s = d.slide(title, "Evidence", "Every evidence id the slides cite; the workbook's Sources sheet has the facts.")
        table(s, MX, TOP + Inches(0.45), BODY_W, ["Evidence id", "Source", "Reference (accession or URL)", "Date"],
              chunk, [2.6, 2.4, 5, 1.2], numeric_from=3, size=9, row_h=Inches(0.33))
