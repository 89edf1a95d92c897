"""The report's figures as an analyst's workbook (XlsxWriter), from the same content layer as the PDF.

Numbers are numbers: each cell holds the exact reported value, with a number format and the unit in
its row or header. Margins, growth and multiples are formulas over the cells they come from (with
their values cached, so viewers that do not recalculate show them too). Every data string is written
as a string, never as a formula or link; identical inputs give a byte-identical file. The sheets are written by statement_sheets and
evidence_sheets over the Book in book.
"""

from __future__ import annotations

from pathlib import Path

from consultantos_assets.models import ReportInput

from .. import content
from ..office import reproducible_zip, stamp, text, write_package
from .book import Book
from .evidence_sheets import (
    changes_sheet,
    frameworks_sheet,
    peers_sheet,
    prices_sheet,
    sources_sheet,
    trends_sheet,
)
from .statement_sheets import annual_sheet, cash_flow_sheet, cover_sheet, quarterly_sheet

# the sheets in the order they appear; the cover lists them (statement_sheets.SHEET_NOTES)
SHEETS = (cover_sheet, annual_sheet, quarterly_sheet, cash_flow_sheet, peers_sheet, trends_sheet, prices_sheet,
          frameworks_sheet, sources_sheet, changes_sheet)


def build_xlsx_bytes(report: ReportInput) -> bytes:
    b = Book(report)
    when = stamp(report.as_of)
    name = content.company_name(report)
    b.wb.set_properties({
        "title": text(f"{name} ({report.ticker}) - strategy report workbook", 200),
        "subject": f"Figures of the strategy report for {report.ticker} as of {report.as_of.isoformat()}",
        "author": "ConsultantOS", "company": "", "keywords": report.ticker,
        "created": when.replace(tzinfo=None),
    })
    for make in SHEETS:
        make(b)
    return reproducible_zip(b.bytes(), when)


def render_xlsx(report: ReportInput, path: Path | str) -> Path:
    """Write the workbook to ``path`` atomically."""
    return write_package(path, build_xlsx_bytes(report))


__all__ = ["SHEETS", "build_xlsx_bytes", "render_xlsx"]
