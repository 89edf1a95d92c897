"""The consulting-style PDF: page templates, sections and the deterministic build."""

from __future__ import annotations

import hashlib
import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from consultantos_assets.models import FORCE_LABELS, PESTEL_FACTORS, FrameworkPoint, ReportInput

from ..analysis.llm_fallbacks import fallback_line
from ..atomic import atomic_write_bytes
from . import charts, content
from .content import SECTIONS, TableData
from .formatting import fmt_conf, fmt_date, fmt_num
from .markup import BASE_FONT, BASE_FONT_BOLD, esc, pick_font, plain
from .theme import FRAME_H, FRAME_W, MARGIN_B, MARGIN_L, MARGIN_R, MARGIN_T, PAGE_H, PAGE_SIZE, PAGE_W, P, Styles

log = logging.getLogger(__name__)

MAX_CELL_CHARS = 1200  # table cells cannot grow past a page; longer texts are shortened there
MAX_TITLE_CHARS = 160


@dataclass(frozen=True)
class RenderResult:
    path: Path
    pages: int
    bytes: int
    sha256: str


# ------------------------------------------------------------------------------------ primitives


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
    cmds = [
        ("BACKGROUND", (0, 0), (-1, 0), P.NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, P.RULE),
    ]
    for r in range(1, len(body) + 1):
        if r % 2 == 0:
            cmds.append(("BACKGROUND", (0, r), (-1, r), P.PANEL))
    t.setStyle(TableStyle(cmds))
    return t


def table_from(data: TableData, first_width: float, small: bool = False) -> Table:
    n = len(data.header) - 1
    rest = (FRAME_W - first_width) / max(1, n)
    return data_table(data.header, data.rows, [first_width] + [rest] * n, data.numeric_from, small)


def callout(text: str, colour=P.RED) -> Table:
    t = Table([[para(text, Styles.callout)]], colWidths=[FRAME_W], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), P.PANEL),
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


class SectionHeading(Paragraph):
    """A section title that also feeds the table of contents and the PDF outline."""

    def __init__(self, number: int, title: str, key: str):
        text = f'<font color="{hexcolor(P.TEAL)}">{number:02d}</font>&nbsp;&nbsp;{esc(title)}'
        super().__init__(text, Styles.h1)
        self.toc_title = title
        self.toc_key = key


class Rule(Flowable):
    def __init__(self, width: float = 40, thickness: float = 3, colour=P.TEAL, space: float = 8):
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


# -------------------------------------------------------------------------------------- document


class _Doc(BaseDocTemplate):
    def afterFlowable(self, flowable):
        if isinstance(flowable, SectionHeading):
            key = f"sec-{flowable.toc_key}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.toc_title, key, level=0, closed=False)
            self.notify("TOCEntry", (0, esc(flowable.toc_title), self.page, key))


def _canvas_class(report: ReportInput, holder: dict):
    name = content.company_name(report)
    header_left = f"{name} ({report.ticker})"
    stamp = report.as_of.strftime("D:%Y%m%d000000+00'00'")

    class ReportCanvas(Canvas):
        """Defers pages so every footer can say 'page n of N'; fixes the PDF dates."""

        def __init__(self, *args, **kwargs):
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            self.setDateFormatter(lambda *_a: stamp)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            holder["pages"] = total
            for state in self._pages:
                self.__dict__.update(state)
                if self._pageNumber > 1:
                    self._decorate(total)
                super().showPage()
            super().save()

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
            self.setFillColor(P.NAVY)
            self.drawString(MARGIN_L, top, left)
            self.setFont(BASE_FONT, 7.5)
            self.setFillColor(P.MUTED)
            self.drawRightString(PAGE_W - MARGIN_R, top, right)
            self.setStrokeColor(P.TEAL)
            self.setLineWidth(0.8)
            self.line(MARGIN_L, top - 6, PAGE_W - MARGIN_R, top - 6)
            bottom = MARGIN_B - 1.0 * cm
            self.setStrokeColor(P.RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_L, bottom + 10, PAGE_W - MARGIN_R, bottom + 10)
            self.setFillColor(P.MUTED)
            self.drawString(MARGIN_L, bottom, "ConsultantOS  |  Prepared from public data; see Sources")
            self.setFillColor(P.NAVY)
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
        c.setFillColor(P.NAVY)
        c.rect(0, band_bottom, PAGE_W, PAGE_H - band_bottom, stroke=0, fill=1)
        c.setFillColor(P.NAVY_2)
        c.setFont(BASE_FONT_BOLD, 110)
        c.drawRightString(PAGE_W - MARGIN_R + 10, band_bottom + 0.6 * cm, plain(r.ticker, BASE_FONT, 10))
        c.setFillColor(P.TEAL)
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


# -------------------------------------------------------------------------------------- sections


def _summary(r: ReportInput) -> list[Flowable]:
    syn = r.synthesis
    out: list[Flowable] = []
    paras = [p.strip() for p in syn.executive_summary.replace("\r", "").split("\n\n") if p.strip()]
    for i, p in enumerate(paras or ["No executive summary was produced."]):
        out.append(para(p, Styles.lead if i == 0 else Styles.body))
    out.append(
        markup(
            f"Overall confidence <b>{fmt_conf(syn.confidence)}</b> &nbsp;·&nbsp; "
            f"analyst {esc(syn.analyst)}",
            Styles.small,
        )
    )
    out.append(Spacer(1, 6))
    out.append(markup("Key findings", Styles.h2))
    out += points_list(syn.key_findings, empty="No key findings.")
    out.append(markup("Recommendations", Styles.h2))
    out += points_list(syn.recommendations, numbered=True, empty="No recommendations.")
    glance = content.kpis(r)[:4]
    if glance:
        out.append(Spacer(1, 8))
        out.append(KeepTogether([markup("At a glance", Styles.h2), _kpi_grid(glance)]))
    if not r.financials.has_statements:
        out.append(callout(content.missing_financials_message(r) + "."))
    return out


def _kpi_grid(kpis: list[content.Kpi]) -> Table:
    per_row = 4
    cw = FRAME_W / per_row
    cells = []
    for k in kpis:
        cells.append(
            [
                markup(esc(k.label.upper()), Styles.kpi_label),
                para(k.value, Styles.kpi_value),
                para(k.note, Styles.kpi_note, 80),
            ]
        )
    while len(cells) % per_row:
        cells.append("")
    rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
    t = Table(rows, colWidths=[cw] * per_row, hAlign="LEFT")
    cmds = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
        ("LEFTPADDING", (0, 0), (-1, -1), 9),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]
    for i in range(len(kpis)):
        rr, cc = divmod(i, per_row)
        cmds.append(("LINEBEFORE", (cc, rr), (cc, rr), 2.2, P.TEAL))
        cmds.append(("BACKGROUND", (cc, rr), (cc, rr), P.PANEL))
    for rr in range(len(rows)):
        cmds.append(("LINEBELOW", (0, rr), (-1, rr), 6, P.WHITE))
    t.setStyle(TableStyle(cmds))
    return t


def _dashboard(r: ReportInput) -> list[Flowable]:
    out: list[Flowable] = []
    if not r.financials.has_statements:
        out.append(callout(content.missing_financials_message(r) + "."))
    out.append(_kpi_grid(content.kpis(r)))
    out.append(Spacer(1, 10))
    out += chart_block(
        charts.confidence_chart(r, FRAME_W, 20 + 18 * max(1, len(r.synthesis.confidence_breakdown))),
        "Data coverage per evidence family",
        "How much of each evidence family the sources hold, discounted for age (0-100%): one factor of each "
        "framework's confidence, which rests first on the strength of the evidence each point cites.",
    )
    frameworks = [
        ["Porter's five forces", f"overall intensity {fmt_num(r.porter.overall_intensity)} / 5",
         fmt_conf(r.porter.confidence)],
        ["SWOT", f"{len(r.swot.strengths)} S, {len(r.swot.weaknesses)} W, {len(r.swot.opportunities)} O, "
         f"{len(r.swot.threats)} T", fmt_conf(r.swot.confidence)],
        ["PESTEL", f"{sum(len(getattr(r.pestel, f)) for f in PESTEL_FACTORS)} points across 6 factors",
         fmt_conf(r.pestel.confidence)],
        ["Blue Ocean", f"{len(r.blue_ocean.canvas)} canvas factors", fmt_conf(r.blue_ocean.confidence)],
    ]
    out.append(markup("Framework overview", Styles.h3))
    out.append(data_table(["Framework", "Result", "Confidence"], frameworks,
                          [FRAME_W * 0.3, FRAME_W * 0.5, FRAME_W * 0.2], numeric_from=2))
    return out


def _financials(r: ReportInput) -> list[Flowable]:
    fin = r.financials
    out: list[Flowable] = []
    if not fin.has_statements:
        out.append(callout(content.missing_financials_message(r) + "."))
        if fin.gaps:
            out.append(markup("What could not be found", Styles.h3))
            out += [Paragraph(esc(g, 600), Styles.point, bulletText="\u2022") for g in fin.gaps]
    else:
        out.append(markup("Multi-year financial statements", Styles.h2))
        out.append(table_from(content.financial_table(r), FRAME_W * 0.28))
        out.append(caption(
            f"Source: SEC XBRL company facts ({fin.provenance.provider}). Values as reported, the newest filing "
            f"for each period; {content.share_basis_note(r)} Evidence ids take the form [fin:<metric>:FY<year>]."
        ))
        out.append(table_from(content.ratio_table(r), FRAME_W * 0.28))
        lq = content.latest_quarter_table(r)
        if lq is not None:
            out.append(Spacer(1, 8))
            out.append(KeepTogether([markup("Latest quarter and trailing twelve months", Styles.h3),
                                     table_from(lq, FRAME_W * 0.28),
                                     caption("Quarter: three months from the 10-Q, against the same quarter a "
                                             "year earlier. TTM: latest fiscal year + year to date - the same "
                                             "span a year earlier.")]))
        cf = content.cash_flow_table(r)
        if cf is not None:
            out.append(KeepTogether([markup("Cash flow and capital", Styles.h2), table_from(cf, FRAME_W * 0.28),
                                     caption("Free cash flow = operating cash flow - capital expenditure; EBITDA = "
                                             "operating income + depreciation and amortisation; net cash = cash "
                                             "and marketable securities - total debt. Each value keeps its SEC "
                                             "concept and accession (evidence ids fin:<metric>:FY<year>).")]))
        mt = content.multiples_table(r)
        out.append(KeepTogether([markup("Valuation multiples", Styles.h3),
                                 data_table(mt.header, mt.rows, [FRAME_W * 0.3, FRAME_W * 0.12, FRAME_W * 0.58],
                                            numeric_cols={1}),
                                 caption("Computed from the last close and the SEC figures filed by then; "
                                         "EV = market cap + total debt - cash and marketable securities.")]))
        out += _comparables(r)
        out.append(Spacer(1, 8))
        out += chart_block(
            charts.revenue_income_chart(r, FRAME_W),
            "Revenue and net income",
            "Fiscal years as reported in 10-K filings; bars labelled in the axis unit.",
        )
        out += chart_block(
            charts.margin_chart(r, FRAME_W),
            "Margin trends",
            "Gross, operating and net income as a share of revenue.",
        )
    if fin.prices is not None:
        out.append(CondPageBreak(FRAME_H * 0.55))
        out.append(markup("Share price", Styles.h2))
        pt = content.price_table(r)
        if pt is not None:
            out.append(data_table(pt.header, pt.rows, [FRAME_W * 0.32, FRAME_W * 0.68]))
        out.append(Spacer(1, 6))
        prov = fin.price_provenance.provider if fin.price_provenance else "price provider"
        price, dd = charts.price_chart(r, FRAME_W), charts.drawdown_chart(r, FRAME_W, 100)
        if price is None:
            out.append(para("Not enough price history to chart.", Styles.small))
        else:
            block: list[Flowable] = [markup("Weekly closing price and drawdown", Styles.h3), price]
            if dd is not None:
                block += [Spacer(1, 4), dd]
            block.append(caption(f"Weekly closes (source: {prov}); lower panel: decline of the close from its "
                                 "running peak over the same window."))
            out.append(KeepTogether(block))
    else:
        out.append(para(f"No share-price history is available for {r.ticker}.", Styles.small))
    return out


def _trends(r: ReportInput) -> list[Flowable]:
    t = r.trends
    out: list[Flowable] = []
    out += chart_block(
        charts.trends_chart(r, FRAME_W),
        "Search interest over time",
        f"Weekly Google Trends interest, each series scaled 0-100 within itself; source: {t.provenance.provider}.",
    )
    if t.series:
        out.append(markup("Momentum by keyword", Styles.h3))
        data = content.trend_table(r)
        w0 = FRAME_W * 0.22
        rest = FRAME_W - w0
        widths = [w0] + [rest * f for f in (0.11, 0.14, 0.14, 0.16, 0.13, 0.32)]
        out.append(data_table(data.header, data.rows, widths, numeric_from=1))
        out.append(caption("Momentum = 12-week mean / 52-week mean - 1. YoY = last 12 weeks vs the same weeks a "
                           "year earlier. Evidence ids: [trend:<keyword>]."))
    if t.missing:
        out.append(para("No data for: " + ", ".join(t.missing), Styles.small, 1000))
    return out


def _porter(r: ReportInput) -> list[Flowable]:
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
                 f"<font color='{hexcolor(P.SLATE)}'>{force.rating:.1f} / 5</font>")
        block = [markup(title, Styles.h3), *points_list(force.points)]
        out.append(KeepTogether(block[:3]))
        out += block[3:]
        out.append(Spacer(1, 4))
    return out


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
                ("BACKGROUND", (0, 0), (0, -1), P.PANEL),
                ("BACKGROUND", (2, 0), (2, -1), P.PANEL),
                ("LINEBELOW", (0, 0), (0, 0), 6, P.WHITE),
                ("LINEBELOW", (2, 0), (2, 0), 6, P.WHITE),
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


def _swot(r: ReportInput) -> list[Flowable]:
    s = r.swot
    colours = {"strengths": P.TEAL, "weaknesses": P.AMBER, "opportunities": P.SKY, "threats": P.RED}
    out: list[Flowable] = [
        markup(f"Confidence {fmt_conf(s.confidence)} &nbsp;·&nbsp; analyst {esc(s.analyst)}", Styles.small),
        Spacer(1, 8),
    ]
    out += _grid([(label, colours[attr], list(getattr(s, attr))) for attr, label in content.SWOT_QUADRANTS],
                 min_height=FRAME_H * 0.36)
    out.append(caption("Internal factors (strengths, weaknesses) on top; external factors (opportunities, threats) "
                       "below."))
    return out


def _pestel(r: ReportInput) -> list[Flowable]:
    pe = r.pestel
    out: list[Flowable] = [
        markup(f"Confidence {fmt_conf(pe.confidence)} &nbsp;·&nbsp; analyst {esc(pe.analyst)}", Styles.small),
        Spacer(1, 8),
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
    cmds = [
        ("BACKGROUND", (0, 0), (-1, 0), P.NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
    ]
    for gi, start in enumerate(group_starts):
        if gi:
            cmds.append(("LINEABOVE", (0, start), (-1, start), 0.6, P.RULE))
        end = group_starts[gi + 1] - 1 if gi + 1 < len(group_starts) else len(rows) - 1
        cmds.append(("BACKGROUND", (0, start), (0, end), P.TEAL_PALE))
    t.setStyle(TableStyle(cmds))
    out.append(t)
    return out


def _blue_ocean(r: ReportInput) -> list[Flowable]:
    bo = r.blue_ocean
    out: list[Flowable] = [
        markup(f"Confidence {fmt_conf(bo.confidence)} &nbsp;·&nbsp; analyst {esc(bo.analyst)}", Styles.small),
        Spacer(1, 8),
        markup("Eliminate - Reduce - Raise - Create", Styles.h2),
    ]
    colours = {"eliminate": P.RED, "reduce": P.AMBER, "raise_": P.SKY, "create": P.TEAL}
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


def _risks(r: ReportInput) -> list[Flowable]:
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


def _changes(r: ReportInput) -> list[Flowable]:
    ch = content.changes(r)
    if ch is None:
        return []
    out: list[Flowable] = []
    if ch.empty:
        out.append(para(f"No material changes since the report of {fmt_date(ch.previous_as_of)}.", Styles.body))
        return out
    widths = [FRAME_W * 0.40, FRAME_W * 0.2, FRAME_W * 0.2, FRAME_W * 0.2]
    if ch.values:
        out.append(markup("Figures", Styles.h2))
        out.append(data_table(["Item", "Previous", "Current", "Change"], ch.values, widths, numeric_from=1))
    if ch.ratings:
        out.append(markup("Ratings and confidence", Styles.h2))
        out.append(data_table(["Item", "Previous", "Current", "Change"], ch.ratings, widths, numeric_from=1))
    for title, items in (("Points added", ch.added), ("Points removed", ch.removed)):
        if items:
            out.append(markup(title, Styles.h2))
            out.append(data_table(["Where", "Point"], [[a, b] for a, b in items],
                                  [FRAME_W * 0.28, FRAME_W * 0.72]))
    return out


def _sources(r: ReportInput) -> list[Flowable]:
    rows = content.source_rows(r)
    out: list[Flowable] = []
    uncited = len({e.id for e in r.evidence} - {row.id for row in rows})
    out.append(para(
        f"{len(rows)} evidence items are cited in this report"
        + (f"; {uncited} further items were collected but not cited." if uncited else "."),
        Styles.small,
    ))
    out.append(Spacer(1, 6))
    if rows:
        out.append(data_table(
            ["Evidence id", "Fact", "Source", "Reference", "Date"],
            [[s.id, s.text, s.source, s.reference, s.date] for s in rows],
            [FRAME_W * 0.25, FRAME_W * 0.32, FRAME_W * 0.13, FRAME_W * 0.19, FRAME_W * 0.11],
            small=True,
        ))
    peer_rows = content.peer_accession_rows(r)
    if peer_rows:
        out.append(markup("Named peers and the filings behind their figures", Styles.h3))
        out.append(data_table(["Peer", "Period", "SEC accessions"], peer_rows,
                              [FRAME_W * 0.3, FRAME_W * 0.22, FRAME_W * 0.48], small=True))
    return out


def _comparables(r: ReportInput) -> list[Flowable]:
    """The company beside its named peers, the median and its rank; or why there is no comparison."""
    ct = content.comparables_table(r)
    head = [Spacer(1, 8), markup("Comparables", Styles.h2)]
    if ct is None:
        return head + [para(f"No named peers for {r.ticker}, so no figure in this report is compared with peers. "
                            f"Pin peers with `consultantos peers {r.ticker} --set A,B,C`.", Styles.small)]
    widths = [FRAME_W * 0.28] + [FRAME_W * 0.72 / (len(ct.header) - 1)] * (len(ct.header) - 1)
    gaps = [para(g, Styles.small) for g in (r.peers.method, *content.peer_gaps(r))] if r.peers else []
    return [Spacer(1, 8), KeepTogether([
        markup("Comparables", Styles.h2),
        data_table(ct.header, ct.rows, widths, numeric_cols=set(range(1, len(ct.header))), small=True),
        caption(f"Latest fiscal year of each company from its SEC facts (growth on the year before; FCF = operating "
                f"cash flow - capex); P/E and EV/EBITDA at each company's last close. Peer median: "
                f"{content.comparables_basis(r)}; a column has a median only where at least {content.MIN_PEERS} "
                "named peers report it. Rank: 1 = highest (for multiples, 1 = cheapest)."),
    ])] + gaps


def _methodology(r: ReportInput) -> list[Flowable]:
    out: list[Flowable] = [para(content.METHODOLOGY_TEXT, Styles.body), para(content.CONFIDENCE_TEXT, Styles.body)]
    out.append(markup("Data sources", Styles.h2))
    statuses = content.source_statuses(r)
    out.append(data_table(
        ["Source", "Provider", "Mode", "Data as of", "Retrieved", "Location / notes"],
        [[s.name, s.provider, s.mode, s.as_of, s.retrieved, "; ".join(x for x in (s.location, s.notes) if x)]
         for s in statuses],
        [FRAME_W * f for f in (0.17, 0.14, 0.09, 0.13, 0.17, 0.30)],
        small=True,
    ))
    out.append(markup("Analysts", Styles.h2))
    out.append(data_table(["Framework", "Analyst", "Confidence"], content.analyst_rows(r),
                          [FRAME_W * 0.3, FRAME_W * 0.5, FRAME_W * 0.2], numeric_from=2))
    out.append(markup("Asset versions", Styles.h2))
    vrows = content.version_rows(r)
    if vrows:
        out.append(data_table(["Asset", "Data version", "Provider"], vrows,
                              [FRAME_W * 0.35, FRAME_W * 0.35, FRAME_W * 0.3], small=True))
    else:
        out.append(para("No asset versions were recorded for this report.", Styles.small))
    return out


_BUILDERS = {
    "summary": (_summary, lambda r: None),
    "dashboard": (_dashboard, lambda r: content.financial_headline(r) if r.financials.has_statements else
                  "Only market indicators are available: statement-based metrics cannot be shown."),
    "financials": (_financials, content.financial_headline),
    "trends": (_trends, content.trends_headline),
    "porter": (_porter, lambda r: r.porter.summary),
    "swot": (_swot, lambda r: (
        f"{len(r.swot.strengths)} strengths, {len(r.swot.weaknesses)} weaknesses, "
        f"{len(r.swot.opportunities)} opportunities and {len(r.swot.threats)} threats, each tied to evidence.")),
    "pestel": (_pestel, lambda r: "Macro-environmental factors: political, economic, social, technological, "
               "environmental and legal."),
    "blue_ocean": (_blue_ocean, lambda r: "Where the company can break the value-cost trade-off: the ERRC grid "
                   "and its strategy canvas against the industry."),
    "risks": (_risks, lambda r: f"{len(r.synthesis.risks)} key risks and {len(content.data_gaps(r))} recorded "
              "data gaps."),
    "changes": (_changes, lambda r: f"Changes since the previous report of {fmt_date(r.previous.as_of)}."
                if r.previous else None),
    "sources": (_sources, lambda r: "Every evidence id cited in this report, with its origin."),
    "methodology": (_methodology, lambda r: "How this report was produced, and from which data versions."),
}


def _story(report: ReportInput) -> list[Flowable]:
    story: list[Flowable] = [NextPageTemplate("content"), Cover(report), PageBreak()]
    toc = TableOfContents(levelStyles=[Styles.toc0], dotsMinLevel=0)
    story += [markup("Contents", Styles.h1), Rule(), Spacer(1, 10), toc, Spacer(1, 24)]
    story.append(para(
        "How to read this report: statements carry the ids of the evidence they rest on in small type, "
        "e.g. [fin:revenue:FY2024] for a reported financial fact or [trend:iphone] for a search-interest "
        "series, followed by a confidence between 0 and 1.",
        Styles.small,
    ))
    for number, key in enumerate(content.section_keys(report), 1):
        build, headline = _BUILDERS[key]
        story.append(PageBreak())
        story += section_start(number, key, headline(report))
        story += build(report)
    return story


def build_pdf_bytes(report: ReportInput) -> tuple[bytes, int]:
    """Render the report to PDF bytes; returns (data, page count)."""
    started = time.perf_counter()
    buf = io.BytesIO()
    name = content.company_name(report)
    doc = _Doc(
        buf,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN_L,
        rightMargin=MARGIN_R,
        topMargin=MARGIN_T,
        bottomMargin=MARGIN_B,
        title=plain(f"{name} ({report.ticker}) - strategy report", BASE_FONT, 200),
        author="ConsultantOS",
        subject=f"Strategy report for {report.ticker} as of {report.as_of.isoformat()}",
        creator="ConsultantOS report renderer",
        keywords=report.ticker,
        invariant=1,
    )
    cover = Frame(0, 0, PAGE_W, PAGE_H, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="cover")
    body = Frame(MARGIN_L, MARGIN_B, FRAME_W, FRAME_H, leftPadding=0, rightPadding=0, topPadding=0,
                 bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate("cover", [cover]), PageTemplate("content", [body])])
    holder: dict = {}
    doc.multiBuild(_story(report), canvasmaker=_canvas_class(report, holder), maxPasses=6)
    data = buf.getvalue()
    log.debug("rendered %s: %d pages, %d bytes in %.3fs", report.ticker, holder.get("pages", 0), len(data),
              time.perf_counter() - started)
    return data, int(holder.get("pages", 0))


def render_pdf(report: ReportInput, path: Path | str) -> RenderResult:
    """Render ``report`` to ``path`` atomically (temp file in the same directory, then rename)."""
    path = Path(path)
    data, pages = build_pdf_bytes(report)
    atomic_write_bytes(path, data)
    digest = hashlib.sha256(data).hexdigest()
    log.info("wrote %s (%d pages, %d bytes)", path, pages, len(data))
    return RenderResult(path=path, pages=pages, bytes=len(data), sha256=digest)


__all__ = ["RenderResult", "build_pdf_bytes", "render_pdf"]
