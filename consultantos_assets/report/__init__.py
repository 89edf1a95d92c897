"""Report rendering: a consulting-style PDF, a markdown preview, a JSON export, a slide deck and a workbook.

Pure rendering: takes a :class:`~consultantos_assets.models.ReportInput`, and the only I/O is
writing the files it is asked to write.

The names below are imported on first use, so code that needs one helper (``report.markup`` for
metadata text, say) does not load reportlab, python-pptx and XlsxWriter with it.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "SECTIONS": "content", "cited_ids": "content", "key_figures": "content",
    "missing_financials_message": "content", "section_keys": "content",
    "build_pptx_bytes": "deck", "render_pptx": "deck",
    "Exports": "exports", "render_json": "exports", "write_exports": "exports",
    "fmt_value": "formatting",
    "render_markdown": "markdown",
    "esc": "markup",
    "RenderResult": "exports", "build_pdf_bytes": "pdf", "render_pdf": "pdf",
    "pdf_text": "verify", "verify_pdf": "verify",
    "build_xlsx_bytes": "workbook", "render_xlsx": "workbook",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
