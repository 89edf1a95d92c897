"""Report rendering: a consulting-style PDF, a markdown preview, a JSON export, a slide deck and a workbook.

Pure rendering: takes a :class:`~consultantos_assets.models.ReportInput`, and the only I/O is
writing the files it is asked to write.
"""

from .content import SECTIONS, cited_ids, key_figures, missing_financials_message, section_keys
from .deck import build_pptx_bytes, render_pptx
from .exports import Exports, render_json, write_exports
from .formatting import fmt_value
from .markdown import render_markdown
from .markup import esc
from .pdf import RenderResult, build_pdf_bytes, render_pdf
from .verify import pdf_text, verify_pdf
from .workbook import build_xlsx_bytes, render_xlsx

__all__ = [
    "SECTIONS",
    "Exports",
    "RenderResult",
    "build_pdf_bytes",
    "build_pptx_bytes",
    "build_xlsx_bytes",
    "cited_ids",
    "esc",
    "fmt_value",
    "key_figures",
    "missing_financials_message",
    "render_json",
    "render_markdown",
    "render_pdf",
    "render_pptx",
    "render_xlsx",
    "section_keys",
    "verify_pdf",
    "pdf_text",
    "write_exports",
]
