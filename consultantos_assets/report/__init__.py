"""Report rendering: a consulting-style PDF, a markdown preview and a JSON export.

Pure rendering: takes a :class:`~consultantos_assets.models.ReportInput`, and the only I/O is
writing the files it is asked to write.
"""

from .content import SECTIONS, cited_ids, key_figures, missing_financials_message, section_keys
from .exports import render_json, write_exports
from .formatting import fmt_value
from .markdown import render_markdown
from .markup import esc
from .pdf import RenderResult, build_pdf_bytes, render_pdf
from .verify import pdf_text, verify_pdf

__all__ = [
    "SECTIONS",
    "RenderResult",
    "build_pdf_bytes",
    "cited_ids",
    "esc",
    "fmt_value",
    "key_figures",
    "missing_financials_message",
    "render_json",
    "render_markdown",
    "render_pdf",
    "section_keys",
    "verify_pdf",
    "pdf_text",
    "write_exports",
]
