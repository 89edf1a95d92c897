"""The report as a 16:9 slide deck (python-pptx), from the same content layer as the PDF and Markdown.

Charts are native PowerPoint charts (their data sits in the embedded workbook, editable in PowerPoint);
every data string goes through :func:`office.text` as the PDF's strings go through ``esc``; identical
inputs give a byte-identical file. The slides are built by company_slides and framework_slides over the
building blocks in layout.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from consultantos_assets.models import ReportInput

from ..office import reproducible_zip, stamp, text, write_package
from .company_slides import (
    cash_flow_slide,
    comparables_slide,
    dashboard_slide,
    margin_chart_slide,
    multiples_slide,
    price_chart_slide,
    revenue_chart_slide,
    summary_slide,
    title_slide,
)
from .framework_slides import (
    blue_ocean_slide,
    canvas_slide,
    changes_slide,
    pestel_slide,
    porter_slide,
    risks_slide,
    sources_slide,
    swot_slide,
)
from .layout import Deck

# the slides in the order they appear
SLIDES: tuple[Callable[[Deck], None], ...] = (
    title_slide, summary_slide, dashboard_slide, revenue_chart_slide, margin_chart_slide, price_chart_slide,
    cash_flow_slide, multiples_slide, comparables_slide, porter_slide, swot_slide, pestel_slide, blue_ocean_slide,
    canvas_slide, risks_slide, changes_slide, sources_slide,
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
