"""kill -9 in the middle of writes and of a real `consultantos report`, then recovery: no partial file
where a reader looks, the dead run is marked failed and its pool slots freed, and `--resume`
re-executes only the steps that had not finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg

from consultantos_assets.atomic import is_temp_file, sweep_temp_files
from consultantos_assets.report import verify_pdf

from .test_pipeline import run_captured

FRAMEWORKS = {"porter_five_forces", "swot", "pestel", "blue_ocean"}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TAVILY_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "EDGAR_IDENTITY", "DAGSTER_HOME",
                        "CONSULTANTOS_SNAPSHOT_DIR")}
    env.update(CONSULTANTOS_HOME=str(home), CONSULTANTOS_MODE="offline", CONSULTANTOS_ANALYST="rules")
    return env


def _wait_for(path: Path, needle: str, proc: subprocess.Popen, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if needle in text:
            return text
        if proc.poll() is not None:
            raise AssertionError(f"process ended before {needle!r} appeared:\n{text}")
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} did not appear within {timeout}s")


def test_writer_killed_mid_write_leaves_the_old_file_and_a_sweepable_temp(tmp_path):
    target = tmp_path / "out" / "report.pdf"
    target.parent.mkdir()
    target.write_bytes(b"old complete file")
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import os, time
        from consultantos_assets import atomic
        real_fsync = os.fsync
        def slow_fsync(fd):
            open({str(ready)!r}, "w").close()
            time.sleep(60)
        os.fsync = slow_fsync
        atomic.atomic_write_bytes({str(target)!r}, b"new" * 1_000_000)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert target.read_bytes() == b"old complete file"          # the reader's path is untouched
    temps = [p for p in target.parent.iterdir() if p != target]
    assert len(temps) == 1 and is_temp_file(temps[0]) and temps[0].name.startswith(".report.pdf.")
    assert not list(target.parent.glob("*.pdf"))[1:]             # readers globbing *.pdf see one file
    assert sweep_temp_files([tmp_path]) == temps and not temps[0].exists()
    assert target.read_bytes() == b"old complete file"


def test_sweep_keeps_temp_files_of_live_writers(tmp_path):
    live = tmp_path / f".x.json.{os.getpid()}.abcd1234.tmp"
    live.write_text("{")
    other = tmp_path / "x.json"
    other.write_text("{}")
    assert sweep_temp_files([tmp_path]) == []
    assert live.exists() and other.exists()


def _step_keys(instance: dg.DagsterInstance, run_id: str, event: dg.DagsterEventType) -> set[str]:
    return {r.event_log_entry.dagster_event.step_key
            for r in instance.get_records_for_run(run_id, of_type=event, limit=1000).records}


def test_kill_9_during_a_report_then_resume_from_failure(tmp_path):
    home = tmp_path / "home"
    env = _env(home)
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as fo, err.open("w") as fe:
        proc = subprocess.Popen([sys.executable, "-m", "consultantos_assets.cli", "report", "AAPL"], env=env,
                                stdout=fo, stderr=fe, start_new_session=True)
        try:
            # the step after research_index: its line means research_index's step has ended (its
            # materialization's line alone can come before the step's success is recorded)
            text = _wait_for(out, f"{'blue_ocean':<20} materialized", proc)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)   # the CLI and any helper it started, mid-run
            proc.wait()
    killed = text.split("(run ", 1)[1].split(",", 1)[0]

    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.STARTED   # nobody said otherwise
        done_before = _step_keys(instance, killed, dg.DagsterEventType.STEP_SUCCESS)
        assert {"company_research", "market_trends", "financials", "research_index"} <= done_before
        unfinished = _step_keys(instance, killed, dg.DagsterEventType.STEP_START) - done_before
        held_slots = killed in instance.event_log_storage.get_concurrency_run_ids()

        # nothing half-written where a reader looks: every stored value parses, no temp file is named like one
        stored = list((home / "assets").rglob("*.json"))
        assert {p.parent.name for p in stored} >= {"company_research", "market_trends", "financials",
                                                    "research_index"}
        for p in stored:
            json.loads(p.read_text())
        for p in (home / "reports").rglob("*.pdf") if (home / "reports").exists() else []:
            assert not verify_pdf(p, "Apple Inc."), p

        resumed = run_captured([sys.executable, "-m", "consultantos_assets.cli", "report", "AAPL", "--resume"], env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert f"run {killed} for AAPL was interrupted" in resumed.stderr
        assert f"Resuming run {killed}" in resumed.stdout

        assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
        assert killed not in instance.event_log_storage.get_concurrency_run_ids()
        [child] = [r for r in instance.get_runs() if r.parent_run_id == killed]
        assert child.status == dg.DagsterRunStatus.SUCCESS
        ran_again = _step_keys(instance, child.run_id, dg.DagsterEventType.STEP_START)
        assert not ran_again & done_before, ran_again & done_before     # finished steps are reused
        assert {"synthesis", "insight_index", "report_pdf"} <= ran_again
        assert unfinished <= ran_again
        pdf = Path(resumed.stdout.strip().splitlines()[-1])
        assert pdf.is_file() and not verify_pdf(pdf, "Apple Inc.")
        assert not [p for p in home.rglob("*") if is_temp_file(p)]
        print(f"killed run held pool slots: {held_slots}; unfinished at kill: {sorted(unfinished)}; "
              f"re-executed: {sorted(ran_again)}")
    finally:
        instance.dispose()
