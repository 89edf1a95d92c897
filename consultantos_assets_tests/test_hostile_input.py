"""Hostile input wherever a ticker or a document enters: the CLI, request files, the portfolio file,
partition keys added from the UI, and the user's documents. Each bad value gets a clear error, creates
no partition and writes no file; hostile text is rendered literally in every output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from consultantos_assets.cli import main
from consultantos_assets.defs.inputs import InputsResource
from consultantos_assets.defs.partitions import partition_problem
from consultantos_assets.defs.resources import SourcesResource
from consultantos_assets.defs.schedules import evaluate_portfolio
from consultantos_assets.defs.sensors import evaluate_partition_guard, evaluate_requests
from consultantos_assets.models import InvalidTicker, normalize_ticker
from consultantos_assets.settings import AutomationSettings
from consultantos_assets.sources.user_documents import sanitize_filename

from .conftest import BUNDLED

BAD_TICKERS = [
    "../etc", "..\\x", "/abs", "AAPL/../..", ";rm -rf /", "$(x)", "`id`", "A|B", "<b>", "<font size=80>",
    "&amp;", "A\x00B", "\x1b[31mAAPL", "AA\nPL", "AA\tPL", "\u202eLPAA", "\u0410APL", "\uff21APL", "\ufb01", "\u00dfAP",
    "A" * 10_000, "", "   ", "-AAPL", ".AAPL", "1ABC",
]


def _files(home: Path) -> set[str]:
    """Files under the storage root apart from the Dagster instance's own bookkeeping."""
    if not home.exists():
        return set()
    return {str(p.relative_to(home)) for p in home.rglob("*")
            if p.is_file() and not p.relative_to(home).parts[0] == "dagster"}


def _partitions(home: Path) -> list[str]:
    if not (home / "dagster").exists():
        return []
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        return instance.get_dynamic_partitions("companies")
    finally:
        instance.dispose()


@pytest.mark.parametrize("bad", BAD_TICKERS)
def test_ticker_validation_refuses_with_a_readable_reason(bad):
    with pytest.raises(InvalidTicker) as caught:
        normalize_ticker(bad)
    message = str(caught.value)
    assert message.isascii() and message.isprintable() and len(message) < 400, message
    assert "\x1b" not in message and "\x00" not in message and "\u202e" not in message


def test_cli_refuses_every_bad_ticker_and_creates_nothing(offline_env, capsys):
    home = offline_env
    assert main(["add", "AAPL"]) == 0
    capsys.readouterr()
    before_files, before_parts = _files(home), _partitions(home)
    for bad in BAD_TICKERS:
        for argv in (["add", "NVDA", "--", bad], ["report", "--", bad], ["show", "--", bad, "financials"],
                     ["search", "supplier power", f"--ticker={bad}"]):
            assert main(argv) == 2, argv
            err = capsys.readouterr().err
            assert err.startswith("consultantos: error: ticker"), (argv, err)
            assert "Traceback" not in err and "\x1b" not in err and "\x00" not in err and "\u202e" not in err
            assert len(err) < 500
    assert main(["report", "ZZZZ"]) == 2
    assert "unknown company" in capsys.readouterr().err.lower()
    assert main(["add", "AAPL", "ZZZZ"]) == 2         # one unknown company: nothing is added
    capsys.readouterr()
    assert _partitions(home) == before_parts == ["AAPL"]
    assert _files(home) == before_files


def test_a_bad_request_line_is_reported_and_the_good_tickers_still_run(offline_env):
    folder = offline_env / "requests"
    folder.mkdir(parents=True)
    lines = ["AAPL", "../etc", "$(x)", "\x1b[31mNVDA", "A\x00B", "\u202eLPAA", "Z" * 10_000, "ZZZZ", "nvda"]
    path = folder / "watch.txt"
    path.write_text("\n".join(lines) + "\n")
    old = path.stat().st_mtime - 10
    os.utime(path, (old, old))
    settings = AutomationSettings.from_env({})
    sources = SourcesResource(mode="offline")
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance) as ctx:
            first = evaluate_requests(ctx, sources, settings, InputsResource.under(offline_env))
        assert sorted(r.partition_key for r in first.run_requests) == ["AAPL", "NVDA"]
        [add] = first.dynamic_partitions_requests
        assert sorted(add.partition_keys) == ["AAPL", "NVDA"]
        assert path.exists()                              # moved on the next tick, with the reason
        with dg.build_sensor_context(instance=instance, cursor=first.cursor) as ctx:
            second = evaluate_requests(ctx, sources, settings, InputsResource.under(offline_env))
        assert not second.run_requests
    assert not path.exists()
    reason = (folder / "failed" / "watch.txt.reason.txt").read_text()
    assert reason.isascii() and "\x1b" not in reason and "\x00" not in reason
    for shown in ("../etc", "$(x)", "\\x1b[31mNVDA", "A\\x00B", "\\u202eLPAA", "ZZZZ"):
        assert f"{shown}: rejected" in reason, (shown, reason)
    assert "AAPL: accepted" in reason and "NVDA: accepted" in reason
    assert "unknown company" in reason and "longer than 10 characters" in reason
    assert len(reason) < 5000                              # the 10k-character line is cut short
    # a file with nothing but rejections says so in the skip reason instead of "no new request files"
    only_bad = folder / "bad.txt"
    only_bad.write_text("<b>\n")
    os.utime(only_bad, (old, old))
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance) as ctx:
            result = evaluate_requests(ctx, sources, settings, InputsResource.under(offline_env))
        assert not result.run_requests and not result.dynamic_partitions_requests
        assert "bad.txt: accepted none; rejected <b>" in result.skip_reason.skip_message


def test_portfolio_file_with_bad_lines_requests_only_the_valid_companies(offline_env):
    folder = offline_env / "portfolios"
    folder.mkdir(parents=True)
    (folder / "core.txt").write_text("AAPL\n../etc\n`id`\n\x1b[31m\nZZZZ\n")
    settings = AutomationSettings.from_env({"CONSULTANTOS_PORTFOLIO": "core"})
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("companies", ["<b>x"])      # as the UI's Add partition allows
        # a context opened by `with`, as the daemon does: it closes what its `instance` property opens
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.now(UTC)) as ctx:
            requests = evaluate_portfolio(ctx, SourcesResource(mode="offline"), settings, InputsResource.under(offline_env))
            assert [r.partition_key for r in requests] == ["AAPL"]
            assert sorted(instance.get_dynamic_partitions("companies")) == ["<b>x", "AAPL"]
            everything = evaluate_portfolio(ctx, SourcesResource(mode="offline"),
                                            AutomationSettings.from_env({}), InputsResource.under(offline_env))
        assert [r.partition_key for r in everything] == ["AAPL"]         # the invalid key is skipped


def test_partition_guard_removes_keys_added_from_the_ui():
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("companies", ["AAPL", "../etc", "aapl", "<font size=80>", "A\x1bB"])
        with dg.build_sensor_context(instance=instance) as ctx:
            result = evaluate_partition_guard(ctx)
        [delete] = result.dynamic_partitions_requests
        assert sorted(delete.partition_keys) == sorted(["../etc", "aapl", "<font size=80>", "A\x1bB"])
        for key in delete.partition_keys:
            instance.delete_dynamic_partition("companies", key)
        assert instance.get_dynamic_partitions("companies") == ["AAPL"]
        assert "\x1b" not in result.skip_reason.skip_message
        assert "not upper case: the company's partition is 'AAPL'" in result.skip_reason.skip_message
        with dg.build_sensor_context(instance=instance) as ctx:
            again = evaluate_partition_guard(ctx)
        assert not again.dynamic_partitions_requests
    assert partition_problem("BRK-B") is None


@pytest.mark.parametrize("key", ["../etc", "aapl", "<b>X", "A;rm"])
def test_a_bad_ui_partition_fails_the_run_before_any_file_is_written(offline_env, monkeypatch, key):
    from consultantos_assets.defs import build_definitions

    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "lexical")
    job = build_definitions().resolve_job_def("company_report")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("companies", [key])
        result = job.execute_in_process(instance=instance, partition_key=key, raise_on_error=False)
        assert not result.success
        failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
        assert {e.step_key for e in failures} == {"company_profile"}  # the first step; nothing after it runs
        for e in failures:
            message = e.step_failure_data.error.message
            assert "is not a usable company" in message or "is not an upper-case ticker" in message, message
        assert not result.get_asset_materialization_events()
    assert _files(offline_env) == set()


# ------------------------------------------------------------------------------------------ documents
HOSTILE_NAME = "<font size=80>Apple</font> & <b>Co</b> &amp; [x](javascript:1) | Inc."
EVIL_NAME = "evil <i>notes</i>;$(x).md".replace("/", "\u2215")
HOSTILE_DOC = """# Channel check <font color="red" size="80">HUGE</font>

Supplier pricing <b>bold claim</b> &amp; <a href="javascript:alert(1)">click</a> <img src=x onerror=alert(1)>
| broken | table | `code` *stars* _under_ [link](http://example.com) <para>reportlab</para>
"""


def _hostile_snapshot(tmp_path: Path) -> Path:
    snap = tmp_path / "snapshot"
    shutil.copytree(BUNDLED, snap)
    csv_path = snap / "company_metadata" / "companies.csv"
    text = csv_path.read_text()
    assert ",Apple Inc.," in text
    csv_path.write_text(text.replace(",Apple Inc.,", ',"' + HOSTILE_NAME + '",', 1))
    docs = snap / "documents" / "AAPL"
    docs.mkdir(parents=True)
    (docs / EVIL_NAME).write_text(HOSTILE_DOC, encoding="utf-8")
    (docs / "utf16.txt").write_bytes("Supplier concentration in Taiwan remains high.".encode("utf-16"))
    (docs / "latin1.txt").write_bytes("R\u00e9sum\u00e9 of caf\u00e9 channel pricing talks.".encode("latin-1"))
    (docs / "cp1252.txt").write_bytes("Pricing \u201cpower\u201d \u2013 premium tier.".encode("cp1252"))
    (docs / "garbage.txt").write_bytes(bytes(range(256)) * 40)
    (docs / "bad-utf8.md").write_bytes(b"Valid start \xff\xfe\xfd then \x80\x81 ok")
    (docs / "truncated.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj <<")
    with (docs / "huge.txt").open("wb") as fh:                 # 50 MB, sparse: never read
        fh.truncate(50 * 1024 * 1024)
    (docs / "escape.md").symlink_to("/etc/hostname" if Path("/etc/hostname").exists() else "/etc/passwd")
    (snap / "outside.md").write_text("outside the company's folder")
    (docs / "sibling.md").symlink_to(snap / "outside.md")
    return snap


def test_hostile_documents_and_company_name_are_inert_in_every_output(tmp_path, offline_env, monkeypatch):
    from consultantos_assets.defs import build_definitions
    from consultantos_assets.report import pdf_text

    home = offline_env
    monkeypatch.setenv("CONSULTANTOS_SNAPSHOT_DIR", str(_hostile_snapshot(tmp_path)))
    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "lexical")
    monkeypatch.setenv("CONSULTANTOS_ANALYST", "rules")
    job = build_definitions().resolve_job_def("company_report").with_executor_def(dg.in_process_executor)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("companies", ["AAPL"])
        result = job.execute_in_process(instance=instance, partition_key="AAPL", raise_on_error=False)
        assert result.success
        meta = {e.asset_key.to_user_string(): e.materialization.metadata
                for e in result.get_asset_materialization_events()}
        checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["report_complete"], checks

    research = meta["company_research"]
    assert research["user_documents"].value == 5              # evil notes, utf16, latin1, cp1252, bad-utf8
    warnings = research["warning_details"].value
    for name in ("garbage.txt: binary data", "huge.txt: 52,428,800 bytes is over", "truncated.pdf",
                 "escape.md: it points outside", "sibling.md: it points outside",
                 "latin1.txt is not UTF-8", "cp1252.txt is not UTF-8"):
        assert name in warnings.replace("\\_", "_").replace("\\.", "."), (name, warnings)
    assert "<" not in warnings

    report_dir = home / "reports" / "AAPL"
    md = (report_dir / "AAPL_report.md").read_text()
    preview = meta["report_pdf"]["preview"].value
    for text in (md, preview, meta["synthesis"]["summary"].value):
        assert "<font" not in text and "<b>" not in text and "<a href" not in text and "<img" not in text
    assert "&lt;font size=80&gt;Apple&lt;/font&gt;" in md
    assert "skipped document garbage.txt" in md.replace("\\_", "_")         # reaches the report's data gaps
    data = json.loads((report_dir / "AAPL_report.json").read_text())
    assert data["report"]["research"]["profile"]["name"] == HOSTILE_NAME       # data stays data

    _, text = pdf_text(report_dir / "AAPL_report.pdf")
    flat = " ".join(text.split())
    assert HOSTILE_NAME in flat                                              # printed literally
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(report_dir / "AAPL_report.pdf"), "-"], capture_output=True,
                             check=True).stdout.decode()
        assert HOSTILE_NAME in " ".join(out.split())
    notes = [d for d in data["report"]["research"]["documents"] if d["kind"] == "user"]
    evil = next(d for d in notes if d["source"] == sanitize_filename(EVIL_NAME))
    assert '<font color="red" size="80">HUGE</font>' in evil["text"]        # the document as written
    assert "Supplier concentration in Taiwan" in next(d for d in notes if d["source"] == "utf16.txt")["text"]
