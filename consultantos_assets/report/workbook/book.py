"""The workbook's plumbing: cell formats and units, the Book that writes cells with their number formats,
and the formula builders (ratio and growth) the sheets use."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from consultantos_assets.models import FinancialFact, ReportInput

from .. import content
from ..formatting import NA
from ..office import PALETTE, text

UNIT_LABEL = {"USD": "USD m", "USD/shares": "USD per share", "USD/share": "USD per share", "shares": "shares m"}


UNIT_FORMAT = {"USD": "usd", "USD/shares": "per_share", "USD/share": "per_share", "shares": "count"}


FORMATS = {
    "title": {"bold": True, "font_size": 14, "font_color": "#" + PALETTE["NAVY"]},
    "note": {"italic": True, "font_color": "#" + PALETTE["SLATE"], "text_wrap": False},
    "head": {"bold": True, "font_color": "#FFFFFF", "bg_color": "#" + PALETTE["NAVY"], "text_wrap": True,
             "valign": "top"},
    "section": {"bold": True, "font_color": "#" + PALETTE["TEAL"]},
    "text": {"valign": "top"},
    "wrap": {"text_wrap": True, "valign": "top"},
    "label": {"bold": True, "valign": "top"},
    "unit": {"indent": 1},
    "usd": {"num_format": '#,##0,,;-#,##0,,'},  # the cell holds USD; shown in millions
    "count": {"num_format": '#,##0.0,,'},  # shares, shown in millions
    "per_share": {"num_format": '0.00'},
    "pct": {"num_format": '0.0%'},
    "yield": {"num_format": '0.00%'},  # the PDF's yields: two decimals
    "multiple": {"num_format": '0.0"x"'},
    "number": {"num_format": '#,##0.0'},
    "int": {"num_format": '#,##0'},
    "rating": {"num_format": '0.0'},
    "conf": {"num_format": '0.00'},
    "price": {"num_format": '#,##0.00'},
    "date": {"num_format": 'yyyy-mm-dd', "align": "left"},
    "missing": {"font_color": "#" + PALETTE["MUTED"], "align": "right"},
}


UNITS_NOTE = ("Amounts show in USD millions and share counts in millions; each cell holds the exact reported "
              "value. Ratios are formulas over the cells they come from.")


@dataclass
class Cell:
    """Where a figure was written: 'Annual'!C5, for formulas on other sheets."""
    sheet: str
    row: int
    col: int

    def ref(self, sheet: str | None = None) -> str:
        a1 = xl_rowcol_to_cell(self.row, self.col)
        return a1 if sheet == self.sheet else f"'{self.sheet}'!{a1}"


class Book:
    def __init__(self, report: ReportInput):
        self.report = report
        self.buf = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.buf, {"in_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
        self.f = {k: self.wb.add_format(v) for k, v in FORMATS.items()}
        # (metric, fiscal year, fiscal period) -> where the Annual/Quarterly sheet wrote the fact, and its value
        self.cells: dict[tuple[str, int, str], tuple[Cell, float]] = {}

    def sheet(self, name: str, widths: list[float]):
        ws = self.wb.add_worksheet(name)
        for i, w in enumerate(widths):
            ws.set_column(i, i, w)
        ws.hide_gridlines(2)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)  # printed: one page wide
        return ws

    def s(self, ws, row: int, col: int, value: object, fmt: str = "text", max_len: int | None = None) -> None:
        ws.write_string(row, col, text(value, max_len), self.f[fmt])

    def num(self, ws, row: int, col: int, value: float | None, fmt: str) -> None:
        if value is None:
            ws.write_string(row, col, NA, self.f["missing"])
        else:
            ws.write_number(row, col, value, self.f[fmt])

    def formula(self, ws, row: int, col: int, formula: str, value: float | None, fmt: str) -> None:
        ws.write_formula(row, col, formula, self.f[fmt], "" if value is None else value)

    def fact(self, ws, sheet: str, row: int, col: int, f: FinancialFact | None, fmt: str) -> None:
        """A reported figure: a link to the cell the statement sheets wrote it in (its value cached), the
        number itself when no sheet holds that exact value, n/a when there is no figure."""
        hit = self.cells.get((f.metric, f.fiscal_year, f.fiscal_period)) if f is not None else None
        if f is not None and hit is not None and hit[1] == f.value:
            self.formula(ws, row, col, "=" + hit[0].ref(sheet), f.value, fmt)
        else:
            self.num(ws, row, col, f.value if f is not None else None, fmt)

    def header(self, ws, row: int, values: list[str], col: int = 0) -> None:
        for i, v in enumerate(values):
            self.s(ws, row, col + i, v, "head")

    def title(self, ws, title: str, note: str = "") -> int:
        name = content.company_name(self.report)
        self.s(ws, 0, 0, f"{name} ({self.report.ticker}) · {title}", "title")
        if note:
            self.s(ws, 1, 0, note, "note")
        return 3

    def bytes(self) -> bytes:
        self.wb.close()
        return self.buf.getvalue()


def excel_date(value: dt.date | None) -> dt.datetime | None:
    return None if value is None else dt.datetime(value.year, value.month, value.day)


def ratio_formula(num: str, den: str) -> str:
    return f'=IF(AND(ISNUMBER({num}),ISNUMBER({den}),N({den})<>0),{num}/{den},"")'


def growth_formula(cur: str, prev: str) -> str:
    return f'=IF(AND(ISNUMBER({cur}),ISNUMBER({prev}),N({prev})<>0),{cur}/{prev}-1,"")'


def safe_div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or not b else a / b
