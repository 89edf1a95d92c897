"""The production profile on one machine: a real PostgreSQL server (Debian's binaries) for the Dagster
instance and the LLM cost ledger, and a Google Cloud Storage emulator (gcp-storage-emulator) for asset
values, reports and the LLM answer cache, with deploy/dagster.yaml as the instance config.

Company runs go the production way: submitted to the queued run coordinator, launched by a real
`dagster-daemon run` process through a separate code server (`dagster api grpc`), and the daemon is
killed and restarted while they are in flight. LanceDB cannot use this emulator (see
test_lancedb_object_store_reaches_the_emulator_but_cannot_list), so the index uses
CONSULTANTOS_LANCEDB_URI=<local path>, the documented override.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO

BUCKET = "consultantos-test"
PREFIX = "teams/research"
COMPANIES = {"AAPL": "Apple", "NVDA": "NVIDIA", "MSFT": "Microsoft"}
ASSETS = ["company_research", "market_trends", "financials", "research_index", "porter_five_forces",
          "swot", "pestel", "blue_ocean", "synthesis", "insight_index", "report_pdf"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception as exc:  # not up yet
            value, last = None, exc
        else:
            last = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last error: {last!r})")
        time.sleep(interval)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Stop a process started here (in its own session) and everything it started."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# ------------------------------------------------------------------------------------------- servers
def postgres_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(str(Path(which).resolve().parent))
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "postgres").exists():
            return Path(c)
    return None


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, str]]:
    """A throw-away PostgreSQL server on a free loopback port; its socket and data in a temp dir."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (Debian package postgresql) are not installed; .ci/run installs them")
    root = Path(tempfile.mkdtemp(prefix="consultantos-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120)
    log = open(root / "server.log", "wb")  # noqa: SIM115 (open while the server runs)
    server = subprocess.Popen(
        [*as_user, str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(root),
         "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        import psycopg2

        def ready():
            psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres").close()
            return True

        wait_for(ready, 60, "PostgreSQL to accept connections")
        con = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        con.autocommit = True
        con.cursor().execute("CREATE DATABASE dagster")
        con.close()
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_USER": "postgres",
               "DAGSTER_PG_PASSWORD": "unused-with-trust-auth", "DAGSTER_PG_DB": "dagster"}
    finally:
        stop(server, signal.SIGINT)  # fast shutdown
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def gcs() -> Iterator[str]:
    """gcp-storage-emulator on a free port (in memory) with the bucket; yields STORAGE_EMULATOR_HOST."""
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1",
                               "--port", str(port), "--in-memory", "-q"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        from urllib.request import urlopen

        wait_for(lambda: urlopen(host + "/", timeout=2).status == 200, 30, "the GCS emulator")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("STORAGE_EMULATOR_HOST", host)
            from google.cloud import storage

            storage.Client(project="test").create_bucket(BUCKET)
        yield host
    finally:
        stop(server)


@pytest.fixture
def gcs_env(gcs, monkeypatch):
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs)
    from google.cloud import storage

    return storage.Client(project="test").bucket(BUCKET)


def production_env(home: Path, pg: dict[str, str], emulator: str, lancedb: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("CONSULTANTOS_", "DAGSTER_", "GOOGLE_", "GEMINI_", "TAVILY_", "EDGAR_"))}
    return {**keep, **pg,
            "CONSULTANTOS_PROFILE": "production", "CONSULTANTOS_MODE": "offline",
            "CONSULTANTOS_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
            "CONSULTANTOS_GCS_BUCKET": BUCKET, "CONSULTANTOS_GCS_PREFIX": PREFIX,
            "GOOGLE_CLOUD_PROJECT": "consultantos-test", "STORAGE_EMULATOR_HOST": emulator,
            "CONSULTANTOS_LANCEDB_URI": str(lancedb),
            # no torch in the run processes; the embedder is not what this test is about
            "CONSULTANTOS_EMBEDDER": "lexical", "CONSULTANTOS_ANALYST": "rules"}


# ------------------------------------------------------------------------------------------- configuration
def test_profile_is_chosen_by_configuration(monkeypatch, tmp_path):
    from consultantos_assets.defs.io_manager import ModelJsonIOManager
    from consultantos_assets.defs.production import GCSModelJsonIOManager, GCSReportStore, SharedAnalystResource
    from consultantos_assets.defs.resources import AnalystResource, ReportStore, build_resources
    from consultantos_assets.settings import ConfigError

    for key in ("CONSULTANTOS_PROFILE", "CONSULTANTOS_GCS_BUCKET", "CONSULTANTOS_GCS_PREFIX", "CONSULTANTOS_LANCEDB_URI"):
        monkeypatch.delenv(key, raising=False)
    local = build_resources(tmp_path)
    assert type(local["io_manager"]) is ModelJsonIOManager and type(local["reports"]) is ReportStore
    assert type(local["analyst"]) is AnalystResource
    assert local["index"].uri == str(tmp_path / "lancedb")

    monkeypatch.setenv("CONSULTANTOS_PROFILE", "staging")
    with pytest.raises(ConfigError, match="CONSULTANTOS_PROFILE='staging' is not one of local, production"):
        build_resources(tmp_path)
    monkeypatch.setenv("CONSULTANTOS_PROFILE", "production")
    with pytest.raises(ConfigError, match="needs CONSULTANTOS_GCS_BUCKET"):
        build_resources(tmp_path)
    monkeypatch.setenv("CONSULTANTOS_GCS_BUCKET", "Not_A Bucket")
    with pytest.raises(ConfigError, match="is not a bucket name"):
        build_resources(tmp_path)

    monkeypatch.setenv("CONSULTANTOS_GCS_BUCKET", "gs://acme-research/")
    prod = build_resources(tmp_path)
    assert isinstance(prod["io_manager"], GCSModelJsonIOManager)
    assert (prod["io_manager"].gcs_bucket, prod["io_manager"].gcs_prefix) == ("acme-research", "consultantos/assets")
    assert isinstance(prod["reports"], GCSReportStore) and prod["reports"].directory == "consultantos/reports"
    assert isinstance(prod["analyst"], SharedAnalystResource)
    assert prod["analyst"].cache_prefix == "consultantos/llm/cache"
    assert prod["index"].uri == "gs://acme-research/consultantos/lancedb"
    monkeypatch.setenv("CONSULTANTOS_GCS_PREFIX", "/teams/x/")
    monkeypatch.setenv("CONSULTANTOS_LANCEDB_URI", str(tmp_path / "idx"))
    prod = build_resources(tmp_path)
    assert prod["reports"].directory == "teams/x/reports" and prod["index"].uri == str(tmp_path / "idx")

    # the definitions load with the production profile without touching the network
    from consultantos_assets.defs import build_definitions

    assert build_definitions().resolve_job_def("company_report") is not None


def test_lancedb_object_store_reaches_the_emulator_but_cannot_list(gcs, tmp_path):
    """LanceDB's object store (Rust object_store) can be pointed at a GCS emulator through a service
    account file with `gcs_base_url` and `disable_oauth`, plus `allow_http`. It lists objects with the
    XML API (GET /<bucket>?list-type=2), which gcp-storage-emulator does not implement (HTTP 501), so
    the index cannot run on this emulator. This test keeps that statement honest: if a newer emulator
    answers, switch the pipeline test's index to gs://."""
    import lancedb

    account = tmp_path / "emulator-account.json"
    account.write_text(json.dumps({"gcs_base_url": gcs, "disable_oauth": True, "client_email": "",
                                   "private_key": "", "private_key_id": ""}))
    options = {"google_service_account": str(account), "allow_http": "true", "max_retries": "0"}
    with pytest.raises(Exception, match=r"list-type=2.*501|501.*list-type=2") as err:
        lancedb.connect(f"gs://{BUCKET}/lancedb-probe", storage_options=options).table_names()
    assert gcs in str(err.value)  # it did reach the emulator


# ------------------------------------------------------------------------------------------- LLM storage
def test_ledger_in_postgres_and_cache_in_the_bucket(postgres, gcs_env, monkeypatch):
    from consultantos_assets.analysis.llm import CallRecord
    from consultantos_assets.llm_store import GCSAnswerCache, PostgresLedger
    from consultantos_assets.settings import ConfigError, postgres_dsn_from_env

    for k, v in postgres.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("CONSULTANTOS_LEDGER_DSN", raising=False)
    dsn = postgres_dsn_from_env()
    assert "password='unused-with-trust-auth'" in dsn
    with pytest.raises(ConfigError, match="DAGSTER_PG_HOST"):
        postgres_dsn_from_env({k: v for k, v in postgres.items() if k != "DAGSTER_PG_HOST"})

    def row(ticker: str, run: str, cost: float, outcome: str = "model") -> CallRecord:
        fields = {f: None for f in CallRecord.__dataclass_fields__}
        fields.update(run_id=run, asset="swot", ticker=ticker, framework="swot", model="gemini-2.5-flash",
                      prompt_version="v", cache_key="k", outcome=outcome, calls=1, input_tokens=1000,
                      output_tokens=200, latency_s=0.5, cost_usd=cost, invalid_answers=0, http_retries=0,
                      detail="", recorded_at=__import__("datetime").datetime.now(__import__("datetime").UTC))
        return CallRecord(**fields)

    # two ledgers = two machines; both see every row
    a, b = PostgresLedger(dsn), PostgresLedger(dsn)
    a.record(row("AAPL", "r1", 0.01))
    b.record(row("AAPL", "r2", 0.02))
    b.record(row("AAPL", "r2", 0.0, outcome="cache"))
    assert a.spent("AAPL", "run", "r2") == pytest.approx(0.02)
    assert b.spent("AAPL", "total", "") == pytest.approx(0.03)
    assert a.spent("AAPL", "day", "") == pytest.approx(0.03)
    assert a.spent("NVDA", "total", "") == 0
    [total] = a.totals("AAPL")
    assert (total["answers"], total["calls"], total["cache_hits"], total["cost_usd"]) == (3, 3, 1, pytest.approx(0.03))
    with pytest.raises(RuntimeError, match="unreachable") as err:
        PostgresLedger(dsn.replace(postgres["DAGSTER_PG_PORT"], str(free_port())), connect_timeout_s=2).spent(
            "AAPL", "total", "")
    assert "unused-with-trust-auth" not in str(err.value)

    cache = GCSAnswerCache(gcs_env, "cache-test/llm/cache")
    assert cache.get("abc123") is None
    cache.put("abc123", json.dumps({"points": [1, 2]}), {"model": "m"})
    other_machine = GCSAnswerCache(gcs_env, "cache-test/llm/cache")
    assert json.loads(other_machine.get("abc123")) == {"points": [1, 2]}
    assert other_machine.count() == 1
    assert gcs_env.blob("cache-test/llm/cache/ab/abc123.json").exists()
    gcs_env.blob("cache-test/llm/cache/zz/zz9.json").upload_from_string("{not json")
    assert cache.get("zz9") is None
    with pytest.raises(ValueError, match="bad cache key"):
        cache.get("../x")
