"""The report as a 16:9 slide deck (python-pptx), from the same content layer as the PDF and Markdown.

Charts are native PowerPoint charts (their data sits in the embedded workbook, editable in PowerPoint);
every data string goes through :func:`office.text` as the PDF's strings go through ``esc``; identical
inputs give a byte-identical file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION, XL_TICK_MARK
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from consultantos_assets.models import FORCE_LABELS, PESTEL_FACTORS, FrameworkPoint, ReportInput

from . import content
from .formatting import axis_scale, fmt_conf, fmt_date, fmt_num, fmt_usd
from .office import PALETTE, SERIES, reproducible_zip, stamp, text, write_package

W, H = Inches(13.333), Inches(7.5)
MX = Inches(0.55)  # side margin
TOP = Inches(1.35)  # below the title bar
BODY_W = W - 2 * MX
BODY_H = Inches(5.55)
POINT_LEN = 260  # characters of one point on a slide (the PDF and workbook hold the full text)
ROWS_PER_SLIDE = 12
ROW_H = Inches(0.3)


def _rgb(name: str) -> RGBColor:
    return RGBColor.from_string(PALETTE.get(name, name))


# ------------------------------------------------------------------------------------ primitives


class Deck:
    def __init__(self, report: ReportInput):
        self.report = report
        self.name = content.company_name(report)
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = W, H
        self._blank = self.prs.slide_layouts[6]

    def slide(self, title: str, kicker: str = "", headline: str = "", notes: str = ""):
        s = self.prs.slides.add_slide(self._blank)
        bar = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, W, Inches(1.05))
        _fill(bar, "NAVY")
        if kicker:
            box(s, MX, Inches(0.14), BODY_W, Inches(0.3), kicker.upper(), 10, "TEAL_LIGHT", bold=True)
        box(s, MX, Inches(0.38), BODY_W, Inches(0.6), title, 24, "WHITE", bold=True)
        if headline:
            box(s, MX, Inches(1.1), BODY_W, Inches(0.4), headline, 12, "SLATE", italic=True)
        n = len(self.prs.slides)
        footer = f"{self.name} ({self.report.ticker}) · strategy report · {self.report.as_of.isoformat()}"
        box(s, MX, H - Inches(0.42), BODY_W - Inches(1), Inches(0.3), footer, 9, "MUTED")
        box(s, W - MX - Inches(1), H - Inches(0.42), Inches(1), Inches(0.3), str(n), 9, "MUTED",
            align=PP_ALIGN.RIGHT)
        if notes:
            s.notes_slide.notes_text_frame.text = text(notes)
        return s


def _fill(shape, colour: str) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(colour)
    shape.line.fill.background()


def box(slide, x, y, w, h, value: object, size: float = 12, colour: str = "INK", *, bold: bool = False,
        italic: bool = False, align=PP_ALIGN.LEFT, max_len: int | None = None, anchor=MSO_ANCHOR.TOP):
    """A text box holding one data string (escaped by python-pptx, cleaned here)."""
    tb = slide.shapes.add_textbox(x, y, w, h)
    tf = tb.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = anchor
    tf.margin_left = tf.margin_right = Inches(0.04)
    p = tf.paragraphs[0]
    p.alignment = align
    _run(p, value, size, colour, bold=bold, italic=italic, max_len=max_len)
    return tb


def _run(paragraph, value: object, size: float, colour: str, *, bold: bool = False, italic: bool = False,
         max_len: int | None = None):
    r = paragraph.add_run()
    r.text = text(value, max_len)
    r.font.size = Pt(size)
    r.font.bold = bold
    r.font.italic = italic
    r.font.color.rgb = _rgb(colour)
    return r


def points_box(slide, x, y, w, h, title: str, points: list[FrameworkPoint], colour: str = "NAVY", *,
               size: float = 11, limit: int = 4, empty: str = "No points.", numbered: bool = False) -> None:
    """A titled list of framework points, each with its evidence ids and confidence in small type."""
    tb = slide.shapes.add_textbox(x, y, w, h)
    tf = tb.text_frame
    tf.word_wrap = True
    _run(tf.paragraphs[0], title, size + 2, colour, bold=True)
    shown = points[:limit]
    for i, pt in enumerate(shown, 1):
        p = tf.add_paragraph()
        p.space_before = Pt(5)
        _run(p, f"{i}. " if numbered else "• ", size, colour, bold=True)
        _run(p, pt.text, size, "INK", max_len=POINT_LEN)
        c = tf.add_paragraph()
        ids = " ".join(f"[{e}]" for e in pt.evidence) or "no evidence cited"
        _run(c, f"{ids} · confidence {fmt_conf(pt.confidence)}", size - 3, "MUTED", max_len=160)
    if not shown:
        _run(tf.add_paragraph(), empty, size, "MUTED", italic=True)
    if len(points) > limit:
        _run(tf.add_paragraph(), f"+ {len(points) - limit} more in the PDF and the workbook", size - 2, "MUTED",
             italic=True)


def table(slide, x, y, w, header: list[str], rows: list[list[str]], widths: list[float] | None = None, *,
          numeric_from: int | None = 1, text_from: int | None = None, size: float = 10, row_h: int = ROW_H):
    """A native table: navy header, banded rows, numbers right-aligned from column `numeric_from` up to
    `text_from` (a trailing text column, left-aligned)."""
    n_rows, n_cols = len(rows) + 1, len(header)
    shape = slide.shapes.add_table(n_rows, n_cols, x, y, w, Emu(row_h * n_rows))
    tbl = shape.table
    widths = widths or [1.0] * n_cols
    total = sum(widths)
    for i, frac in enumerate(widths):
        tbl.columns[i].width = Emu(int(w * frac / total))
    for r, values in enumerate([header, *rows]):
        tbl.rows[r].height = Emu(row_h)
        for c, value in enumerate(values):
            cell = tbl.cell(r, c)
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb("NAVY" if r == 0 else ("PANEL" if r % 2 == 0 else "WHITE"))
            tf = cell.text_frame
            tf.word_wrap = True
            p = tf.paragraphs[0]
            numeric = numeric_from is not None and c >= numeric_from and (text_from is None or c < text_from)
            p.alignment = PP_ALIGN.RIGHT if numeric else PP_ALIGN.LEFT
            _run(p, value, size, "WHITE" if r == 0 else "INK", bold=r == 0, max_len=POINT_LEN)
    return tbl


def note(slide, value: str, y=None) -> None:
    box(slide, MX, y if y is not None else H - Inches(0.85), BODY_W, Inches(0.4), value, 10, "MUTED", italic=True)


def not_available(slide, what: str, why: str, y=TOP) -> None:
    panel = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, MX, y, BODY_W, Inches(0.9))
    _fill(panel, "PANEL")
    box(slide, MX + Inches(0.2), y + Inches(0.12), BODY_W - Inches(0.4), Inches(0.7),
        f"{what}: not available. {why}", 14, "SLATE", anchor=MSO_ANCHOR.MIDDLE)


def _style_chart(chart, legend: bool = True, size: float = 11) -> None:
    chart.font.size = Pt(size)
    chart.font.color.rgb = _rgb("INK")
    chart.has_legend = legend
    if legend:
        chart.legend.position = XL_LEGEND_POSITION.BOTTOM
        chart.legend.include_in_layout = False


def _colour_series(chart, line: bool = False) -> None:
    for i, series in enumerate(chart.plots[0].series):
        colour = RGBColor.from_string(SERIES[i % len(SERIES)])
        if line:
            series.format.line.color.rgb = colour
            series.format.line.width = Pt(2.25)
            series.smooth = False
        else:
            series.format.fill.solid()
            series.format.fill.fore_color.rgb = colour


def _value_axis(chart, number_format: str, title: str = "") -> None:
    ax = chart.value_axis
    ax.has_major_gridlines = True
    ax.major_gridlines.format.line.color.rgb = _rgb("RULE")
    ax.format.line.fill.background()
    ax.tick_labels.number_format = number_format
    ax.tick_labels.number_format_is_linked = False
    ax.tick_labels.font.color.rgb = _rgb("SLATE")
    if title:
        ax.has_title = True
        ax.axis_title.text_frame.text = title
        ax.axis_title.text_frame.paragraphs[0].runs[0].font.size = Pt(10)
        ax.axis_title.text_frame.paragraphs[0].runs[0].font.bold = False


def _date_axis_step(axis, months: int) -> None:
    """Label a date axis every `months` months (python-pptx has no setter for c:majorUnit on a date axis)."""
    el = axis._element
    for tag in ("c:majorUnit", "c:majorTimeUnit"):
        for old in el.findall(qn(tag)):
            el.remove(old)
    unit, time_unit = OxmlElement("c:majorUnit"), OxmlElement("c:majorTimeUnit")
    unit.set("val", str(months))
    time_unit.set("val", "months")
    # schema order of c:dateAx: ... c:lblOffset, c:baseTimeUnit, c:majorUnit, c:majorTimeUnit, c:minorUnit ...
    anchor = el.find(qn("c:baseTimeUnit")) if el.find(qn("c:baseTimeUnit")) is not None else el.find(qn("c:lblOffset"))
    if anchor is None:
        el.append(unit)
    else:
        anchor.addnext(unit)
    unit.addnext(time_unit)


# ---------------------------------------------------------------------------------------- slides


def _title(d: Deck) -> None:
    r = d.report
    s = d.prs.slides.add_slide(d._blank)
    bg = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, W, H)
    _fill(bg, "NAVY")
    band = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(5.1), W, Inches(0.08))
    _fill(band, "TEAL")
    box(s, Inches(0.9), Inches(1.3), Inches(11.5), Inches(0.4), "STRATEGY REPORT", 14, "TEAL_LIGHT", bold=True)
    box(s, Inches(0.9), Inches(1.8), Inches(11.5), Inches(1.9), f"{d.name} ({r.ticker})",
        40 if len(d.name) < 40 else 28, "WHITE", bold=True, max_len=120)
    box(s, Inches(0.9), Inches(3.8), Inches(11.5), Inches(0.5),
        f"Report date {r.as_of.isoformat()} · overall confidence {fmt_conf(r.synthesis.confidence)}", 16, "WHITE")
    box(s, Inches(0.9), Inches(4.35), Inches(11.5), Inches(0.5), content.mode_summary(r), 13, "TEAL_LIGHT")
    tb = s.shapes.add_textbox(Inches(0.9), Inches(5.4), Inches(11.5), Inches(1.6))
    tf = tb.text_frame
    tf.word_wrap = True
    _run(tf.paragraphs[0], "Data as of", 11, "TEAL_LIGHT", bold=True)
    for st in content.source_statuses(r):
        _run(tf.add_paragraph(), f"{st.name}: {st.provider}, {st.mode}, {st.as_of}", 11, "WHITE", max_len=140)


def _summary(d: Deck) -> None:
    syn = d.report.synthesis
    s = d.slide(content.SECTIONS["summary"], "Synthesis",
                notes=syn.executive_summary)
    paras = [p.strip() for p in syn.executive_summary.replace("\r", "").split("\n\n") if p.strip()]
    lead = paras[0] if paras else "No executive summary was produced."
    box(s, MX, TOP, BODY_W, Inches(1.3), lead, 14, "NAVY", max_len=520)
    half = (BODY_W - Inches(0.4)) // 2
    points_box(s, MX, TOP + Inches(1.45), half, Inches(3.9), "Key findings", syn.key_findings, "NAVY", size=13,
               limit=3, empty="No key findings.")
    points_box(s, MX + half + Inches(0.4), TOP + Inches(1.45), half, Inches(3.9), "Recommendations",
               syn.recommendations, "TEAL", size=13, limit=3, empty="No recommendations.", numbered=True)


def _dashboard(d: Deck) -> None:
    r = d.report
    s = d.slide(content.SECTIONS["dashboard"], "At a glance",
                headline="" if r.financials.has_statements else content.missing_financials_message(r) + ".")
    kpis = content.kpis(r)  # the PDF's dashboard: the latest quarter and TTM first when newer than the 10-K
    per_row, gap = (4, Inches(0.25)) if len(kpis) <= 12 else (5, Inches(0.2))
    tile_w = (BODY_W - gap * (per_row - 1)) // per_row
    tile_h = Inches(1.5)
    y0 = TOP + (Inches(0.45) if not r.financials.has_statements else 0)
    for i, k in enumerate(kpis[:3 * per_row]):
        row, col = divmod(i, per_row)
        x, y = MX + col * (tile_w + gap), y0 + row * (tile_h + Inches(0.2))
        tile = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, tile_w, tile_h)
        _fill(tile, "PANEL")
        accent = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, Inches(0.07), tile_h)
        _fill(accent, "TEAL")
        box(s, x + Inches(0.2), y + Inches(0.1), tile_w - Inches(0.3), Inches(0.3), k.label.upper(),
            10 if per_row == 4 else 9, "SLATE", bold=True)
        box(s, x + Inches(0.2), y + Inches(0.4), tile_w - Inches(0.3), Inches(0.6), k.value, 26, "NAVY", bold=True)
        box(s, x + Inches(0.2), y + Inches(1.05), tile_w - Inches(0.3), Inches(0.35), k.note,
            10 if per_row == 4 else 9, "MUTED", max_len=60)


def _revenue_chart(d: Deck) -> None:
    r = d.report
    fin = r.financials
    s = d.slide("Revenue and net income", content.SECTIONS["financials"], content.financial_headline(r))
    years = content.report_years(r)
    facts = [(fin.value("revenue", y), fin.value("net_income", y)) for y in years]
    if not any(a or b for a, b in facts):
        not_available(s, "Revenue and net income", content.missing_financials_message(r) + ".", TOP + Inches(0.5))
        return
    div, unit = axis_scale([f.value for pair in facts for f in pair if f is not None])
    cd = CategoryChartData(number_format='#,##0.0')
    cd.categories = [content.fy_label(y) for y in years]
    cd.add_series("Revenue", [a.value / div if a else None for a, _ in facts])
    cd.add_series("Net income", [b.value / div if b else None for _, b in facts])
    chart = s.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, MX, TOP + Inches(0.45), BODY_W, Inches(4.9),
                               cd).chart
    _style_chart(chart)
    _colour_series(chart)
    _value_axis(chart, '#,##0', unit)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.has_data_labels = True
    plot.data_labels.number_format = '#,##0.0'
    plot.data_labels.number_format_is_linked = False
    plot.data_labels.font.size = Pt(10)
    plot.data_labels.font.color.rgb = _rgb("SLATE")
    note(s, f"Fiscal years as reported in SEC filings (10-K); amounts in {unit}. Chart data is editable in "
            "PowerPoint.")


def _margin_chart(d: Deck) -> None:
    r = d.report
    s = d.slide("Margins", content.SECTIONS["financials"])
    years = content.report_years(r)
    series = [(label, [content.margin(r, m, y) for y in years])
              for m, label in (("gross_profit", "Gross margin"), ("operating_income", "Operating margin"),
                               ("net_income", "Net margin"))]
    series = [(label, vals) for label, vals in series if any(v is not None for v in vals)]
    if not series:
        not_available(s, "Margins", "Revenue or profit figures are missing.", TOP + Inches(0.3))
        return
    cd = CategoryChartData(number_format='0.0%')
    cd.categories = [content.fy_label(y) for y in years]
    for label, vals in series:
        cd.add_series(label, vals)
    chart = s.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, MX, TOP, Inches(6.3), Inches(5.3), cd).chart
    _style_chart(chart)
    _colour_series(chart, line=True)
    _value_axis(chart, '0%', "% of revenue")
    t = content.ratio_table(r)
    table(s, MX + Inches(6.5), TOP + Inches(0.3), BODY_W - Inches(6.5), t.header, t.rows,
          [1.9] + [1] * (len(t.header) - 1), size=10, row_h=Inches(0.4))


def _price_chart(d: Deck) -> None:
    r = d.report
    p = r.financials.prices
    s = d.slide("Share price", content.SECTIONS["financials"])
    if p is None or not p.series:
        not_available(s, "Share price", f"No share-price history for {r.ticker}.", TOP + Inches(0.3))
        return
    pts = sorted(p.series, key=lambda x: x.date)
    cd = CategoryChartData(number_format='#,##0.00')
    cd.categories = [pt.date for pt in pts]
    cd.add_series(f"{r.ticker} weekly close (USD)", [pt.close for pt in pts])
    chart = s.shapes.add_chart(XL_CHART_TYPE.LINE, MX, TOP, Inches(8.0), Inches(5.3), cd).chart
    _style_chart(chart, legend=True)
    chart.has_title = False
    _colour_series(chart, line=True)
    _value_axis(chart, '#,##0', "USD per share")
    cat = chart.category_axis
    cat.tick_labels.number_format = 'mmm yyyy'
    cat.tick_labels.number_format_is_linked = False
    cat.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    cat.major_tick_mark = XL_TICK_MARK.NONE
    _date_axis_step(cat, 6 if (pts[-1].date - pts[0].date).days > 730 else 3)
    pt_table = content.price_table(r)
    if pt_table is not None:
        table(s, MX + Inches(8.3), TOP + Inches(0.2), BODY_W - Inches(8.3), pt_table.header, pt_table.rows,
              [1.2, 1.5], size=9, row_h=Inches(0.45))


def _cash_flow(d: Deck) -> None:
    r = d.report
    s = d.slide("Cash flow and capital", content.SECTIONS["financials"],
                "Fiscal years from 10-K filings and the trailing twelve months (TTM); balances at each period end.")
    cf = content.cash_flow_table(r)
    if cf is None:
        not_available(s, "Cash flow and capital figures", "The financial statements hold none for this company.",
                      TOP + Inches(0.45))
        return
    table(s, MX, TOP + Inches(0.45), BODY_W, cf.header, cf.rows, [2.6] + [1] * (len(cf.header) - 1), size=10)


def _multiples(d: Deck) -> None:
    """The latest quarter with its TTM figure, then the valuation multiples: the PDF's tables, cell for cell."""
    r = d.report
    p = r.financials.prices
    cap = f"Market cap {fmt_usd(p.market_cap)}: {content.market_cap_note(r)}." if p and p.market_cap else ""
    s = d.slide("Latest quarter and valuation multiples", content.SECTIONS["financials"], cap)
    y = TOP + Inches(0.45)
    lq = content.latest_quarter_table(r)
    if lq is not None:
        table(s, MX, y, BODY_W, lq.header, lq.rows, [2.6, 1.2, 1.2, 1, 1.4], size=10, row_h=Inches(0.28))
        y += Inches(0.28) * (len(lq.rows) + 1) + Inches(0.25)
    mult = content.multiples_table(r)
    if not r.financials.has_statements or all(m.value is None for m in content.multiples_rows(r)):
        why = "; ".join(sorted({m.reason for m in content.multiples_rows(r) if m.reason}))[:200]
        not_available(s, "Valuation multiples", why[:1].upper() + why[1:] + "." if why else "", y)
        return
    table(s, MX, y, BODY_W, mult.header, mult.rows, [2.6, 0.9, 5.2], numeric_from=1, text_from=2, size=10,
          row_h=Inches(0.28))
    note(s, "Multiples are computed from the last close and the SEC figures filed by then; the workbook holds "
            "them as formulas over their inputs.")


def _comparables(d: Deck) -> None:
    r = d.report
    s = d.slide("Comparables", "Peers")
    rows = content.comparables(r)
    if not rows:
        not_available(s, "Comparables", f"No named peers for {r.ticker}: pin them with `consultantos peers "
                      f"{r.ticker} --set A,B,C`.")
        return
    keys = list(content.COMPARABLE_METRICS)
    header = ["Company", *[content.COMPARABLE_HEADINGS[k] for k in keys], "Basis"]
    ranks = content.comparable_ranks(r)
    body = [[c.label, *[content.fmt_comparable(c.values.get(k), k) for k in keys], c.note]
            for c in rows[:ROWS_PER_SLIDE - 1]]
    body.append([f"{r.ticker} rank", *[ranks.get(k, "n/a") for k in keys], ""])
    table(s, MX, TOP, BODY_W, header, body, [2.2, 1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.9, 2.6], size=9,
          row_h=Inches(0.36))
    note(s, f"Latest fiscal year of each company, from its SEC facts; P/E and EV/EBITDA at the last close. "
            f"{content.comparables_basis(r)[:1].upper()}{content.comparables_basis(r)[1:]}. A comparison needs at "
            f"least {content.MIN_PEERS} named peers with the figure.")


def _porter(d: Deck) -> None:
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
    _style_chart(chart, legend=False)
    chart.has_title = False
    _colour_series(chart)
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0, 5
    chart.value_axis.major_unit = 1
    _value_axis(chart, '0', "Rating (1 weak - 5 strong)")
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
        _run(p, f"{FORCE_LABELS.get(f.name, f.name)} ({fmt_num(f.rating)} / 5)", 12, "NAVY", bold=True)
        if f.points:
            pt = f.points[0]
            q = tf.add_paragraph()
            _run(q, pt.text, 10, "INK", max_len=200)
            _run(q, "  " + (" ".join(f"[{e}]" for e in pt.evidence) or "no evidence cited"), 8, "MUTED",
                 max_len=120)


def _grid(d: Deck, title: str, kicker: str, quads: list[tuple[str, str, list[FrameworkPoint]]], meta) -> None:
    s = d.slide(title, kicker, f"Confidence {fmt_conf(meta.confidence)}; analyst {meta.analyst}")
    gap = Inches(0.2)
    qw, qh = (BODY_W - gap) // 2, Inches(2.7)
    for i, (label, colour, points) in enumerate(quads):
        row, col = divmod(i, 2)
        x, y = MX + col * (qw + gap), TOP + Inches(0.45) + row * (qh + gap)
        panel = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, qw, qh)
        _fill(panel, "PANEL")
        accent = s.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, qw, Inches(0.06))
        _fill(accent, colour)
        points_box(s, x + Inches(0.1), y + Inches(0.1), qw - Inches(0.2), qh - Inches(0.2), label, points, colour,
                   size=12, limit=3)


def _swot(d: Deck) -> None:
    sw = d.report.swot
    colours = {"strengths": "TEAL", "weaknesses": "RED", "opportunities": "SKY", "threats": "AMBER"}
    _grid(d, content.SECTIONS["swot"], "Frameworks",
          [(label, colours[attr], list(getattr(sw, attr))) for attr, label in content.SWOT_QUADRANTS], sw)


def _pestel(d: Deck) -> None:
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


def _blue_ocean(d: Deck) -> None:
    bo = d.report.blue_ocean
    colours = {"eliminate": "RED", "reduce": "AMBER", "raise_": "SKY", "create": "TEAL"}
    _grid(d, "Blue Ocean: eliminate, reduce, raise, create", "Frameworks",
          [(label, colours[attr], list(getattr(bo, attr))) for attr, label in content.ERRC], bo)


def _canvas(d: Deck) -> None:
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
    _style_chart(chart)
    _colour_series(chart, line=True)
    chart.value_axis.minimum_scale, chart.value_axis.maximum_scale = 0, 10
    _value_axis(chart, '0', "Offering level (0-10)")
    note(s, "Each factor's score cites its evidence in the workbook's Frameworks sheet.")


def _risks(d: Deck) -> None:
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


def _changes(d: Deck) -> None:
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
    pages = _chunks(everything, ROWS_PER_SLIDE)
    for i, chunk in enumerate(pages, 1):
        title = content.SECTIONS["changes"] + (f" ({i}/{len(pages)})" if len(pages) > 1 else "")
        s = d.slide(title, "History", headline)
        table(s, MX, TOP + Inches(0.45), BODY_W, ["Item", "Previous", "Current", "Change"], chunk,
              [4.5, 2, 2, 1.3], size=9)


def _sources(d: Deck) -> None:
    rows = [[x.id, x.source, x.reference, x.date] for x in content.source_rows(d.report)]
    if not rows:
        s = d.slide(content.SECTIONS["sources"], "Evidence")
        box(s, MX, TOP, BODY_W, Inches(0.5), "No evidence was cited.", 14, "SLATE")
        return
    pages = _chunks(rows, 14)
    for i, chunk in enumerate(pages, 1):
        title = content.SECTIONS["sources"] + (f" ({i}/{len(pages)})" if len(pages) > 1 else "")
        s = d.slide(title, "Evidence", "Every evidence id the slides cite; the workbook's Sources sheet has the facts.")
        table(s, MX, TOP + Inches(0.45), BODY_W, ["Evidence id", "Source", "Reference (accession or URL)", "Date"],
              chunk, [2.6, 2.4, 5, 1.2], numeric_from=3, size=9, row_h=Inches(0.33))


def _chunks(rows: list, n: int) -> list[list]:
    return [rows[i:i + n] for i in range(0, len(rows), n)] or [[]]


SLIDES: tuple[Callable[[Deck], None], ...] = (
    _title, _summary, _dashboard, _revenue_chart, _margin_chart, _price_chart, _cash_flow, _multiples, _comparables,
    _porter, _swot, _pestel, _blue_ocean, _canvas, _risks, _changes, _sources,
)


def build_pptx_bytes(report: ReportInput) -> bytes:
    d = Deck(report)
    for make in SLIDES:
        make(d)
    when = stamp(report.as_of)
    props = d.prs.core_properties
    props.title = text(f"{d.name} ({report.ticker}) - strategy report", 200)
    props.subject = f"Strategy report for {report.ticker} as of {report.as_of.isoformat()}"
    props.author = props.last_modified_by = "ConsultantOS"
    props.keywords = report.ticker
    props.revision = 1
    props.created = props.modified = when.replace(tzinfo=None)
    buf = io.BytesIO()
    d.prs.save(buf)
    return reproducible_zip(buf.getvalue(), when)


def render_pptx(report: ReportInput, path: Path | str) -> Path:
    """Write the deck to ``path`` atomically."""
    return write_package(path, build_pptx_bytes(report))


__all__ = ["SLIDES", "build_pptx_bytes", "render_pptx"]
