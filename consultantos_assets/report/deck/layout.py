"""The deck's slide geometry and building blocks: boxes, runs, point lists, tables, notes and the chart
styling every chart slide shares."""

from __future__ import annotations

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from consultantos_assets.models import FrameworkPoint, ReportInput

from .. import content
from ..formatting import fmt_conf
from ..office import PALETTE, text
from .geometry import BODY_W, MX, POINT_LEN, ROW_H, TOP, H, W


def rgb(name: str) -> RGBColor:
    return RGBColor.from_string(PALETTE.get(name, name))


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
        fill_shape(bar, "NAVY")
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


def fill_shape(shape, colour: str) -> None:
    shape.fill.solid()
    shape.fill.fore_color.rgb = rgb(colour)
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
    add_run(p, value, size, colour, bold=bold, italic=italic, max_len=max_len)
    return tb


def add_run(paragraph, value: object, size: float, colour: str, *, bold: bool = False, italic: bool = False,
         max_len: int | None = None):
    """A run of `value` (python-pptx sets and escapes the text) in the given size, weight and colour.

    The run's properties are written as the one element DrawingML defines for them (`a:rPr` with its
    `a:solidFill`), which is what python-pptx's font setters write one attribute lookup at a time; a
    deck has hundreds of runs, and those lookups were most of its render time."""
    r = paragraph.add_run()
    r.text = text(value, max_len)
    rpr = r._r.get_or_add_rPr()
    rpr.set("sz", str(round(size * 100)))  # hundredths of a point
    rpr.set("b", "1" if bold else "0")
    rpr.set("i", "1" if italic else "0")
    _solid_fill(rpr, colour)
    return r


def _solid_fill(parent, colour: str) -> None:
    """`parent`'s fill as one colour (a new, empty `a:rPr` or `a:tcPr`, where the fill comes first)."""
    fill = etree.SubElement(parent, qn("a:solidFill"))
    etree.SubElement(fill, qn("a:srgbClr")).set("val", PALETTE.get(colour, colour))


def points_box(slide, x, y, w, h, title: str, points: list[FrameworkPoint], colour: str = "NAVY", *,
               size: float = 11, limit: int = 4, empty: str = "No points.", numbered: bool = False) -> None:
    """A titled list of framework points, each with its evidence ids and confidence in small type."""
    tb = slide.shapes.add_textbox(x, y, w, h)
    tf = tb.text_frame
    tf.word_wrap = True
    add_run(tf.paragraphs[0], title, size + 2, colour, bold=True)
    shown = points[:limit]
    for i, pt in enumerate(shown, 1):
        p = tf.add_paragraph()
        p.space_before = Pt(5)
        add_run(p, f"{i}. " if numbered else "• ", size, colour, bold=True)
        add_run(p, pt.text, size, "INK", max_len=POINT_LEN)
        c = tf.add_paragraph()
        ids = " ".join(f"[{e}]" for e in pt.evidence) or "no evidence cited"
        add_run(c, f"{ids} · confidence {fmt_conf(pt.confidence)}", size - 3, "MUTED", max_len=160)
    if not shown:
        add_run(tf.add_paragraph(), empty, size, "MUTED", italic=True)
    if len(points) > limit:
        add_run(tf.add_paragraph(), f"+ {len(points) - limit} more in the PDF and the workbook", size - 2, "MUTED",
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
    side, top = str(Inches(0.06)), str(Inches(0.03))
    for r, (row, values) in enumerate(zip(tbl.rows, [header, *rows], strict=True)):
        row._tr.set("h", str(row_h))  # the frame was made n_rows * row_h high: row.height would re-add them
        for c, (cell, value) in enumerate(zip(row.cells, values, strict=False)):  # a short row: empty cells
            # margins, fill, wrapping and alignment as cell.margin_*, cell.fill, text_frame.word_wrap
            # and paragraph.alignment write them, set on the elements directly (see add_run)
            tcpr = cell._tc.get_or_add_tcPr()
            for name, margin in (("marL", side), ("marR", side), ("marT", top), ("marB", top)):
                tcpr.set(name, margin)
            _solid_fill(tcpr, "NAVY" if r == 0 else ("PANEL" if r % 2 == 0 else "WHITE"))
            cell._tc.txBody.bodyPr.set("wrap", "square")
            p = cell.text_frame.paragraphs[0]
            numeric = numeric_from is not None and c >= numeric_from and (text_from is None or c < text_from)
            p._p.get_or_add_pPr().set("algn", "r" if numeric else "l")
            add_run(p, value, size, "WHITE" if r == 0 else "INK", bold=r == 0, max_len=POINT_LEN)
    return tbl


def note(slide, value: str, y=None) -> None:
    box(slide, MX, y if y is not None else H - Inches(0.85), BODY_W, Inches(0.4), value, 10, "MUTED", italic=True)


def not_available(slide, what: str, why: str, y=TOP) -> None:
    panel = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, MX, y, BODY_W, Inches(0.9))
    fill_shape(panel, "PANEL")
    box(slide, MX + Inches(0.2), y + Inches(0.12), BODY_W - Inches(0.4), Inches(0.7),
        f"{what}: not available. {why}", 14, "SLATE", anchor=MSO_ANCHOR.MIDDLE)


def chunks(rows: list, n: int) -> list[list]:
    return [rows[i:i + n] for i in range(0, len(rows), n)] or [[]]
