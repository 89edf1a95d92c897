"""The whole graph through the real CLI, a real on-disk Dagster instance and real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from consultantos_assets.report import pdf_text

from .conftest import BUNDLED, artifacts_dir

ASSETS = ["company_profile", "company_research", "market_trends", "financials", "peers", "peer_figures", "evidence", "research_index",
          "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis", "insight_index", "report_pdf"]


def run_captured(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run with output in files, not pipes: a helper process the run leaves behind (Dagster's
    compute-log `tail`) can hold a pipe open after the CLI exits, which would block a pipe reader."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        proc.wait(timeout=600)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())


def cli(home: Path, *args: str, snapshot: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TAVILY_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "EDGAR_IDENTITY", "DAGSTER_HOME")}
    env.update(CONSULTANTOS_HOME=str(home), CONSULTANTOS_MODE="offline")
    env.pop("CONSULTANTOS_SNAPSHOT_DIR", None)
    if snapshot:
        env["CONSULTANTOS_SNAPSHOT_DIR"] = str(snapshot)
    proc = run_captured([sys.executable, "-m", "consultantos_assets.cli", *args], env)
    if check and proc.returncode != 0:
        raise AssertionError(f"consultantos {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def sec_value(concept: str, cik: int, end: str, start: str) -> float:
    """The value straight from the SEC companyfacts JSON, without our extraction code."""
    data = json.loads((BUNDLED / "sec_edgar" / "companyfacts" / f"CIK{cik:010d}.json").read_text())
    rows = data["facts"]["us-gaap"][concept]["units"]["USD"]
    vals = {r["val"] for r in rows if r["end"] == end and r.get("start") == start and r["form"] == "10-K"}
    assert len(vals) == 1, vals
    return float(vals.pop())


def test_definitions_load():
    from consultantos_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {*ASSETS, "portfolio", "evaluation"}
    for k in graph.get_all_asset_keys():
        if k.to_user_string() in ("portfolio", "evaluation"):        # one view across companies
            assert graph.get(k).partitions_def is None
            continue
        assert graph.get(k).partitions_def.name == "companies"
    job = defs.resolve_job_def("company_report")
    assert job.partitions_def.name == "companies"
    checks = {c.name for c in graph.asset_check_keys}
    assert {"fiscal_periods_sane", "report_complete"} <= checks


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory):
    """AAPL and NVDA built at the same time by two processes sharing one instance."""
    home = tmp_path_factory.mktemp("home")
    env_base = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CONSULTANTOS_SNAPSHOT_DIR")}
    env = {**env_base, "CONSULTANTOS_HOME": str(home), "CONSULTANTOS_MODE": "offline"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(("AAPL", "NVDA"), pool.map(
            lambda t: run_captured([sys.executable, "-m", "consultantos_assets.cli", "report", t], env),
            ("AAPL", "NVDA")), strict=True))
    outs = {}
    for t, p in results.items():
        assert p.returncode == 0, f"{t} failed:\n{p.stdout}\n{p.stderr}"
        outs[t] = p.stdout
    return home, outs


def test_report_runs_every_asset_and_prints_pdf_path_last(two_reports):
    home, outs = two_reports
    for out in outs.values():
        lines = out.strip().splitlines()
        pdf = Path(lines[-1])
        assert pdf.is_file() and pdf.suffix == ".pdf" and pdf.is_relative_to(home)
        for asset in ASSETS:
            assert any(asset in line and "materialized" in line for line in lines), (asset, out)
        assert "check fiscal_periods_sane  passed" in out
        assert (pdf.with_suffix(".md")).is_file() and (pdf.with_suffix(".json")).is_file()
        printed = dict(line.split(": ", 1) for line in lines[-5:-1])  # each export, then the PDF
        assert printed == {"markdown": str(pdf.with_suffix(".md")), "json": str(pdf.with_suffix(".json")),
                           "slides": str(pdf.with_suffix(".pptx")), "workbook": str(pdf.with_suffix(".xlsx"))}
        assert all(Path(p).is_file() for p in printed.values())
    # report_pdf's metadata lists every output
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    [record] = instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey("report_pdf"), asset_partitions=["AAPL"]), limit=1).records
    meta = record.asset_materialization.metadata
    assert meta["xlsx_path"].value.endswith("AAPL_report.xlsx") and meta["pptx_path"].value.endswith(".pptx")
    assert all(f"AAPL_report.{ext}" in meta["outputs"].value for ext in ("pdf", "md", "json", "pptx", "xlsx"))


def test_pdf_states_company_and_sec_revenue(two_reports):
    home, outs = two_reports
    pdf = Path(outs["AAPL"].strip().splitlines()[-1])
    pages, text = pdf_text(pdf)
    assert pages >= 8
    flat = " ".join(text.split())
    assert "Apple Inc." in flat
    revenue = sec_value("RevenueFromContractWithCustomerExcludingAssessedTax", 320193, "2024-09-28", "2023-10-01")
    assert revenue == 391_035_000_000
    assert f"${revenue / 1e9:,.1f}B" in flat  # $391.0B in the multi-year table
    if subprocess.run(["which", "pdftoppm"], capture_output=True).returncode == 0:
        out = artifacts_dir("pipeline")
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(out / "AAPL")], check=True)


def test_show_prints_stored_values_in_sec_units(two_reports):
    home, _ = two_reports
    data = json.loads(cli(home, "show", "AAPL", "financials", "--json").stdout)
    fy24 = [f for f in data["annual"] if f["metric"] == "revenue" and f["fiscal_year"] == 2024]
    assert len(fy24) == 1
    f = fy24[0]
    assert f["value"] == 391_035_000_000 and f["unit"] == "USD"
    assert (f["period_start"], f["period_end"]) == ("2023-10-01", "2024-09-28")
    assert f["form"] == "10-K" and f["accession"].startswith("0000320193-")
    eps = [f for f in data["annual"] if f["metric"] == "eps_diluted"]
    assert eps and all(e["unit"] == "USD/shares" for e in eps)
    nv = json.loads(cli(home, "show", "NVDA", "financials", "--json").stdout)
    fy25 = [f for f in nv["annual"] if f["metric"] == "revenue" and f["fiscal_year"] == 2025]
    assert fy25[0]["period_end"] == "2025-01-26"


def test_list_sees_materializations_from_other_processes(two_reports):
    home, _ = two_reports
    out = cli(home, "list").stdout
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:] if line[:1].isupper()}
    assert set(rows) >= {"AAPL", "NVDA"}
    assert all(cell != "-" for cell in rows["AAPL"]), out


def test_company_without_statements_still_gets_a_report(tmp_path):
    out = cli(tmp_path / "home", "report", "MSFT").stdout
    pdf = Path(out.strip().splitlines()[-1])
    _, text = pdf_text(pdf)
    flat = " ".join(text.split())
    assert "Financial statements are missing for MSFT" in flat
    assert "Microsoft" in flat


@pytest.mark.parametrize("bad", ["../etc", "AAPL;rm -rf", "<b>X</b>", "", "A" * 11, "a\tb", "ÄPPLE"])
def test_bad_tickers_are_refused_and_create_nothing(tmp_path, bad):
    home = tmp_path / "home"
    proc = cli(home, "add", bad, check=False)
    assert proc.returncode == 2
    assert "not valid" in proc.stderr or "empty" in proc.stderr or "longer" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "No companies yet" in cli(home, "list").stdout


def test_unknown_company_is_refused(tmp_path):
    home = tmp_path / "home"
    proc = cli(home, "report", "ZZZZZZ", check=False)
    assert proc.returncode == 2 and "unknown company" in proc.stderr.lower()
    assert "No companies yet" in cli(home, "list").stdout


def test_foreign_snapshot_layout_works(tmp_path, shared_data):
    """../shared/data has no companies.csv and a nested trends folder; GOOGL has no submissions file."""
    out = cli(tmp_path / "home", "report", "GOOGL", snapshot=shared_data).stdout
    pdf = Path(out.strip().splitlines()[-1])
    _, text = pdf_text(pdf)
    assert "Alphabet" in " ".join(text.split())


def test_a_portfolio_in_one_command_one_process_or_two_workers(two_reports):
    home, outs = two_reports
    one = cli(home, "report", "AAPL", "NVDA").stdout
    assert one.count("up to date") == 2 * len(ASSETS), one  # both companies are built already: nothing runs
    assert [Path(line) for line in one.splitlines() if line.endswith(".pdf")] == \
        [Path(outs[t].strip().splitlines()[-1]) for t in ("AAPL", "NVDA")]
    two = cli(home, "report", "NVDA", "AAPL", "--jobs", "2").stdout
    assert {line.split("] ", 1)[0] for line in two.splitlines()} == {"[NVDA", "[AAPL"}
    assert two.count("up to date") == 2 * len(ASSETS)
    bad = cli(home, "report", "AAPL", "ZZZZZZ", check=False)
    assert bad.returncode == 2 and "ZZZZZZ" in bad.stderr and "up to date" not in bad.stdout  # refused up front
