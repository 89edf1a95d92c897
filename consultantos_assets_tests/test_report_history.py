"""A user's own document changes the research; the next report says what changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
from pptx import Presentation

from consultantos_assets.report import pdf_text

from .conftest import BUNDLED
from .test_pipeline import cli


def test_user_document_flows_into_report_and_what_changed(tmp_path):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(BUNDLED, snapshot)
    home = tmp_path / "home"
    first = Path(cli(home, "report", "AAPL", snapshot=snapshot).stdout.strip().splitlines()[-1])
    _, text1 = pdf_text(first)
    assert "What changed" not in " ".join(text1.split())

    docs = snapshot / "documents" / "AAPL"
    docs.mkdir(parents=True)
    (docs / "channel-check.md").write_text(
        "# Channel check <b>Q3</b>\n\nDistributors report steady demand for services & wearables.\n",
        encoding="utf-8",
    )
    second = Path(cli(home, "report", "AAPL", snapshot=snapshot).stdout.strip().splitlines()[-1])
    assert second == first
    _, text2 = pdf_text(second)
    flat = " ".join(text2.split())
    assert "What changed" in flat
    assert "Research documents" in flat and "channel-check.md" in flat  # listed as added
    research = json.loads(cli(home, "show", "AAPL", "company_research", "--json").stdout)
    users = [d for d in research["documents"] if d["kind"] == "user"]
    assert len(users) == 1 and "steady demand" in users[0]["text"]
    artifact = json.loads(cli(home, "show", "AAPL", "report_pdf", "--json").stdout)
    assert artifact["compared_with"] and artifact["compared_with"] != artifact["inputs_hash"]
    # the deck and the workbook beside the PDF say the same
    sheet = openpyxl.load_workbook(artifact["outputs"]["xlsx"])["What changed"]
    assert any(r[0].value == "Research documents" and "channel-check.md" in str(r[1].value) for r in sheet.iter_rows())
    deck = Presentation(artifact["outputs"]["pptx"])
    deck_text = " ".join(s.text_frame.text for slide in deck.slides for s in slide.shapes if s.has_text_frame)
    deck_text += " ".join(c.text for slide in deck.slides for s in slide.shapes if s.has_table
                          for row in s.table.rows for c in row.cells)
    assert "What changed" in deck_text and "Added · Research documents" in deck_text
