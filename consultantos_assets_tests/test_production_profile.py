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
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO

BUCKET = "consultantos-test"
PREFIX = "teams/research"
COMPANIES = ["AAPL", "NVDA", "MSFT"]
ASSETS = ["company_profile", "company_research", "market_trends", "financials", "peers", "peer_figures", "evidence", "research_index",
          "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis", "insight_index", "report_pdf"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except AssertionError:  # a state that waiting will not change
            raise
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
    from consultantos_assets.defs.resources import AnalystResource, ReportStore, build_resources
    from consultantos_assets.defs.resources.production import (
        GCSModelJsonIOManager,
        GCSReportStore,
        SharedAnalystResource,
    )
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

    # the CLI never opens a SQLite instance by accident in production: the instance config must be there
    from consultantos_assets.cli import CliError, ensure_instance_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    with pytest.raises(CliError, match="copy deploy/dagster.yaml there"):
        ensure_instance_home()
    assert not (tmp_path / "dagster" / "dagster.yaml").exists()

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
    from consultantos_assets.analysis.llm_records import CallRecord
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

    # the production analyst resource wires both: the ledger in the instance database, the cache in the bucket
    from consultantos_assets.defs.resources import build_resources

    monkeypatch.setenv("CONSULTANTOS_PROFILE", "production")
    monkeypatch.setenv("CONSULTANTOS_GCS_BUCKET", BUCKET)
    monkeypatch.setenv("CONSULTANTOS_GCS_PREFIX", "wiring-test")
    import dagster as dg

    def analyst():  # resolved as in a run (EnvVar fields read from the environment)
        return dg.build_resources({"analyst": build_resources()["analyst"]})

    with analyst() as r:
        assert r.analyst.ledger().spent("AAPL", "total", "") == pytest.approx(0.03)
        r.analyst.answer_cache().put("def456", json.dumps({"a": 1}), {})
    assert gcs_env.blob("wiring-test/llm/cache/de/def456.json").exists()
    monkeypatch.setenv("CONSULTANTOS_LEDGER_DSN", dsn.replace("dbname='dagster'", "dbname='postgres'"))
    with analyst() as r:
        assert r.analyst.ledger().spent("AAPL", "total", "") == 0  # a database of its own: no rows yet

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


# ------------------------------------------------------------------------------------------- the pipeline
def run_logged(cmd: list[str], env: dict[str, str], log: Path, timeout: float = 180) -> str:
    """Run to completion with output in a file (never a pipe: see test_pipeline.run_captured)."""
    with open(log, "w+") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        finally:
            stop(proc)
        out.seek(0)
        text = out.read()
    if code != 0:
        raise AssertionError(f"{' '.join(cmd[:4])} ... failed ({code}):\n{text[-3000:]}")
    return text


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 (the child writes to it while it runs)
    try:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)
    finally:
        out.close()


# What `dagster instance concurrency set <pool> <n>` (for every pool, as deploy/dagster.yaml asks) and
# `dagster sensor stop <name>` (for every sensor: this test is about the runs it submits; automation has
# its own tests) do, in one process instead of one per call.
SETUP = r"""
import sys
import dagster as dg
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from consultantos_assets.defs.pools import POOL_LIMITS
with dg.DagsterInstance.get() as inst:
    for pool, limit in POOL_LIMITS.items():
        inst.event_log_storage.set_concurrency_slots(pool, limit)
    with WorkspaceProcessContext(inst, WorkspaceFileTarget([sys.argv[1]])) as ctx:
        location = ctx.create_request_context().get_code_location("consultantos_assets")
        for repo in location.get_repositories().values():
            for sensor in repo.get_sensors():
                inst.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
                print("stopped", sensor.name)
"""

INSPECT = r"""
import json, sys
import dagster as dg
from dagster._core.storage.event_log.base import EventRecordsFilter
inst = dg.DagsterInstance.get()
runs = inst.get_runs()
out = {"run_storage": type(inst.run_storage).__name__, "event_log_storage": type(inst.event_log_storage).__name__,
       "runs": [{"id": r.run_id, "status": r.status.value, "partition": r.tags.get("dagster/partition"),
                 "starts": len(inst.get_records_for_run(r.run_id, of_type=dg.DagsterEventType.RUN_START).records)}
                for r in runs],
       "materializations": {}}
for asset in sys.argv[1].split(","):
    recs = inst.fetch_materializations(dg.AssetRecordsFilter(dg.AssetKey(asset)), limit=1000).records
    out["materializations"][asset] = sorted(r.partition_key for r in recs)
print(json.dumps(out))
"""


def test_parallel_company_runs_through_a_restarted_daemon(postgres, gcs, tmp_path):
    """AAPL and NVDA queue, the daemon launches them, is killed (SIGKILL) mid-run, MSFT is submitted
    while no daemon runs, a new daemon launches it; all three complete, once each, into the bucket and
    PostgreSQL, and a fresh process sees everything."""
    import psycopg2
    from google.cloud import storage

    from consultantos_assets.defs.io_manager import model_from_envelope
    from consultantos_assets.report import pdf_text

    started = time.monotonic()
    home = tmp_path / "home"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = production_env(home, postgres, gcs, tmp_path / "lancedb")
    logs = tmp_path / "logs"
    logs.mkdir()
    bin_ = Path(sys.executable).parent
    port = free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n"
                         "      location_name: consultantos_assets\n")
    pg = dict(host=postgres["DAGSTER_PG_HOST"], port=int(postgres["DAGSTER_PG_PORT"]),
              user=postgres["DAGSTER_PG_USER"], dbname=postgres["DAGSTER_PG_DB"])

    def statuses() -> dict[str, str]:
        with contextlib.closing(psycopg2.connect(**pg)) as con, con.cursor() as cur:
            cur.execute("SELECT run_id, status FROM runs")
            return dict(cur.fetchall())

    # the CLI validates the companies and adds them as partitions of the PostgreSQL-backed instance
    out = run_logged([str(bin_ / "consultantos"), "add", *COMPANIES], env, logs / "add.log")
    assert out.count("added") == 3, out
    code_server = start([str(bin_ / "dagster"), "api", "grpc", "-m", "consultantos_assets.definitions",
                         "-h", "127.0.0.1", "-p", str(port)], env, logs / "code_server.log")
    daemon = None
    try:
        wait_for(lambda: subprocess.run([str(bin_ / "dagster"), "api", "grpc-health-check", "-p", str(port)],
                                        capture_output=True, timeout=20).returncode == 0,
                 90, "the code server")
        runs = {t: str(uuid.uuid4()) for t in COMPANIES}
        launch = {t: [str(bin_ / "dagster"), "job", "launch", "-w", str(workspace), "-j", "company_report",
                      "--run-id", runs[t], "--tags", json.dumps({"dagster/partition": t})] for t in COMPANIES}
        setup = [sys.executable, "-c", SETUP, str(workspace)]
        procs = [start(c, env, logs / f"cli-{i}.log") for i, c in enumerate([setup, launch["AAPL"], launch["NVDA"]])]
        for p in procs:
            assert p.wait(timeout=120) == 0, (logs / f"cli-{procs.index(p)}.log").read_text()[-2000:]
        assert statuses() == {runs["AAPL"]: "QUEUED", runs["NVDA"]: "QUEUED"}  # no daemon yet: they wait

        daemon = start([str(bin_ / "dagster-daemon"), "run", "-w", str(workspace)], env, logs / "daemon-1.log")

        def some_step_done():
            assert not {"FAILURE", "CANCELED"} & set(statuses().values()), statuses()
            with contextlib.closing(psycopg2.connect(**pg)) as con, con.cursor() as cur:
                cur.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
                return cur.fetchone()[0] >= 1

        wait_for(some_step_done, 150, "the first materialization of the launched runs")
        assert set(statuses().values()) <= {"STARTING", "STARTED", "SUCCESS"}
        stop(daemon, signal.SIGKILL)  # a crash, not a shutdown
        in_flight = statuses()
        assert "STARTED" in in_flight.values(), in_flight

        # a run submitted while no daemon runs stays queued in PostgreSQL ...
        run_logged(launch["MSFT"], env, logs / "launch-msft.log")
        time.sleep(3)
        assert statuses()[runs["MSFT"]] == "QUEUED"
        # ... until a daemon is back; the runs of the killed daemon's time go on meanwhile
        daemon = start([str(bin_ / "dagster-daemon"), "run", "-w", str(workspace)], env, logs / "daemon-2.log")

        def finished():
            s = statuses()
            assert not {"FAILURE", "CANCELED"} & set(s.values()), s
            return all(v == "SUCCESS" for v in s.values()) and s

        final = wait_for(finished, 240, "all three runs to succeed", interval=1)
        assert set(final) == set(runs.values())
    except BaseException:
        for f in sorted(logs.glob("*.log")):
            print(f"==== {f.name}\n{f.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        if daemon is not None:
            stop(daemon)
        stop(code_server)
    elapsed_runs = time.monotonic() - started

    # a second, fresh process opens the instance from deploy/dagster.yaml and sees every run and value
    seen = json.loads(run_logged([sys.executable, "-c", INSPECT, ",".join(ASSETS)], env, logs / "inspect.log")
                      .strip().splitlines()[-1])
    assert (seen["run_storage"], seen["event_log_storage"]) == ("PostgresRunStorage", "PostgresEventLogStorage")
    assert sorted((r["partition"], r["status"], r["starts"]) for r in seen["runs"]) == \
        [(t, "SUCCESS", 1) for t in sorted(COMPANIES)]
    for asset in ASSETS:  # each asset of each company exactly once: nothing lost, nothing run twice
        assert seen["materializations"][asset] == sorted(COMPANIES), asset
    with contextlib.closing(psycopg2.connect(**pg)) as con, con.cursor() as cur:
        cur.execute("SELECT asset_key, partition, count(*) FROM event_logs "
                    "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' GROUP BY 1, 2")
        rows = cur.fetchall()
    assert len(rows) == len(ASSETS) * len(COMPANIES) and {n for _, _, n in rows} == {1}

    # values, reports, history and step logs are in the bucket; nothing under the local storage root
    from google.auth.credentials import AnonymousCredentials

    client = storage.Client(project="test", credentials=AnonymousCredentials(), client_options={"api_endpoint": gcs})
    bucket = client.bucket(BUCKET)
    names = {b.name for b in client.list_blobs(BUCKET)}
    for t in COMPANIES:
        values = {}
        for asset in ASSETS:
            text = bucket.blob(f"{PREFIX}/assets/{asset}/{t}.json").download_as_text()
            envelope = json.loads(text)
            assert envelope["type"].startswith("consultantos_assets.models.") and envelope["value"]
            values[asset] = model_from_envelope(text, asset)
        report, company = values["report_pdf"], values["company_research"].profile.name
        assert report.path == f"gs://{BUCKET}/{PREFIX}/reports/{t}/{t}_report.pdf"
        assert report.markdown_path == f"gs://{BUCKET}/{PREFIX}/reports/{t}/{t}_report.md"
        pdf = bucket.blob(f"{PREFIX}/reports/{t}/{t}_report.pdf").download_as_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) == report.bytes
        local_pdf = tmp_path / f"{t}.pdf"
        local_pdf.write_bytes(pdf)
        pages, text = pdf_text(local_pdf)
        assert pages == report.pages >= 5 and company in text, (company, text[:300])
        assert f"{PREFIX}/reports/{t}/{t}_report.json" in names
        assert f"{PREFIX}/reports/{t}/history/{report.inputs_hash}.json" in names
    step_logs = {n for n in names if n.startswith(f"{PREFIX}/storage/") and "/compute_logs/" in n}
    assert {n.split("/")[-3] for n in step_logs} == set(runs.values()), "step logs were not uploaded"
    assert not any(n.startswith(("compute-logs/", "storage/")) for n in names)  # all under the prefix
    assert not any(n.startswith(f"{PREFIX}/lancedb") for n in names)  # the index used the local override
    assert (tmp_path / "lancedb").is_dir()
    for local in ("assets", "reports", "llm"):
        assert not (home / local).exists(), f"{home / local} was written in the production profile"

    # the CLI's reader goes through the profile: it shows the value stored in the bucket
    shown = json.loads(run_logged([str(bin_ / "consultantos"), "show", "NVDA", "financials", "--json"], env,
                                  logs / "show.log"))
    assert shown["ticker"] == "NVDA" and shown["annual"]
    print(f"three company runs through the daemon (one restart) took {elapsed_runs:.0f}s")


def test_reports_and_their_history_live_in_the_bucket(gcs_env, tmp_path, monkeypatch):
    """GCSReportStore: rendered locally, kept in the bucket, 'what changed' read back from the bucket."""
    from dagster_gcp.gcs import GCSResource

    from consultantos_assets.defs.resources.production import GCSReportStore
    from consultantos_assets.models import content_hash

    from .report_fixtures import apple_report

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the render directory is temporary and removed
    tempfile.tempdir = None
    try:
        store = GCSReportStore(gcs=GCSResource(project="test"), gcs_bucket=BUCKET, directory="store-test/reports")
        first = apple_report(with_previous=False)
        published = store.publish(first, "Apple Inc.")
        artifact, markdown = published.artifact, published.markdown
        assert published.problems == []  # read back from the bucket
        base = f"gs://{BUCKET}/store-test/reports/AAPL"
        assert (artifact.path, artifact.markdown_path, artifact.json_path) == (
            f"{base}/AAPL_report.pdf", f"{base}/AAPL_report.md", f"{base}/AAPL_report.json")
        assert artifact.compared_with is None and "Apple" in markdown
        assert artifact.outputs == {fmt: f"{base}/AAPL_report.{fmt}" for fmt in ("pdf", "md", "json", "pptx", "xlsx")}
        deck = gcs_env.blob("store-test/reports/AAPL/AAPL_report.pptx")
        deck.reload()
        assert deck.content_type == "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        assert deck.download_as_bytes()[:2] == b"PK"
        assert gcs_env.blob("store-test/reports/AAPL/AAPL_report.xlsx").exists()
        assert store.verify(artifact, "Apple Inc.") == []
        assert gcs_env.blob(f"store-test/reports/AAPL/history/{content_hash(first)}.json").exists()

        # the same inputs again: nothing to compare with; changed inputs: compared with the first
        again = store.publish(first, "Apple Inc.").artifact
        assert again.compared_with is None and again.sha256 == artifact.sha256
        later = apple_report(with_previous=False, as_of=first.as_of.replace(year=first.as_of.year + 1))
        published = store.publish(later, "Apple Inc.")
        changed, markdown = published.artifact, published.markdown
        assert changed.compared_with == content_hash(first) and "What changed" in markdown
        pdf = gcs_env.blob("store-test/reports/AAPL/AAPL_report.pdf").download_as_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) == changed.bytes

        gcs_env.blob("store-test/reports/AAPL/AAPL_report.pdf").delete()
        assert any("does not exist" in p for p in store.verify(changed, "Apple Inc."))
        assert list(tmp_path.iterdir()) == []  # no render or verify directory left behind
    finally:
        tempfile.tempdir = None


# ------------------------------------------------------------------------------------------- circuit breakers
@pytest.fixture
def breaker_db(postgres, monkeypatch) -> str:
    """A database of its own (the DSN of the production profile's ledger and breakers), profile production."""
    import psycopg2

    name = f"breakers_{uuid.uuid4().hex[:8]}"
    con = psycopg2.connect(host="127.0.0.1", port=int(postgres["DAGSTER_PG_PORT"]), user="postgres", dbname="postgres")
    con.autocommit = True
    con.cursor().execute(f"CREATE DATABASE {name}")
    con.close()
    for k, v in postgres.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DAGSTER_PG_DB", name)
    monkeypatch.delenv("CONSULTANTOS_LEDGER_DSN", raising=False)
    monkeypatch.setenv("CONSULTANTOS_PROFILE", "production")
    monkeypatch.setenv("CONSULTANTOS_GCS_BUCKET", BUCKET)
    from consultantos_assets.settings import postgres_dsn_from_env

    return postgres_dsn_from_env()


def _hammer(dsn: str, n: int, start, out) -> None:
    """One run process: n failures on one service, n failure+success pairs on another."""
    from consultantos_assets.sources.breaker import CircuitBreaker, PostgresBreakerStore

    store = PostgresBreakerStore(dsn)
    counted = CircuitBreaker("SEC EDGAR", store, threshold=10**6)
    flapping = CircuitBreaker("Tavily", store, threshold=10**6)
    start.wait(60)
    began = time.perf_counter()
    for _ in range(n):
        counted.record_failure("HTTP 503")
        flapping.record_failure("timeout")
        flapping.record_success()
    out.put(time.perf_counter() - began)


def _open_breaker(dsn: str) -> None:
    from consultantos_assets.sources.breaker import CircuitBreaker, PostgresBreakerStore

    breaker = CircuitBreaker("Yahoo Finance", PostgresBreakerStore(dsn), threshold=3)
    for _ in range(3):
        breaker.record_failure("HTTP 429")


def _claim_trials(dsn: str, services: list[str], start, out) -> None:
    """Races another process for the half-open trial of each service, in step with it."""
    from consultantos_assets.sources.base import CircuitOpen
    from consultantos_assets.sources.breaker import CircuitBreaker, PostgresBreakerStore

    store = PostgresBreakerStore(dsn)
    for service in services:
        breaker = CircuitBreaker(service, store, threshold=1)
        start.wait(60)
        try:
            breaker.before_call()
        except CircuitOpen:
            out.put((service, os.getpid(), False))
        else:
            out.put((service, os.getpid(), True))


def test_breakers_are_shared_through_postgres(breaker_db, tmp_path, monkeypatch, capsys):
    """Production breakers live in PostgreSQL: two processes lose no update, a breaker one process opens
    is open for another, one of two racing processes gets the half-open trial, the CLI shows and resets
    them."""
    import multiprocessing
    from datetime import UTC, datetime, timedelta

    from consultantos_assets.cli import main
    from consultantos_assets.defs.resources import breaker_store, build_resources
    from consultantos_assets.sources.base import CircuitOpen
    from consultantos_assets.sources.breaker import BreakerState, CircuitBreaker, JsonBreakerStore, PostgresBreakerStore
    from consultantos_assets.sources.registry import plan_providers

    monkeypatch.setenv("CONSULTANTOS_HOME", str(tmp_path))
    store = breaker_store(tmp_path)  # the profile picks the store, for the guards and the CLI alike
    assert isinstance(store, PostgresBreakerStore) and store.location == \
        f"PostgreSQL table consultantos_breakers (127.0.0.1/{os.environ['DAGSTER_PG_DB']})"
    plans = plan_providers(build_resources(tmp_path, resolve_env=True)["sources"].settings())
    assert plans["research"].guard.breaker.store is store  # the resources hand the providers the same store
    assert build_resources(tmp_path, resolve_env=True)["sources"].breaker_store() is store  # and the CLI's
    assert isinstance(breaker_store(tmp_path, {"CONSULTANTOS_PROFILE": "local"}), JsonBreakerStore)
    assert store.states() == {}

    ctx = multiprocessing.get_context("spawn")
    # two processes, each 150 failures on one service and 150 failure+success pairs on another, at once
    n = 150
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(breaker_db, n, start, out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    seconds = max(out.get(timeout=5) for _ in procs)
    states = store.states()
    assert states["SEC EDGAR"] == BreakerState("SEC EDGAR", 2 * n, "HTTP 503")  # no update lost
    assert states["Tavily"] == BreakerState("Tavily")  # each process's last word was a success
    with capsys.disabled():
        print(f"2 processes x {3 * n} breaker updates in {seconds:.2f}s ({2 * 3 * n / seconds:.0f} updates/s)")

    # opened by one process, open for another
    opener = ctx.Process(target=_open_breaker, args=(breaker_db,))
    opener.start()
    opener.join(60)
    assert opener.exitcode == 0
    here = CircuitBreaker("Yahoo Finance", PostgresBreakerStore(breaker_db), threshold=3)
    with pytest.raises(CircuitOpen, match=r"Yahoo Finance: skipped, circuit breaker open until .* after 3 failures "
                                          r"\(HTTP 429\)"):
        here.before_call()

    # half-open: of two processes asking at the same moment, exactly one makes the trial call
    services = [f"trial-{i}" for i in range(20)]
    cooled = datetime.now(UTC) - timedelta(seconds=1)
    for s in services:
        store.update(s, lambda state, s=s: BreakerState(s, 3, "HTTP 503", open_until=cooled))
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_claim_trials, args=(breaker_db, services, start, out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    claims = [out.get(timeout=5) for _ in range(2 * len(services))]
    for s in services:
        assert sorted(ok for service, _, ok in claims if service == s) == [False, True], s
    winners = {pid for _, pid, ok in claims if ok}
    with capsys.disabled():
        print(f"half-open trials won by {len(winners)} distinct process(es) over {len(services)} races")
    assert store.states()["trial-0"].status(datetime.now(UTC)) == "trial"

    # the CLI shows and resets the production store
    capsys.readouterr()
    assert main(["breakers"]) == 0
    shown = capsys.readouterr().out
    assert "Yahoo Finance   open" in shown and "SEC EDGAR       closed" in shown and "trial-0" in shown
    assert main(["breakers", "--reset", "yahoo finance"]) == 0
    assert capsys.readouterr().out == "Yahoo Finance: closed\n"
    here.before_call()  # closed again, for every process
    assert PostgresBreakerStore(breaker_db).states()["Yahoo Finance"] == BreakerState("Yahoo Finance")
    assert main(["breakers", "--reset", "all"]) == 0
    assert all(s == BreakerState(name) for name, s in store.states().items())
    assert main(["breakers", "--reset", "nothing-like-it"]) == 2


def test_breakers_without_their_database_do_not_stop_calls(breaker_db, monkeypatch, caplog, capsys):
    """A breaker database that refuses connections, or accepts and never answers: the call goes ahead
    as if the breaker were closed, within the connect timeout, and later calls do not wait again."""
    from consultantos_assets.cli import main
    from consultantos_assets.sources.breaker import CircuitBreaker, PostgresBreakerStore

    port = os.environ["DAGSTER_PG_PORT"]
    with socket.socket() as silent:  # a listener that never accepts: the TCP handshake completes, then nothing
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        for bad_port in (str(free_port()), str(silent.getsockname()[1])):
            dsn = breaker_db.replace(f"port='{port}'", f"port='{bad_port}'")
            breaker = CircuitBreaker("SEC EDGAR", PostgresBreakerStore(dsn, connect_timeout_s=2), threshold=1)
            began = time.monotonic()
            caplog.clear()
            breaker.before_call()  # not refused
            first = time.monotonic() - began
            breaker.record_failure("HTTP 503")  # not recorded, no wait: the store backs off
            breaker.before_call()
            rest = time.monotonic() - began - first
            assert first < 6 and rest < 0.5, (bad_port, first, rest)
            warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
            assert warnings and all("calling as if the breaker were closed" in w for w in warnings)
            assert not any("unused-with-trust-auth" in w for w in warnings)
            with capsys.disabled():
                print(f"breaker database on port {bad_port} unusable: first call went ahead after {first:.2f}s, "
                      f"the next two after {rest * 1000:.1f} ms")

            # the CLI says where the state is and that it cannot be reached (exit 2, no password)
            monkeypatch.setenv("CONSULTANTOS_LEDGER_DSN", dsn)
            capsys.readouterr()
            assert main(["breakers"]) == 2
            err = capsys.readouterr().err
            assert "circuit breakers in PostgreSQL table consultantos_breakers" in err, err
            assert "unused-with-trust-auth" not in err


# ------------------------------------------------------------------------------------------- outside a run
def test_cli_search_embeds_the_query_with_the_key_itself(tmp_path, monkeypatch, capsys):
    """Definitions hold dg.EnvVar references (resolved by Dagster when a run starts); the CLI resolves
    them itself, so `consultantos search` hands the Gemini embedder the key, not the variable's name."""
    from consultantos_assets.cli import main
    from consultantos_assets.defs.resources import build_resources
    from consultantos_assets.index.embedders import GeminiEmbedder
    from consultantos_assets.index.store import ChunkStore

    from .fake_gemini import FakeGemini
    from .test_index import corpus, semantic_vector

    home = tmp_path / "home"
    for key in ("CONSULTANTOS_PROFILE", "CONSULTANTOS_LANCEDB_URI", "GOOGLE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CONSULTANTOS_HOME", str(home))
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "gemini")
    fake = FakeGemini(key="test-key", embed=semantic_vector).start()  # answers only the key "test-key"
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
    try:
        ChunkStore(home / "lancedb", GeminiEmbedder("test-key")).replace_company("AAPL", corpus())
        indexed = len(fake.requests)
        import dagster as dg

        assert isinstance(build_resources()["index"].gemini_api_key, dg.EnvVar)  # for runs: a reference
        assert build_resources(resolve_env=True)["index"].gemini_api_key == "test-key"
        capsys.readouterr()
        code = main(["search", "phone maker", "--mode", "vector", "-k", "1"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "1 hit(s) for 'phone maker' (vector, embedder gemini-gemini-embedding-001-768)" in out
        assert "[doc:phones]" in out
        assert len(fake.requests) == indexed + 1  # the query, embedded by the fake with the right key
    finally:
        fake.stop()
