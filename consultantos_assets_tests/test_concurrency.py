"""Several runs at once, for different companies and for the same one: the asset store, the LLM
ledger (DuckDB) and the research index (LanceDB) stay consistent (no lost or duplicated rows) and no
lock error reaches the user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pytest

from consultantos_assets.index.chunking import insight_chunks, research_chunks
from consultantos_assets.index.embedders import LexicalHashEmbedder
from consultantos_assets.index.store import ChunkStore
from consultantos_assets.index.tables import retry_conflicts
from consultantos_assets.llm_store import DuckDBLedger
from consultantos_assets.models import Chunk
from consultantos_assets.report import verify_pdf

from .conftest import REPO
from .test_crash_recovery import _env
from .test_pipeline import run_captured


def _chunks(ticker: str, n: int, tag: str = "") -> list[Chunk]:
    return [Chunk(id=f"{ticker}:{tag}{i}", ticker=ticker, kind="profile", source="test", evidence_id=f"doc:{i}",
                  date="2024-06-01", text=f"{ticker} {tag}paragraph {i} about suppliers and pricing") for i in range(n)]


def test_threads_replacing_the_same_and_other_companies_lose_and_duplicate_nothing(tmp_path):
    uri = tmp_path / "db"
    jobs = [("AAPL", 40), ("AAPL", 40), ("AAPL", 40), ("NVDA", 25), ("NVDA", 25), ("MSFT", 10)]
    barrier = threading.Barrier(len(jobs))

    def write(job):
        ticker, n = job
        store = ChunkStore(uri, LexicalHashEmbedder())   # one store per writer, as in separate runs
        barrier.wait()
        return store.replace_company(ticker, _chunks(ticker, n))

    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(write, jobs))
    assert all(r.rows == n for r, (_, n) in zip(results, jobs, strict=True))
    store = ChunkStore(uri, LexicalHashEmbedder())
    rows = store.rows()
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 75
    assert {t: store.count(t) for t in ("AAPL", "NVDA", "MSFT")} == {"AAPL": 40, "NVDA": 25, "MSFT": 10}
    # all three AAPL writers together inserted each row once
    assert sum(r.inserted for r, (t, _) in zip(results, jobs, strict=True) if t == "AAPL") == 40


class _HeldEmbedder(LexicalHashEmbedder):
    """Lexical vectors, but each embedding waits until the test lets it go (a slow remote embedder)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding, self.go = threading.Event(), threading.Event()

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.embedding.set()
        assert self.go.wait(30), "the test never let the embedding finish"
        return super().embed(texts)


def test_a_slow_embedding_does_not_hold_other_companies_writes(tmp_path):
    """The lock covers the commit and the index upkeep, not the embedding: while one company's chunks
    wait on the embedder (Gemini's round trip), another company's write to the same table goes through."""
    uri = tmp_path / "db"
    ChunkStore(uri, LexicalHashEmbedder()).replace_company("MSFT", _chunks("MSFT", 5))  # the table exists
    held = _HeldEmbedder()
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(ChunkStore(uri, held).replace_company, "AAPL", _chunks("AAPL", 8))
        assert held.embedding.wait(30)
        other = pool.submit(ChunkStore(uri, LexicalHashEmbedder()).replace_company, "NVDA", _chunks("NVDA", 6))
        try:
            assert other.result(timeout=30).rows == 6   # done while AAPL's embedding is still held
            assert not slow.done()
        finally:
            held.go.set()
        assert slow.result(timeout=30).rows == 8
    store = ChunkStore(uri, LexicalHashEmbedder())
    assert {t: store.count(t) for t in ("AAPL", "NVDA", "MSFT")} == {"AAPL": 8, "NVDA": 6, "MSFT": 5}
    # the held writer embedded its own chunks only, and found none of them stored
    assert slow.result().embedded == 8


def test_commit_conflicts_are_retried_and_other_errors_are_not():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("Retryable commit conflict for version 7: This UpdateConfig transaction was "
                               "preempted by concurrent transaction Merge at version 7")
        return "committed"

    assert retry_conflicts(flaky, "AAPL/research", base_delay_s=0.001) == "committed" and len(calls) == 3

    def broken():
        calls.append(1)
        raise ValueError("schema mismatch")

    calls.clear()
    with pytest.raises(ValueError, match="schema mismatch"):
        retry_conflicts(broken, "AAPL/research", base_delay_s=0.001)
    assert len(calls) == 1


LEDGER_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from consultantos_assets.analysis.llm_records import CallRecord
    from consultantos_assets.llm_store import DuckDBLedger
    path, ticker, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    while not go.exists():
        time.sleep(0.01)
    ledger = DuckDBLedger(path)
    for i in range(15):
        ledger.record(CallRecord(run_id=f"run-{ticker}", asset="swot", ticker=ticker, framework="swot",
                                 model="m", prompt_version="1", cache_key=f"k{i}", outcome="model", calls=1,
                                 input_tokens=10, output_tokens=5, latency_s=0.01, cost_usd=0.001))
        ledger.spent(ticker, "run", f"run-{ticker}")
""")


def test_ledger_written_by_several_processes_at_once_loses_no_row(tmp_path):
    path, go = tmp_path / "ledger.duckdb", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", LEDGER_WRITER, str(path), t, str(go)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for t in ("AAPL", "AAPL2", "NVDA")]
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
    rows = DuckDBLedger(path).query("SELECT ticker, COUNT(*) AS n, COUNT(DISTINCT cache_key) AS k "
                                    "FROM llm_calls GROUP BY ticker ORDER BY ticker")
    assert rows == [{"ticker": t, "n": 15, "k": 15} for t in ("AAPL", "AAPL2", "NVDA")]


def test_two_reports_for_the_same_company_at_once(tmp_path):
    """Two `consultantos report AAPL` started together on one storage root and instance."""
    home = tmp_path / "home"
    env = _env(home)
    with ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(lambda _: run_captured(
            [sys.executable, "-m", "consultantos_assets.cli", "report", "AAPL"], env), range(2)))
    for p in procs:
        assert p.returncode == 0, p.stdout + p.stderr
        assert "Traceback" not in p.stderr and "locked" not in p.stderr.lower(), p.stderr
    pdf = Path(procs[0].stdout.strip().splitlines()[-1])
    assert pdf == Path(procs[1].stdout.strip().splitlines()[-1])
    assert not verify_pdf(pdf, "Apple Inc.")
    for p in (home / "assets").rglob("*.json"):
        json.loads(p.read_text())
    assert len(list((home / "reports" / "AAPL" / "history").glob("*.json"))) == 1

    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    try:
        assert instance.get_dynamic_partitions("companies") == ["AAPL"]
        runs = instance.get_runs(dg.RunsFilter(job_name="company_report"))
        # each CLI launches one run, or two when it finds the sources partly built by the other
        # (stale sources first, then what they make stale): two to four runs, every one a success
        assert 2 <= len(runs) <= 4 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    finally:
        instance.dispose()

    # the index holds each chunk of the company exactly once, as one run alone would leave it
    from consultantos_assets.defs.io_manager import load_value
    from consultantos_assets.defs.resources import IndexResource

    values = {a: load_value(home / "assets", a, "AAPL") for a in (
        "company_research", "evidence", "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis")}
    expected = {c.id for c in research_chunks(values["company_research"], values["evidence"].items)}
    expected |= {c.id for c in insight_chunks(values["porter_five_forces"], values["swot"], values["pestel"],
                                              values["blue_ocean"], values["synthesis"])}
    store = IndexResource(uri=str(home / "lancedb"), embedder="static").store()
    ids = [r["id"] for r in store.rows("AAPL")]
    assert len(ids) == len(set(ids)), "duplicated rows"
    assert set(ids) == expected
