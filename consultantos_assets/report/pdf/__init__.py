"""The consulting-style PDF: the deterministic build over the page templates (pages), the building blocks
(flowables) and one module per group of sections."""

from __future__ import annotations

import hashlib
import io
import logging
import time
from pathlib import Path

from reportlab.platypus import (
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
)

from consultantos_assets.models import ReportInput

from ...atomic import atomic_write_bytes
from .. import content
from ..exports import RenderResult
from ..formatting import fmt_date
from ..markup import BASE_FONT, plain
from ..theme import FRAME_H, FRAME_W, MARGIN_B, MARGIN_L, MARGIN_R, MARGIN_T, PAGE_H, PAGE_SIZE, PAGE_W, Styles
from . import company_sections as company
from . import framework_sections as frameworks
from . import record_sections as record
from .flowables import Contents, Rule, markup, para, section_bookmark, section_start
from .pages import Cover, ReportDoc, canvas_class

log = logging.getLogger(__name__)


# -------------------------------------------------------------------------------------- sections


_BUILDERS = {
    "summary": (company.summary, lambda r: None),
    "dashboard": (company.dashboard, lambda r: content.financial_headline(r) if r.financials.has_statements else
                  "Only market indicators are available: statement-based metrics cannot be shown."),
    "financials": (company.financials, content.financial_headline),
    "trends": (company.trends, content.trends_headline),
    "porter": (frameworks.porter, lambda r: r.porter.summary),
    "swot": (frameworks.swot, lambda r: (
        f"{len(r.swot.strengths)} strengths, {len(r.swot.weaknesses)} weaknesses, "
        f"{len(r.swot.opportunities)} opportunities and {len(r.swot.threats)} threats, each tied to evidence.")),
    "pestel": (frameworks.pestel, lambda r: "Macro-environmental factors: political, economic, social, technological, "
               "environmental and legal."),
    "blue_ocean": (frameworks.blue_ocean, lambda r: "Where the company can break the value-cost trade-off: the ERRC grid "
                   "and its strategy canvas against the industry."),
    "risks": (frameworks.risks, lambda r: f"{len(r.synthesis.risks)} key risks and {len(content.data_gaps(r))} recorded "
              "data gaps."),
    "changes": (record.changes, lambda r: f"Changes since the previous report of {fmt_date(r.previous.as_of)}."
                if r.previous else None),
    "sources": (record.sources, lambda r: "Every evidence id cited in this report, with its origin."),
    "methodology": (record.methodology, lambda r: "How this report was produced, and from which data versions."),
}


def _story(report: ReportInput) -> list[Flowable]:
    story: list[Flowable] = [NextPageTemplate("content"), Cover(report), PageBreak()]
    keys = content.section_keys(report)
    toc = Contents([(section_bookmark(key), content.SECTIONS[key]) for key in keys])
    story += [markup("Contents", Styles.h1), Rule(), Spacer(1, 10), toc, Spacer(1, 24)]
    story.append(para(
        "How to read this report: statements carry the ids of the evidence they rest on in small type, "
        "e.g. [fin:revenue:FY2024] for a reported financial fact or [trend:iphone] for a search-interest "
        "series, followed by a confidence between 0 and 1.",
        Styles.small,
    ))
    for number, key in enumerate(keys, 1):
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
    doc = ReportDoc(
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
    doc.build(_story(report), canvasmaker=canvas_class(report, holder))
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
