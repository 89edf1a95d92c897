"""The report's look: one palette, one type scale, page geometry. Defined once, used everywhere."""

from __future__ import annotations

from types import SimpleNamespace

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm

from .markup import BASE_FONT, BASE_FONT_BOLD, BASE_FONT_ITALIC

# The report's colours by name, declared once: the PDF draws them as reportlab colours (`Palette`), the
# deck and the workbook write the same hex codes (report/office.py).
COLOURS: dict[str, str] = {
    "NAVY": "#0B2545",
    "NAVY_2": "#13315C",
    "TEAL": "#0F9D8F",
    "TEAL_LIGHT": "#8FD3CB",
    "TEAL_PALE": "#E6F5F3",
    "SKY": "#4F8FC0",
    "AMBER": "#D99A3D",
    "RED": "#B8463F",
    "SLATE": "#5B6B7C",
    "INK": "#1E2A36",
    "MUTED": "#8593A3",
    "RULE": "#D6DDE4",
    "PANEL": "#F3F6F9",
    "WHITE": "#FFFFFF",
    "VIOLET": "#7C6FB0",
}
SERIES_COLOURS = ("NAVY", "TEAL", "SKY", "AMBER", "VIOLET", "SLATE")  # chart series, in order of use

# Palette.NAVY etc.: each colour of COLOURS as reportlab draws it; Palette.SERIES the chart series
Palette = SimpleNamespace(**{name: colors.HexColor(code) for name, code in COLOURS.items()})
Palette.SERIES = tuple(getattr(Palette, name) for name in SERIES_COLOURS)


PAGE_SIZE = A4
PAGE_W, PAGE_H = PAGE_SIZE
MARGIN_L = MARGIN_R = 2.0 * cm
MARGIN_T = 2.4 * cm
MARGIN_B = 2.1 * cm
FRAME_W = PAGE_W - MARGIN_L - MARGIN_R
FRAME_H = PAGE_H - MARGIN_T - MARGIN_B


def _style(name: str, **kw) -> ParagraphStyle:
    base = dict(
        fontName=BASE_FONT,
        fontSize=9.5,
        leading=13.5,
        textColor=Palette.INK,
        splitLongWords=1,
        alignment=TA_LEFT,
    )
    base.update(kw)
    return ParagraphStyle(name, **base)


class Styles:
    body = _style("body", spaceAfter=6)
    lead = _style("lead", fontSize=11, leading=16, textColor=Palette.NAVY, spaceAfter=10)
    h1 = _style("h1", fontName=BASE_FONT_BOLD, fontSize=20, leading=24, textColor=Palette.NAVY, spaceAfter=2)
    kicker = _style("kicker", fontName=BASE_FONT_BOLD, fontSize=8, leading=10, textColor=Palette.TEAL)
    headline = _style(
        "headline", fontName=BASE_FONT_ITALIC, fontSize=10.5, leading=14.5, textColor=Palette.SLATE, spaceAfter=12
    )
    h2 = _style(
        "h2", fontName=BASE_FONT_BOLD, fontSize=12, leading=15, textColor=Palette.NAVY, spaceBefore=10, spaceAfter=5
    )
    h3 = _style("h3", fontName=BASE_FONT_BOLD, fontSize=10, leading=13, textColor=Palette.NAVY, spaceAfter=3)
    point = _style("point", fontSize=9, leading=12.5, leftIndent=10, bulletIndent=0, spaceAfter=1)
    cite = _style("cite", fontSize=6.8, leading=8.8, textColor=Palette.MUTED, leftIndent=10, spaceAfter=5)
    small = _style("small", fontSize=7.5, leading=10, textColor=Palette.SLATE)
    caption = _style("caption", fontSize=7.5, leading=10, textColor=Palette.MUTED, spaceBefore=2, spaceAfter=10)
    cell = _style("cell", fontSize=8, leading=10.5)
    cell_small = _style("cell_small", fontSize=7, leading=9)
    cell_num = _style("cell_num", fontSize=8, leading=10.5, alignment=TA_RIGHT)
    cell_head = _style("cell_head", fontName=BASE_FONT_BOLD, fontSize=8, leading=10.5, textColor=Palette.WHITE)
    cell_head_num = _style(
        "cell_head_num", fontName=BASE_FONT_BOLD, fontSize=8, leading=10.5, textColor=Palette.WHITE, alignment=TA_RIGHT
    )
    kpi_label = _style("kpi_label", fontName=BASE_FONT_BOLD, fontSize=7, leading=9, textColor=Palette.SLATE)
    kpi_value = _style("kpi_value", fontName=BASE_FONT_BOLD, fontSize=17, leading=21, textColor=Palette.NAVY)
    kpi_note = _style("kpi_note", fontSize=7, leading=9, textColor=Palette.MUTED)
    callout = _style("callout", fontName=BASE_FONT_BOLD, fontSize=10, leading=14, textColor=Palette.RED)
    toc0 = _style("toc0", fontSize=11, leading=22, textColor=Palette.NAVY)
    cover_kicker = _style("cover_kicker", fontName=BASE_FONT_BOLD, fontSize=9, leading=12, textColor=Palette.TEAL_LIGHT)
    cover_title = _style("cover_title", fontName=BASE_FONT_BOLD, fontSize=30, leading=35, textColor=Palette.WHITE)
    cover_title_long = _style(
        "cover_title_long", fontName=BASE_FONT_BOLD, fontSize=21, leading=25, textColor=Palette.WHITE
    )
    cover_sub = _style("cover_sub", fontSize=12, leading=17, textColor=Palette.WHITE)
    cover_meta = _style("cover_meta", fontSize=9, leading=13, textColor=Palette.INK)
