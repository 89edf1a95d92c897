"""The PDF's page furniture: the document template that feeds the table of contents, the canvas that
draws running headers, footers and page numbers, and the cover page."""

from __future__ import annotations

from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
)

from consultantos_assets.models import ReportInput

from ...analysis.llm_fallbacks import fallback_line
from .. import charts, content
from ..formatting import fmt_conf
from ..markup import BASE_FONT, BASE_FONT_BOLD, esc, pick_font, plain
from ..theme import FRAME_W, MARGIN_B, MARGIN_L, MARGIN_R, MARGIN_T, PAGE_H, PAGE_W, Palette, Styles
from .flowables import MAX_TITLE_CHARS, SectionHeading, data_table, markup, para, section_bookmark


class ReportDoc(BaseDocTemplate):
    def afterFlowable(self, flowable):
        if isinstance(flowable, SectionHeading):
            key = section_bookmark(flowable.toc_key)
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.toc_title, key, level=0, closed=False)


def canvas_class(report: ReportInput, holder: dict):
    name = content.company_name(report)
    header_left = f"{name} ({report.ticker})"
    stamp = report.as_of.strftime("D:%Y%m%d000000+00'00'")

    class ReportCanvas(Canvas):
        """Defers pages so every footer can say 'page n of N' and the contents page can give each
        section's page; fixes the PDF dates.

        A bookmark (the outline's and the contents page's link targets) names the page being written
        when it is made, so the bookmarks of a deferred page are made when that page is written."""

        def __init__(self, *args, **kwargs):
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            self.setDateFormatter(lambda *_args: stamp)
            self._pages: list[dict] = []
            self._page_bookmarks: list[tuple[str, dict]] = []
            self._page_numbers: list[tuple[str, float, float, tuple]] = []

        def bookmarkPage(self, key, **kwargs):
            self._page_bookmarks.append((key, kwargs))

        def contents_page_number(self, key: str, x: float, y: float) -> None:
            """Mark where the page of bookmark ``key`` goes: right-aligned at (x, y), in the current font
            and colour. The number is written at this point of the page's drawing (so it reads after
            its title) once every page is known."""
            self._page_numbers.append((len(self._code), key, x, y, (self._fontname, self._fontsize,
                                                                    self._fillColorObj)))

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._page_bookmarks = []
            self._page_numbers = []
            self._startPage()

        def save(self):
            total = len(self._pages)
            holder["pages"] = total
            page_of = {key: state["_pageNumber"] for state in self._pages for key, _ in state["_page_bookmarks"]}
            for state in self._pages:
                self.__dict__.update(state)
                for key, kwargs in self._page_bookmarks:
                    super().bookmarkPage(key, **kwargs)
                for at, key, x, y, style in reversed(self._page_numbers):  # later marks first: `at` holds
                    self._code[at:at] = self._drawn(style, self.drawRightString, x, y, str(page_of[key]))
                if self._pageNumber > 1:
                    self._decorate(total)
                super().showPage()
            super().save()

        def _drawn(self, style: tuple, draw, *args) -> list[str]:
            """The page operators that ``draw(*args)`` writes in font and colour ``style``, kept apart."""
            code, self._code = self._code, []
            font, size, colour = style
            self.saveState()
            self.setFont(font, size)
            self.setFillColor(colour)
            draw(*args)
            self.restoreState()
            drawn, self._code = self._code, code
            return drawn

        def _decorate(self, total: int) -> None:
            self.saveState()
            top = PAGE_H - MARGIN_T + 0.9 * cm
            right = f"Strategy report  |  as of {report.as_of.isoformat()}"
            room = FRAME_W - stringWidth(right, BASE_FONT, 7.5) - 24
            font = pick_font(header_left, bold=True)
            left = plain(header_left, font)
            if stringWidth(left, font, 7.5) > room:
                while left and stringWidth(left + "...", font, 7.5) > room:
                    left = left[:-1]
                left = left.rstrip() + "..."
            self.setFont(font, 7.5)
            self.setFillColor(Palette.NAVY)
            self.drawString(MARGIN_L, top, left)
            self.setFont(BASE_FONT, 7.5)
            self.setFillColor(Palette.MUTED)
            self.drawRightString(PAGE_W - MARGIN_R, top, right)
            self.setStrokeColor(Palette.TEAL)
            self.setLineWidth(0.8)
            self.line(MARGIN_L, top - 6, PAGE_W - MARGIN_R, top - 6)
            bottom = MARGIN_B - 1.0 * cm
            self.setStrokeColor(Palette.RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_L, bottom + 10, PAGE_W - MARGIN_R, bottom + 10)
            self.setFillColor(Palette.MUTED)
            self.drawString(MARGIN_L, bottom, "ConsultantOS  |  Prepared from public data; see Sources")
            self.setFillColor(Palette.NAVY)
            self.setFont(BASE_FONT_BOLD, 7.5)
            self.drawRightString(PAGE_W - MARGIN_R, bottom, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return ReportCanvas


class Cover(Flowable):
    """The whole cover page, drawn at absolute page positions."""

    def __init__(self, report: ReportInput):
        super().__init__()
        self.report = report

    def wrap(self, aw, ah):
        return aw, ah - 1

    def draw(self):
        r = self.report
        c = self.canv
        ax, ay = c.absolutePosition(0, 0)
        c.saveState()
        c.translate(-ax, -ay)
        band_bottom = PAGE_H * 0.44
        c.setFillColor(Palette.NAVY)
        c.rect(0, band_bottom, PAGE_W, PAGE_H - band_bottom, stroke=0, fill=1)
        c.setFillColor(Palette.NAVY_2)
        c.setFont(BASE_FONT_BOLD, 110)
        c.drawRightString(PAGE_W - MARGIN_R + 10, band_bottom + 0.6 * cm, plain(r.ticker, BASE_FONT, 10))
        c.setFillColor(Palette.TEAL)
        c.rect(0, band_bottom - 5, PAGE_W, 5, stroke=0, fill=1)
        x, w = MARGIN_L, FRAME_W

        def put(flow, top):
            _, h = flow.wrapOn(c, w, PAGE_H)
            flow.drawOn(c, x, top - h)
            return top - h

        y = put(markup("CONSULTANTOS &nbsp;|&nbsp; STRATEGY REPORT", Styles.cover_kicker), PAGE_H - 2.6 * cm)
        name = content.company_name(r)
        title_style = Styles.cover_title if len(name) <= 48 else Styles.cover_title_long
        y = put(para(name, title_style, MAX_TITLE_CHARS), PAGE_H - 7.0 * cm)
        prof = r.research.profile
        sub = " | ".join(
            s for s in (r.ticker, prof.sector or "", prof.industry or "", prof.headquarters or "") if s
        )
        y = put(para(sub, Styles.cover_sub, 200), y - 10)
        blurb = para(
            "Company research, market trends, financial performance and four strategy frameworks, "
            "synthesised into findings and recommendations.",
            Styles.cover_sub,
        )
        _, bh = blurb.wrapOn(c, w, PAGE_H)
        if y - 24 - bh > band_bottom + 0.8 * cm:
            put(blurb, y - 24)

        # facts row below the band
        top = band_bottom - 1.5 * cm
        cols = [
            ("DATA AS OF", r.as_of.strftime("%d %B %Y")),
            ("MODE", content.mode_summary(r)),
            ("OVERALL CONFIDENCE", f"{fmt_conf(r.synthesis.confidence)} / 1.00"),
        ]
        cw = w / 3
        for i, (label, value) in enumerate(cols):
            lab = markup(esc(label), Styles.kpi_label)
            lab.wrapOn(c, cw - 12, 40)
            lab.drawOn(c, x + i * cw, top - 10)
            val = para(value, Styles.h3)
            _, hv = val.wrapOn(c, cw - 12, 60)
            val.drawOn(c, x + i * cw, top - 16 - hv)
        meter = charts.confidence_meter(r.synthesis.confidence, cw - 24, 10)
        meter.drawOn(c, x + 2 * cw, top - 48)

        # data as-of table
        rows = [[s.name, s.provider, s.mode, s.as_of] for s in content.source_statuses(r)]
        t = data_table(
            ["Source", "Provider", "Mode", "Data as of"], rows, [w * 0.34, w * 0.30, w * 0.14, w * 0.22]
        )
        _, table_h = t.wrapOn(c, w, PAGE_H)
        ttop = top - 3.0 * cm
        lab = markup("DATA SOURCES", Styles.kpi_label)
        lab.wrapOn(c, w, 20)
        lab.drawOn(c, x, ttop + 4)
        t.drawOn(c, x, ttop - table_h)

        note = para(
            "Every statement cites the evidence it rests on, e.g. [fin:revenue:FY2024]; the Sources "
            "appendix lists each cited item with its origin and date.",
            Styles.small,
        )
        _, nh = note.wrapOn(c, w, 100)
        note.drawOn(c, x, 1.6 * cm)
        fell_back = fallback_line([r.porter, r.swot, r.pestel, r.blue_ocean, r.synthesis])
        if fell_back:  # sections the rule-based analyst wrote in place of the model, said where a reader starts
            warn = markup("<b>Analyst fallback.</b> " + esc(fell_back), Styles.small)
            _, wh = warn.wrapOn(c, w, 200)
            warn.drawOn(c, x, 1.6 * cm + nh + 6)
        c.restoreState()
