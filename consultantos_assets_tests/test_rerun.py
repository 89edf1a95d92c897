"""`consultantos report` materializes only what is not up to date: a second report with nothing changed
runs nothing, a document dropped into the snapshot re-runs exactly its dependants (and the report says
what changed), a source refresh that returns identical data spares everything downstream, and --force
rebuilds the whole graph."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation

from consultantos_assets.report import pdf_text

from .conftest import BUNDLED
from .test_pipeline import ASSETS, cli

SOURCES = ["company_profile", "company_research", "market_trends", "financials"]


def states(out: str) -> dict[str, str]:
    """asset -> 'materialized' | 'up to date', from the CLI's progress lines."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"\[\s*\d+/\d+\] (\w+)\s+(materialized|up to date)", line)
        if m:
            assert m.group(1) not in found, f"{m.group(1)} reported twice:\n{out}"
            found[m.group(1)] = m.group(2)
    assert set(found) == set(ASSETS), out
    return found


def run_count(home: Path) -> int:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        return len(instance.get_runs())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """AAPL built once from a copy of the bundled snapshot that the tests may change."""
    root = tmp_path_factory.mktemp("rerun")
    snapshot, home = root / "snapshot", root / "home"
    shutil.copytree(BUNDLED, snapshot)
    first = cli(home, "report", "AAPL", snapshot=snapshot).stdout
    assert set(states(first).values()) == {"materialized"}
    assert "What changed" not in " ".join(pdf_text(Path(first.strip().splitlines()[-1]))[1].split())
    return home, snapshot


def test_second_report_runs_nothing_and_prints_the_pdf_last(built):
    home, snapshot = built
    runs = run_count(home)
    out = cli(home, "report", "AAPL", snapshot=snapshot).stdout
    assert set(states(out).values()) == {"up to date"}, out
    pdf = Path(out.strip().splitlines()[-1])
    assert pdf.name == "AAPL_report.pdf" and pdf.is_file()
    assert run_count(home) == runs, "nothing changed, so no run may be launched"


def test_force_rebuilds_the_whole_graph_with_an_identical_pdf(built):
    home, snapshot = built
    pdf = Path(cli(home, "report", "AAPL", snapshot=snapshot).stdout.strip().splitlines()[-1])
    before = pdf.read_bytes()
    out = cli(home, "report", "AAPL", "--force", snapshot=snapshot).stdout
    assert set(states(out).values()) == {"materialized"}
    assert pdf.read_bytes() == before  # identical inputs give a byte-identical PDF
    # (runs before the tests below change the snapshot: a refreshed source has a new retrieval time,
    # which the sources appendix shows)


def test_a_new_document_reruns_exactly_what_depends_on_it(built):
    home, snapshot = built
    docs = snapshot / "documents" / "AAPL"
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "channel-check.md").write_text(
        "# Channel check <b>Q3</b>\n\nDistributors report steady demand for services & wearables.\n",
        encoding="utf-8")
    out = cli(home, "report", "AAPL", snapshot=snapshot).stdout
    # company_research reads documents/; the profile, the other sources and the peers (which read only the
    # profile) do not, and every asset below the evidence depends on it
    assert states(out) == {a: "up to date" if a in ("company_profile", "market_trends", "financials", "peers",
                                                     "peer_figures") else "materialized" for a in ASSETS}
    flat = " ".join(pdf_text(Path(out.strip().splitlines()[-1]))[1].split())
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
    assert set(states(cli(home, "report", "AAPL", snapshot=snapshot).stdout).values()) == {"up to date"}


def test_a_refresh_with_identical_data_spares_everything_downstream(built):
    home, snapshot = built
    prices = snapshot / "prices_daily" / "AAPL.csv"
    st = prices.stat()
    os.utime(prices, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # touched, same bytes
    got = states(cli(home, "report", "AAPL", snapshot=snapshot).stdout)
    assert got == {a: "materialized" if a == "financials" else "up to date" for a in ASSETS}


@pytest.mark.parametrize("suffix", [".pdf", ".xlsx"])
def test_a_deleted_output_is_rebuilt(built, suffix):
    home, snapshot = built
    pdf = Path(cli(home, "report", "AAPL", snapshot=snapshot).stdout.strip().splitlines()[-1])
    pdf.with_suffix(suffix).unlink()
    got = states(cli(home, "report", "AAPL", snapshot=snapshot).stdout)
    assert got == {a: "materialized" if a == "report_pdf" else "up to date" for a in ASSETS}
    assert pdf.with_suffix(suffix).is_file()


def test_pinned_peers_rerun_the_peers_and_what_follows_not_the_sources(built):
    home, snapshot = built
    (snapshot / "peers").mkdir(exist_ok=True)
    (snapshot / "peers" / "AAPL.txt").write_text("# hardware\nDELL\nNTAP\nSTX\n", encoding="utf-8")
    got = states(cli(home, "report", "AAPL", snapshot=snapshot).stdout)
    assert got == {a: "up to date" if a in SOURCES else "materialized" for a in ASSETS}
    peers = json.loads(cli(home, "show", "AAPL", "peers", "--json").stdout)
    assert [p["ticker"] for p in peers["peers"]] == ["DELL", "NTAP", "STX"]
    assert {p["basis"] for p in peers["peers"]} == {"pinned"}
    assert set(states(cli(home, "report", "AAPL", snapshot=snapshot).stdout).values()) == {"up to date"}
