"""Tests for the report renderer (consultantos_assets.report): PDF, markdown, JSON, exports."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from consultantos_assets import report as rpt
from consultantos_assets.report import markup
from consultantos_assets.report import text as report_text
from consultantos_assets.report.content import SECTIONS, cited_ids, section_keys
from consultantos_assets.report.formatting import fmt_pct, fmt_value
from consultantos_assets_tests.report_fixtures import (
    APPLE_REVENUE_FY2024,
    HOSTILE_NAME,
    INTERNATIONAL,
    LONG_WORD,
    MARKUP_POINT,
    apple_report,
    hostile_report,
    no_financials_report,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "report"


def page_texts(path: Path) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


def squash(text: str) -> str:
    """Text with all whitespace removed (wrapped lines join up again)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def apple_pdf(tmp_path_factory) -> tuple[rpt.RenderResult, list[str]]:
    out = tmp_path_factory.mktemp("apple") / "AAPL.pdf"
    result = rpt.render_pdf(apple_report(), out)
    return result, page_texts(out)


# --------------------------------------------------------------------------------------- formatting


def test_values_are_scaled_and_labelled():
    assert fmt_value(APPLE_REVENUE_FY2024, "USD") == "$391.0B"
    assert fmt_value(93_736_000_000, "USD") == "$93.7B"
    assert fmt_value(3_400_000_000_000, "USD") == "$3.4T"
    assert fmt_value(-1_260_000, "USD") == "-$1.3M"
    assert fmt_value(6.08, "USD/shares") == "$6.08"
    assert fmt_value(15_115_823_000, "shares") == "15.1B"
    assert fmt_value(None, "USD") == "n/a"
    assert fmt_value(float("nan"), "USD") == "n/a"
    assert fmt_pct(0.2397) == "24.0%"
    assert fmt_pct(-0.034, signed=True) == "-3.4%"


def test_escape_helper_neutralises_markup_and_controls():
    assert markup.esc("<b>Evil & Co</b>") == "&lt;b&gt;Evil &amp; Co&lt;/b&gt;"
    assert markup.esc("a\x00b\x07c\nd") == "abc d"
    assert markup.esc(None) == ""
    assert markup.esc("x" * 50, max_len=10).endswith("\u2026")
    assert report_text.md("a|b <i>") == "a\\|b &lt;i&gt;"


def test_characters_no_font_has_become_question_marks(monkeypatch):
    monkeypatch.setattr(markup, "_fonts", [])
    markup._font_for.cache_clear()
    try:
        assert markup.esc("Tokyo 東京 & co") == "Tokyo ?? &amp; co"
        assert markup.plain("東京 ok") == "?? ok"
    finally:
        markup._font_for.cache_clear()
        monkeypatch.undo()
        markup._font_for.cache_clear()


# ------------------------------------------------------------------------------------------- the PDF


def test_pdf_has_every_section_company_and_scaled_figures(apple_pdf):
    result, pages = apple_pdf
    text = "\n".join(pages)
    assert result.pages == len(pages) >= 12
    assert all(len(p.strip()) > 200 for p in pages), "a page has nothing but header and footer"
    for key in section_keys(apple_report()):
        assert SECTIONS[key] in text, f"section {SECTIONS[key]!r} missing"
    assert "Contents" in pages[1]
    assert "Apple Inc." in pages[0] and "AAPL" in pages[0]
    # the fixture fact 391,035,000,000 is printed scaled and labelled
    assert fmt_value(APPLE_REVENUE_FY2024, "USD") == "$391.0B"
    fin_page = next(p for p in pages if "Financial performance" in p and "Multi-year" in p)
    assert "$391.0B" in fin_page
    assert "$274.5B" in fin_page and "$6.08" in fin_page and "15.1B" in fin_page
    for year in range(2020, 2025):
        assert f"FY{year}" in fin_page
    # cover: report date, data as-of per source (statements: the newest 10-K's filing date; trends:
    # the last week), mode and confidence
    assert "01 November 2024" in pages[0]
    assert "2024-11-01" in pages[0] and "2024-10-27" in pages[0]
    assert "Offline" in pages[0] and "0.72" in pages[0]
    # header/footer on content pages
    assert f"Page 3 of {result.pages}" in pages[2]
    assert "Apple Inc. (AAPL)" in pages[5]


def _page_index(reader: PdfReader, destination) -> int:
    """The page a destination array ([page ref, fit, ...]) opens, by the page's object number."""
    numbers = [page.indirect_reference.idnum for page in reader.pages]
    return numbers.index(destination[0].idnum)


def test_outline_and_contents_links_open_the_page_of_each_section(apple_pdf):
    """A reader's sidebar (the PDF outline) and the clickable contents page go to the page where each
    section starts, read from the PDF's own objects (not the renderer's)."""
    result, pages = apple_pdf
    reader = PdfReader(str(result.path))
    catalog = reader.trailer["/Root"]
    outline: dict[str, int] = {}
    node = catalog["/Outlines"]["/First"]
    while True:
        outline[node["/Title"]] = _page_index(reader, node["/Dest"])
        if "/Next" not in node:
            break
        node = node["/Next"]
    titles = [SECTIONS[k] for k in section_keys(apple_report())]
    assert list(outline) == titles
    for title, index in outline.items():
        assert index > 1, f"the outline's {title!r} opens page {index + 1}"
        assert squash(title) in squash(pages[index]), f"page {index + 1} does not start {title!r}"
    assert sorted(outline.values()) == list(outline.values())
    # each row of the contents page (title, leader, page number) is one link, to the same page
    links = [annot.get_object() for annot in reader.pages[1].get("/Annots", [])]
    links = [link for link in links if link.get("/Subtype") == "/Link"]
    links.sort(key=lambda link: -float(link["/Rect"][3]))  # top row first
    assert [_page_index(reader, link["/Dest"]) for link in links] == list(outline.values())
    # and the page number it prints is that page's
    printed = re.findall(r"(\d+)\s*$", pages[1], flags=re.M)
    assert [int(n) - 1 for n in printed[:len(outline)]] == list(outline.values()), pages[1]


def test_pdf_points_show_evidence_and_confidence(apple_pdf):
    _, pages = apple_pdf
    text = squash("\n".join(pages))
    assert "[fin:revenue:FY2024]" in text
    assert "confidence0.90" in text
    assert "[trend:iphone]" in text


def test_sources_appendix_lists_every_cited_evidence_id(apple_pdf):
    _, pages = apple_pdf
    report = apple_report()
    start = next(i for i, p in enumerate(pages) if re.search(r"\d\d\s*Sources", p))
    appendix = squash("\n".join(pages[start:]))
    ids = cited_ids(report)
    assert len(ids) > 10
    for eid in ids:
        assert squash(eid) in appendix, eid
    assert "0000320193-24-000123" in appendix  # an SEC accession as the reference


def test_what_changed_section(apple_pdf):
    _, pages = apple_pdf
    text = "\n".join(pages)
    assert "What changed" in text
    assert "Points removed" in text and "Component shortages constrain supply." in text
    assert "Competitive rivalry" in text and "3.5" in text


def test_the_read_back_check_finds_sections_on_the_pages_the_outline_opens(apple_pdf, tmp_path):
    """report_complete's check (report.verify_pdf): a sound PDF passes; one whose outline opens the cover
    for every section, one without an outline, and a cut-off file are each refused with the reason."""
    from pypdf import PdfWriter

    result, pages = apple_pdf
    assert rpt.verify_pdf(result.path, "Apple Inc.") == []
    titles = [title for key, title in SECTIONS.items() if key != "changes"]  # every report has these

    wrong, bare = PdfWriter(), PdfWriter()
    for writer in (wrong, bare):
        writer.append(str(result.path), import_outline=False)
    for title in titles:
        wrong.add_outline_item(title=title, page_number=0)
    wrong.write(tmp_path / "wrong.pdf")
    bare.write(tmp_path / "bare.pdf")
    off_cover = [t for t in titles if t not in " ".join(pages[0].split())]  # the cover names a few
    assert len(off_cover) >= len(titles) - 3
    assert rpt.verify_pdf(tmp_path / "wrong.pdf", "Apple Inc.") == [
        f"section '{t}' is not on page 1, which its outline entry opens" for t in off_cover]
    assert rpt.verify_pdf(tmp_path / "bare.pdf", "Apple Inc.") == [
        f"section '{t}' not in the PDF outline" for t in titles]
    assert rpt.verify_pdf(result.path, "Banana Corp.") == ["company name 'Banana Corp.' not found"]
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(result.path.read_bytes()[:4000])
    (problem,) = rpt.verify_pdf(cut, "Apple Inc.")
    assert "cannot be read as a PDF" in problem


def test_render_result_matches_file_and_write_is_atomic(tmp_path):
    out = tmp_path / "sub" / "r.pdf"
    result = rpt.render_pdf(apple_report(with_previous=False), out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert result.path == out and result.bytes == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.pdf"]


def test_failed_render_leaves_previous_file_untouched(tmp_path, monkeypatch):
    out = tmp_path / "r.pdf"
    out.write_bytes(b"old")
    from consultantos_assets.report import pdf as pdf_module

    def boom(data_path, data):
        raise OSError("disk full")

    monkeypatch.setattr(pdf_module, "atomic_write_bytes", boom)
    with pytest.raises(OSError):
        rpt.render_pdf(apple_report(with_previous=False), out)
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_render_is_deterministic(tmp_path):
    report = apple_report()
    a = rpt.render_pdf(report, tmp_path / "a.pdf")
    b = rpt.render_pdf(apple_report(), tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert a.sha256 == b.sha256
    data = (tmp_path / "a.pdf").read_bytes()
    assert b"D:20241101000000" in data  # creation date is the report's as-of date


def test_render_is_deterministic_across_processes(tmp_path):
    here = rpt.render_pdf(apple_report(), tmp_path / "here.pdf")
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]);"
        "from consultantos_assets_tests.report_fixtures import apple_report;"
        "from consultantos_assets.report import render_pdf;"
        "render_pdf(apple_report(), Path(sys.argv[2]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(REPO_ROOT), str(tmp_path / "there.pdf")], check=True, env=env,
                   cwd=tmp_path, timeout=120)
    assert hashlib.sha256((tmp_path / "there.pdf").read_bytes()).hexdigest() == here.sha256


def test_hostile_strings_render_literally(tmp_path):
    report = hostile_report()
    out = tmp_path / "hostile.pdf"
    result = rpt.render_pdf(report, out)
    pages = page_texts(out)
    text = "\n".join(pages)
    assert result.pages >= 12
    assert HOSTILE_NAME in pages[0]  # markup in the company name is printed, not interpreted
    flat = squash(text)
    assert squash(MARKUP_POINT) in flat
    assert LONG_WORD in flat  # the 500-character word wraps but is complete
    assert "<script>alert(1)</script>" in flat
    assert "<fontcolor=red>Tech</font>" in flat
    for ch in INTERNATIONAL:
        if ch.isspace():
            continue
        if markup.has_glyph(ch):
            assert ch in flat, f"{ch!r} has a font but is missing"
    if not markup.has_glyph("中"):
        assert "????" in flat  # the Chinese has no glyphs here: replaced, not crashed


def test_hostile_markdown_is_escaped():
    text = rpt.render_markdown(hostile_report())
    assert "<b>Evil" not in text and "&lt;b&gt;Evil &amp; Co&lt;/b&gt;" in text
    assert "<script>" not in text


def test_company_without_financial_statements(tmp_path):
    report = no_financials_report()
    out = tmp_path / "tcehy.pdf"
    rpt.render_pdf(report, out)
    pages = page_texts(out)
    message = "Financial statements are missing for TCEHY: no SEC company facts were found"
    dashboard = next(p for p in pages if re.search(r"02\s*Key metrics dashboard", p))
    financial = next(p for p in pages if re.search(r"03\s*Financial performance", p))
    assert message in dashboard.replace("\n", " ")
    assert message in financial.replace("\n", " ")
    assert "$52.40" in dashboard  # price indicators still shown
    assert "What changed" not in "\n".join(pages)
    assert "Multi-year financial statements" not in "\n".join(pages)


def test_markdown_has_the_same_sections():
    report = apple_report()
    text = rpt.render_markdown(report)
    keys = section_keys(report)
    for i, key in enumerate(keys, 1):
        assert f"## {i}. {SECTIONS[key]}" in text
    assert "$391.0B" in text and "| Revenue |" in text
    assert "fin:revenue:FY2024" in text
    missing = rpt.render_markdown(no_financials_report())
    assert "Financial statements are missing for TCEHY: no SEC company facts were found" in missing
    assert "What changed" not in missing


def test_json_export_carries_key_figures():
    payload = json.loads(rpt.render_json(apple_report()))
    latest = payload["key_figures"]["latest"]
    assert latest["revenue"]["value"] == APPLE_REVENUE_FY2024
    assert latest["revenue"]["display"] == "$391.0B"
    assert latest["eps_diluted"]["display"] == "$6.08"
    assert payload["report"]["ticker"] == "AAPL"
    assert "raise" in payload["report"]["blue_ocean"]
    text = rpt.render_json(apple_report())
    assert text == rpt.render_json(apple_report())
    # plain two-space JSON, key figures first, non-ASCII as itself: what json.dumps writes for it
    assert text == json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    assert list(payload) == ["key_figures", "report"]
    assert payload["report"] == json.loads(apple_report().model_dump_json())


def test_write_exports(tmp_path):
    exports = rpt.write_exports(apple_report(), tmp_path / "exports", "AAPL-2024-11-01")
    paths = exports.paths
    assert exports.pdf.pages >= 8 and exports.markdown == paths["md"].read_text(encoding="utf-8")
    assert set(paths) == {"pdf", "md", "json", "pptx", "xlsx"}
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    assert paths["pptx"].read_bytes()[:2] == paths["xlsx"].read_bytes()[:2] == b"PK"  # Office zip packages
    assert paths["md"].read_text(encoding="utf-8").startswith("# Apple Inc. (AAPL)")
    json.loads(paths["json"].read_text(encoding="utf-8"))
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == sorted(p.name for p in paths.values())
    assert exports.pdf_problems is None  # not read back unless asked
    with pytest.raises(ValueError):
        rpt.write_exports(apple_report(), tmp_path, "../escape")


def test_exports_read_the_pdf_back_as_it_is_written(tmp_path):
    read_back = rpt.write_exports(apple_report(), tmp_path / "ok", "AAPL_report", read_back_as="Apple Inc.")
    assert read_back.pdf_problems == []
    wrong = rpt.write_exports(apple_report(), tmp_path / "wrong", "AAPL_report", read_back_as="Banana Corp")
    assert [p for p in wrong.pdf_problems if "Banana Corp" in p], wrong.pdf_problems


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")
@pytest.mark.parametrize(
    "name,factory", [("apple", apple_report), ("no-financials", no_financials_report), ("hostile", hostile_report)]
)
def test_pages_rasterise_to_png(name, factory):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    pdf = ARTIFACTS / f"{name}.pdf"
    result = rpt.render_pdf(factory(), pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / name)], check=True, timeout=120)
    pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
    assert len(pngs) == result.pages
    assert all(p.stat().st_size > 2000 for p in pngs)  # no blank pages
