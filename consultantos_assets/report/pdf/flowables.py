"""The PDF's building blocks: escaped paragraphs, cited points, data tables, callouts, chart blocks and
section headings, each in the report's theme."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    Table,
    TableStyle,
)

from consultantos_assets.models import FrameworkPoint

from ..content import SECTIONS, TableData
from ..formatting import fmt_conf
from ..markup import esc
from ..theme import FRAME_W, Palette, Styles

MAX_CELL_CHARS = 1200  # table cells cannot grow past a page; longer texts are shortened there


MAX_TITLE_CHARS = 160


def para(text: object, style=Styles.body, max_len: int | None = None) -> Paragraph:
    """A paragraph of data text (always escaped)."""
    return Paragraph(esc(text, max_len), style)


def markup(fragment: str, style=Styles.body) -> Paragraph:
    """A paragraph of our own markup; every data part of ``fragment`` must already be escaped."""
    return Paragraph(fragment, style)


def cite_markup(point: FrameworkPoint) -> str:
    ids = " ".join(f"[{esc(e)}]" for e in point.evidence) if point.evidence else "no evidence cited"
    return f"{ids} &nbsp;·&nbsp; confidence {fmt_conf(point.confidence)}"


def point_flowables(point: FrameworkPoint, bullet: str = "\u2022", max_len: int | None = None) -> list[Flowable]:
    return [
        Paragraph(esc(point.text, max_len), Styles.point, bulletText=bullet),
        Paragraph(cite_markup(point), Styles.cite),
    ]


def points_list(points: list[FrameworkPoint], numbered: bool = False, empty: str = "No points.") -> list[Flowable]:
    if not points:
        return [para(empty, Styles.small)]
    out: list[Flowable] = []
    for i, p in enumerate(points, 1):
        out += point_flowables(p, bullet=f"{i}." if numbered else "\u2022")
    return out


def table_head_style(bottom_padding: float) -> list[tuple]:
    """The table style every data table starts from: a navy head row, cells aligned top and padded."""
    return [
        ("BACKGROUND", (0, 0), (-1, 0), Palette.NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), bottom_padding),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]


def data_table(
    header: list[str],
    rows: list[list[str]],
    widths: list[float],
    numeric_from: int | None = None,
    small: bool = False,
    first_bold: bool = True,
    numeric_cols: set[int] | None = None,
) -> Table:
    """A zebra table of data strings (escaped here)."""
    cell = Styles.cell_small if small else Styles.cell
    numeric = set(numeric_cols or ())
    if numeric_from is not None:
        numeric |= set(range(numeric_from, len(header)))
    head = [
        markup(esc(h), Styles.cell_head_num if i in numeric else Styles.cell_head)
        for i, h in enumerate(header)
    ]
    body = []
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            style = Styles.cell_num if i in numeric else cell
            text = esc(v, MAX_CELL_CHARS)
            if i == 0 and first_bold:
                text = f"<b>{text}</b>"
            cells.append(markup(text, style))
        body.append(cells)
    t = Table([head, *body], colWidths=widths, repeatRows=1, splitInRow=1, hAlign="LEFT")
    cmds = [*table_head_style(bottom_padding=4), ("LINEBELOW", (0, 1), (-1, -1), 0.4, Palette.RULE)]
    for r in range(1, len(body) + 1):
        if r % 2 == 0:
            cmds.append(("BACKGROUND", (0, r), (-1, r), Palette.PANEL))
    t.setStyle(TableStyle(cmds))
    return t


def table_from(data: TableData, first_width: float, small: bool = False) -> Table:
    n = len(data.header) - 1
    rest = (FRAME_W - first_width) / max(1, n)
    return data_table(data.header, data.rows, [first_width] + [rest] * n, data.numeric_from, small)


def callout(text: str, colour=Palette.RED) -> Table:
    t = Table([[para(text, Styles.callout)]], colWidths=[FRAME_W], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), Palette.PANEL),
                ("LINEBEFORE", (0, 0), (0, -1), 3, colour),
                ("TOPPADDING", (0, 0), (-1, -1), 9),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 9),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
            ]
        )
    )
    t.spaceAfter = 10
    return t


def caption(text: str) -> Paragraph:
    return para(text, Styles.caption)


def chart_block(drawing, title: str, note: str, extra: list[Flowable] | None = None) -> list[Flowable]:
    """Title, chart and caption kept on one page (``extra`` flowables kept with them)."""
    if drawing is None:
        return [markup(f"<b>{esc(title)}</b>", Styles.h3), para(f"No data to chart: {note}", Styles.small),
                *(extra or [])]
    return [KeepTogether([markup(esc(title), Styles.h3), drawing, caption(note), *(extra or [])])]


def hexcolor(colour) -> str:
    return "#" + colour.hexval()[2:]


def section_bookmark(key: str) -> str:
    """The PDF destination of section `key`: where its outline entry and its contents row go."""
    return f"sec-{key}"


class SectionHeading(Paragraph):
    """A section title that also marks the section's page for the PDF outline and the contents page."""

    def __init__(self, number: int, title: str, key: str):
        text = f'<font color="{hexcolor(Palette.TEAL)}">{number:02d}</font>&nbsp;&nbsp;{esc(title)}'
        super().__init__(text, Styles.h1)
        self.toc_title = title
        self.toc_key = key


class Contents(Flowable):
    """The contents page's list of sections: each row (title, dot leader, page number) is one link to
    its section. The titles are known before layout, so the list's height is too, and the canvas
    writes each page number once the page is known: one layout pass, not reportlab's two."""

    def __init__(self, entries: list[tuple[str, str]], style=Styles.toc0):
        super().__init__()
        self.entries, self.style = entries, style  # (outline key, title)

    def wrap(self, aw, ah):
        self.width, self.height = aw, self.style.leading * len(self.entries)
        return self.width, self.height

    def draw(self):
        c, st = self.canv, self.style
        dot_w = stringWidth(" .", st.fontName, st.fontSize)
        last_dot = self.width - stringWidth("000", st.fontName, st.fontSize) - 2  # numbers right-aligned, up to 3 digits
        c.saveState()
        c.setFont(st.fontName, st.fontSize)
        c.setFillColor(st.textColor)
        for i, (key, title) in enumerate(self.entries):
            top = self.height - i * st.leading
            base = top - st.leading + (st.leading - st.fontSize) / 2 + 2
            dots = int((last_dot - stringWidth(title, st.fontName, st.fontSize)) // dot_w) - 1
            c.drawString(0, base, title + " ." * max(0, dots))
            c.contents_page_number(key, self.width, base)
            c.linkRect("", key, (0, top - st.leading, self.width, top), relative=1)
        c.restoreState()


class Rule(Flowable):
    def __init__(self, width: float = 40, thickness: float = 3, colour=Palette.TEAL, space: float = 8):
        super().__init__()
        self.width, self.thickness, self.colour, self.space = width, thickness, colour, space

    def wrap(self, aw, ah):
        return self.width, self.thickness + self.space

    def draw(self):
        self.canv.setFillColor(self.colour)
        self.canv.rect(0, self.space, self.width, self.thickness, stroke=0, fill=1)


def section_start(number: int, key: str, headline: str | None) -> list[Flowable]:
    out: list[Flowable] = [SectionHeading(number, SECTIONS[key], key), Rule()]
    if headline:
        out.append(para(headline, Styles.headline, max_len=600))
    return out
