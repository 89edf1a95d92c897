"""The worker pool (consultantos_assets.workers): the report's outputs and the index written in worker
processes are the same as written here, a dead worker costs nothing but time, and bad settings are
refused."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from consultantos_assets import workers
from consultantos_assets.index.embedders import StaticEmbedder
from consultantos_assets.index.store import ChunkStore
from consultantos_assets.index.writer import replace_company_anywhere
from consultantos_assets.report import write_exports
from consultantos_assets_tests.report_fixtures import apple_report

from .conftest import REPO
from .test_index import corpus


@pytest.fixture
def pool():
    workers.shutdown()
    assert workers.warm(2)
    yield
    workers.shutdown()


def _digests(directory) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_exports_rendered_in_workers_are_byte_identical_to_rendering_here(tmp_path, pool):
    report = apple_report()
    there = write_exports(report, tmp_path / "pool", "AAPL_report")
    workers.shutdown()
    here = write_exports(report, tmp_path / "here", "AAPL_report")
    assert set(_digests(tmp_path / "pool")) == {f"AAPL_report.{x}" for x in ("pdf", "md", "json", "pptx", "xlsx")}
    assert _digests(tmp_path / "pool") == _digests(tmp_path / "here")
    assert (there.pdf.pages, there.pdf.sha256) == (here.pdf.pages, here.pdf.sha256)
    assert there.pdf.sha256 == hashlib.sha256((tmp_path / "pool" / "AAPL_report.pdf").read_bytes()).hexdigest()


def test_calls_run_in_other_processes_and_errors_come_back(pool):
    pids = {workers.call(os.getpid) for _ in range(6)}
    assert os.getpid() not in pids
    with pytest.raises(FileNotFoundError):
        workers.call("consultantos_assets.report.verify:pdf_text", REPO / "no-such-file.pdf")


def test_a_killed_worker_makes_the_call_here_and_later_calls_too(pool, caplog):
    os.kill(workers.call(os.getpid), signal.SIGKILL)
    caplog.set_level(logging.WARNING, logger="consultantos_assets.workers")
    answers = [workers.call(os.getpid) for _ in range(3)]
    assert answers[-1] == os.getpid()  # the pool is broken: the call ran here
    assert not workers.active()
    assert "worker process died" in caplog.text


def test_the_index_written_in_a_worker_is_the_one_read_here(tmp_path, pool):
    store = ChunkStore(tmp_path / "index", StaticEmbedder())
    chunks = corpus()
    result = replace_company_anywhere(store, "AAPL", chunks, "research")
    assert (result.rows, result.embedded, result.inserted) == (len(chunks), len(chunks), len(chunks))
    stored = store._existing().to_arrow()
    assert sorted(stored["id"].to_pylist()) == sorted(c.id for c in chunks)
    workers.shutdown()
    here = ChunkStore(tmp_path / "index-here", StaticEmbedder()).replace_company("AAPL", chunks)
    there_vectors = dict(zip(stored["id"].to_pylist(), stored["vector"].to_pylist(), strict=True))
    here_rows = ChunkStore(tmp_path / "index-here", StaticEmbedder())._existing().to_arrow()
    assert here.rows == result.rows
    assert dict(zip(here_rows["id"].to_pylist(), here_rows["vector"].to_pylist(), strict=True)) == there_vectors


def loaded(module: str) -> bool:
    """Whether `module` is loaded in the process this runs in (called in workers by name)."""
    return module in sys.modules


def test_each_lane_loads_its_own_libraries_and_only_the_index_lane_lancedb(pool):
    here = f"{__name__}:loaded"
    assert workers.call(here, "lancedb", lane="index")
    assert not workers.call(here, "lancedb", lane="office")
    assert workers.call(here, "pptx", lane="office") and workers.call(here, "xlsxwriter", lane="office")
    assert not workers.call(here, "pptx", lane="index")  # each library loads where it is used
    assert workers.call(os.getpid, lane="index") != workers.call(os.getpid, lane="office")
    with pytest.raises(ValueError, match="no worker lane 'gpu'"):
        workers.submit(os.getpid, lane="gpu")


def test_one_worker_serves_both_lanes():
    workers.shutdown()
    try:
        assert workers.warm(1)
        assert workers.call(os.getpid, lane="index") == workers.call(os.getpid, lane="office") != os.getpid()
    finally:
        workers.shutdown()


@pytest.mark.parametrize("value", ["two", "-1"])
def test_a_bad_worker_count_is_refused_with_the_setting_named(monkeypatch, value):
    monkeypatch.setenv(workers.ENV, value)
    with pytest.raises(ValueError, match=workers.ENV):
        workers.default_workers()


def test_no_pool_when_set_to_zero_and_the_calls_run_here(monkeypatch):
    workers.shutdown()
    monkeypatch.setenv(workers.ENV, "0")
    assert not workers.warm()
    assert workers.call(os.getpid) == os.getpid()


def test_the_calling_process_never_loads_the_renderers_or_lancedb(tmp_path):
    """What a `consultantos report` process gains: reportlab, python-pptx, XlsxWriter, pypdf, LanceDB and
    pyarrow load in the workers only (the Markdown, the JSON and the run's metadata need none of them)."""
    code = textwrap.dedent(f"""
        import sys
        from consultantos_assets import workers
        from consultantos_assets.index.embedders import StaticEmbedder
        from consultantos_assets.index.store import ChunkStore
        from consultantos_assets.index.writer import replace_company_anywhere
        from consultantos_assets.report import write_exports
        from consultantos_assets_tests.report_fixtures import apple_report
        from consultantos_assets_tests.test_index import corpus
        from consultantos_assets.defs.resources.local import ReportStore

        if __name__ == "__main__":
            assert workers.warm(2)
            write_exports(apple_report(), {str(tmp_path)!r}, "AAPL_report")
            published = ReportStore(directory={str(tmp_path / "reports")!r}).publish(apple_report(), "Apple Inc.")
            assert published.problems == [], published.problems  # read back in the worker
            replace_company_anywhere(ChunkStore({str(tmp_path / "index")!r}, StaticEmbedder()), "AAPL", corpus(),
                                     "research")
            from consultantos_assets.defs.company_graph import md_escape
            md_escape("Apple | Inc.")  # the run's metadata
            from consultantos_assets.report.verify import verify_pdf  # light: pypdf loads on use
            heavy = ("reportlab", "pptx", "xlsxwriter", "pypdf", "lancedb", "pyarrow")
            loaded = sorted(m for m in heavy if m in sys.modules)
            print("loaded:", ",".join(loaded) or "none")
    """)
    script = tmp_path / "probe.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "loaded: none" in out.stdout
    assert "fork support is experimental" not in out.stderr  # LanceDB is never loaded before a fork


def test_the_cli_refuses_a_bad_worker_count_before_anything_runs(offline_env):
    env = {**os.environ, workers.ENV: "two"}
    out = subprocess.run([sys.executable, "-m", "consultantos_assets.cli", "report", "AAPL"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "CONSULTANTOS_WORKERS must be a whole number" in out.stderr
    assert not (offline_env / "reports").exists()


def test_workers_of_a_killed_process_end_with_it(tmp_path):
    """kill -9 (or the OOM killer) of a `consultantos` process leaves no worker behind waiting for work."""
    import time

    script = tmp_path / "owner.py"
    script.write_text(textwrap.dedent("""
        import os, sys, time
        from consultantos_assets import workers

        if __name__ == "__main__":
            workers.warm(2)
            print(" ".join(str(workers.call(os.getpid)) for _ in range(8)), flush=True)
            time.sleep(600)
    """))
    owner = subprocess.Popen([sys.executable, str(script)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    pids = {int(p) for p in owner.stdout.readline().split()}
    assert pids and owner.pid not in pids
    owner.kill()
    owner.wait()

    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        stat = f"/proc/{pid}/stat"
        return not os.path.exists(stat) or open(stat).read().rsplit(")", 1)[1].split()[0] != "Z"

    deadline = time.monotonic() + 15
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if alive(p)]


def test_the_cli_starts_its_workers_early_only_for_a_report_it_will_build(offline_env, monkeypatch):
    """`consultantos report` starts the workers as soon as the companies are known when a report is
    surely built (none stored, or --force), so their libraries load while the instance opens; when a
    report is stored, the run's plan decides (a re-run that builds nothing starts no worker)."""
    import argparse

    from consultantos_assets.cli import report as cli_report

    started: list[bool] = []
    monkeypatch.setattr(workers, "warm", lambda *a, **k: started.append(True) or True)

    def warms(tickers: list[str], force: bool = False) -> bool:
        started.clear()
        cli_report._warm_if_building(argparse.Namespace(force=force), tickers)
        return bool(started)

    assert warms(["AAPL"])  # nothing stored
    stored = offline_env / "assets" / "report_pdf" / "AAPL.json"
    stored.parent.mkdir(parents=True)
    stored.write_text("{}")
    assert not warms(["AAPL"])
    assert warms(["AAPL"], force=True)
    assert warms(["AAPL", "MSFT"])  # one of them has no report yet
    monkeypatch.setenv("CONSULTANTOS_PROFILE", "production")
    monkeypatch.setenv("CONSULTANTOS_GCS_BUCKET", "reports-bucket")
    assert not warms(["MSFT"])  # values live in the bucket: the plan decides


def test_the_index_worker_starts_with_the_static_model_read(tmp_path):
    """The fork server reads the static model's vectors and tokenizer when the index will embed with
    it, so the first index write of a run does not; with another embedder configured it reads none.
    (A process has one fork server, started with the environment of the first pool: one process per case.)"""
    script = tmp_path / "probe.py"
    script.write_text(textwrap.dedent("""
        from consultantos_assets import workers


        def reads() -> int:
            from consultantos_assets.index import local_embedders

            return local_embedders._static_table.cache_info().currsize


        if __name__ == "__main__":
            assert workers.warm(2)
            print("static models read:", workers.call(reads, lane="index"))
    """))
    for embedder, expected in (("", 1), ("lexical", 0)):
        env = {**os.environ, "CONSULTANTOS_MODE": "offline", "CONSULTANTOS_EMBEDDER": embedder}
        out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-3000:]
        assert f"static models read: {expected}" in out.stdout
