"""Automation: per-company freshness conditions, data-version-aware downstream, the requests and
new-filings sensors and the portfolio schedule. Offline; time is moved by evaluation_time."""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from consultantos_assets.defs import build_definitions
from consultantos_assets.defs.automation import PROFILE_ASSET, SOURCE_ASSETS
from consultantos_assets.defs.inputs import InputsResource
from consultantos_assets.defs.pools import POOLS
from consultantos_assets.defs.resources import SourcesResource
from consultantos_assets.defs.schedules import evaluate_portfolio
from consultantos_assets.defs.sensors import evaluate_filings, evaluate_requests, read_tickers
from consultantos_assets.settings import AutomationSettings, ConfigError, parse_duration

from .conftest import BUNDLED

DOWNSTREAM = {"research_index", "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis", "report_pdf"}


@pytest.fixture
def env(offline_env, monkeypatch):
    for var in ("CONSULTANTOS_FRESHNESS_RESEARCH", "CONSULTANTOS_FRESHNESS_TRENDS",
                "CONSULTANTOS_FRESHNESS_FINANCIALS", "CONSULTANTOS_PORTFOLIO"):
        monkeypatch.delenv(var, raising=False)
    return offline_env


@pytest.fixture
def instance(env):
    with dg.instance_for_test() as inst:
        yield inst


@pytest.fixture(scope="module")
def defs():
    return build_definitions()


def _all_assets(defs) -> set[str]:
    """The company graph (the unpartitioned portfolio view aside)."""
    graph = defs.resolve_asset_graph()
    return {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).partitions_def is not None}


def record(instance, asset: str, ticker: str, version: str = "v1", at: datetime | None = None) -> None:
    """A materialization with a data version, stamped at simulated time `at` (what a finished run leaves)."""
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
    from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID

    mat = dg.AssetMaterialization(asset_key=asset, partition=ticker, tags={"dagster/data_version": version})
    event = DagsterEvent(event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value, job_name=RUNLESS_JOB_NAME,
                         event_specific_data=StepMaterializationData(mat))
    instance.report_dagster_event(event, run_id=RUNLESS_RUN_ID, timestamp=(at or datetime.now(UTC)).timestamp())


def record_check(instance, check: dg.AssetCheckKey, ticker: str, passed: bool) -> None:
    """One company's result of a check on its latest materialization, as the asset's step reports it
    (Dagster counts a partition's check result only while it targets the latest materialization)."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )
    from dagster._core.events import DagsterEvent, DagsterEventType
    from dagster._core.instance.utils import RUNLESS_JOB_NAME

    [latest] = instance.fetch_materializations(
        dg.AssetRecordsFilter(check.asset_key, asset_partitions=[ticker]), limit=1).records
    target = AssetCheckEvaluationTargetMaterializationData(
        storage_id=latest.storage_id, run_id=latest.run_id, timestamp=latest.timestamp)
    evaluation = dg.AssetCheckEvaluation(asset_key=check.asset_key, check_name=check.name, passed=passed,
                                         partition=ticker, target_materialization_data=target)
    event = DagsterEvent(event_type_value=DagsterEventType.ASSET_CHECK_EVALUATION.value, job_name=RUNLESS_JOB_NAME,
                         event_specific_data=evaluation)
    # each result under its own run id, as each run's step reports it (one result per check, run and company)
    instance.report_dagster_event(event, run_id=uuid.uuid4().hex, timestamp=latest.timestamp + 0.001)


def record_company(instance, defs, ticker: str, version: str = "v1", at: datetime | None = None) -> None:
    for asset in sorted(_all_assets(defs)):
        record(instance, asset, ticker, version, at)
    for check in defs.resolve_asset_graph().asset_check_keys:
        record_check(instance, check, ticker, passed=True)


def requested(result) -> dict[str, set[str]]:
    """ticker -> requested asset names."""
    out: dict[str, set[str]] = {}
    for r in result.results:
        if isinstance(r.key, dg.AssetKey):
            for pk in result.get_requested_partitions(r.key):
                if pk is not None:       # the unpartitioned portfolio view: test_portfolio covers it
                    out.setdefault(pk, set()).add(r.key.to_user_string())
    return out


# ------------------------------------------------------------------------------------ configuration
def test_every_source_has_its_window_policy_and_pool(defs):
    graph = defs.resolve_asset_graph()
    windows = AutomationSettings.from_env({}).windows
    assert windows == {"company_research": timedelta(days=1), "market_trends": timedelta(days=7),
                       "financials": timedelta(days=91)}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        assert node.automation_condition is not None, name
        if name in SOURCE_ASSETS:
            assert node.freshness_policy == dg.FreshnessPolicy.time_window(fail_window=windows[name])
    ops = {n.name: n.definition for n in defs.resolve_job_def("company_report").graph.node_dict.values()}
    for asset, pool in POOLS.items():
        assert ops[asset].pool == pool, asset
    sensors = {s.name: s for s in defs.sensors}
    assert sensors["company_automation"].default_status == dg.DefaultSensorStatus.RUNNING
    assert not sensors["company_automation"].emit_backfills


def test_windows_from_environment():
    s = AutomationSettings.from_env({"CONSULTANTOS_FRESHNESS_RESEARCH": "6h", "CONSULTANTOS_PORTFOLIO": "core"})
    assert s.windows["company_research"] == timedelta(hours=6) and s.portfolio == "core"
    assert parse_duration("2w") == timedelta(days=14)
    with pytest.raises(ConfigError, match="one minute"):
        parse_duration("30s")
    with pytest.raises(ConfigError, match="not a duration"):
        AutomationSettings.from_env({"CONSULTANTOS_FRESHNESS_TRENDS": "weekly"})


# ------------------------------------------------------------------------------------ automation
def two_built_companies(instance, defs):
    """AAPL and MSFT built and fresh; the first tick requests nothing. Returns (now, that tick)."""
    instance.add_dynamic_partitions("companies", ["AAPL", "MSFT"])
    record_company(instance, defs, "AAPL")
    record_company(instance, defs, "MSFT")
    now = datetime.now(UTC)
    r0 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now)
    assert requested(r0) == {}
    return now, r0


def test_stale_fresh_new_and_identical_refresh(instance, defs):
    now, r0 = two_built_companies(instance, defs)     # tick 0: everything fresh

    # a new company: all its sources (and the chain behind them, in the same run)
    instance.add_dynamic_partitions("companies", ["NVDA"])
    r1 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now + timedelta(minutes=1),
                                           cursor=r0.cursor)
    assert set(requested(r1)) == {"NVDA"}
    assert requested(r1)["NVDA"] == _all_assets(defs)     # one run: sources and the chain behind them
    record_company(instance, defs, "NVDA", at=now + timedelta(minutes=2))      # its run finished

    # two days later: research (1 day) is stale for every company; trends (7 d) and financials are not
    r2 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now + timedelta(days=2),
                                           cursor=r1.cursor)
    assert requested(r2) == {t: {"company_research"} for t in ("AAPL", "MSFT", "NVDA")}

    # AAPL's and NVDA's refreshes fetched identical data, MSFT's fetched new data
    t2 = now + timedelta(days=2, seconds=30)
    record(instance, "company_research", "AAPL", "v1", t2)
    record(instance, "company_research", "NVDA", "v1", t2)
    record(instance, "company_research", "MSFT", "v2", t2)
    r3 = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                           evaluation_time=now + timedelta(days=2, minutes=1), cursor=r2.cursor)
    got = requested(r3)
    assert "AAPL" not in got, "identical data must not rerun analysis or the report"
    assert "NVDA" not in got
    assert {"research_index", "synthesis", "report_pdf", "swot"} <= got["MSFT"]
    assert not set(SOURCE_ASSETS) & got["MSFT"]

    # MSFT's downstream run finished; next tick nothing more; eight days on, trends are stale too
    for asset in DOWNSTREAM & _all_assets(defs):
        record(instance, asset, "MSFT", "v2", t2 + timedelta(seconds=50))
    r4 = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                           evaluation_time=now + timedelta(days=2, minutes=2), cursor=r3.cursor)
    assert requested(r4) == {}
    r5 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now + timedelta(days=8),
                                           cursor=r4.cursor)
    assert requested(r5)["AAPL"] == {"company_research", "market_trends"}


def test_the_profile_refreshes_with_the_financials_and_only_a_changed_one_rereads_the_sources(instance, defs):
    """The profile is due in the financials' window (91 days); a lookup that returns the same profile
    (same data version) requests nothing more; a changed profile has the three sources and the peers
    read it again."""
    now, r0 = two_built_companies(instance, defs)
    windows = AutomationSettings.from_env({}).windows
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(PROFILE_ASSET)).freshness_policy == \
        dg.FreshnessPolicy.time_window(fail_window=windows["financials"])

    assert graph.get(dg.AssetKey(PROFILE_ASSET)).automation_condition.label == "refresh when stale (91d)"
    at = now + timedelta(hours=1)   # AAPL's profile looked up again (a new company table): the same profile
    record(instance, PROFILE_ASSET, "AAPL", "v1", at)
    r2 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=at + timedelta(minutes=1),
                                           cursor=r0.cursor)
    assert "AAPL" not in requested(r2)

    # MSFT's profile is looked up again too, and changed
    record(instance, PROFILE_ASSET, "MSFT", "v2", at + timedelta(minutes=2))
    r3 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=at + timedelta(minutes=3),
                                           cursor=r2.cursor)
    # the sources and the peers read it again (and, as on any peers request, the chain behind the peers)
    assert set(requested(r3)) == {"MSFT"}
    assert {*SOURCE_ASSETS, "peers"} <= requested(r3)["MSFT"] and PROFILE_ASSET not in requested(r3)["MSFT"]
    for asset in requested(r3)["MSFT"]:          # MSFT's run finished
        record(instance, asset, "MSFT", "v1", at + timedelta(minutes=4))
    r4 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=at + timedelta(minutes=5),
                                           cursor=r3.cursor)
    assert requested(r4) == {}


def test_checks_are_per_company(defs):
    graph = defs.resolve_asset_graph()
    checks = {k: graph.get(k) for k in graph.asset_check_keys}
    assert {k.name for k in checks} == {"fiscal_periods_sane", "figures_grounded", "report_complete"}
    for key, node in checks.items():
        assert node.partitions_def is not None and node.partitions_def.name == "companies", key


def test_one_companys_failed_check_holds_back_only_that_company(instance, defs):
    """AAPL's swot grounding check failed. A change of MSFT's research requests everything that reads it
    (9 assets, as when nothing failed; not the profile, the peers nor their figures, which read only the
    profile); AAPL's own synthesis waits for its swot check."""
    now, r0 = two_built_companies(instance, defs)

    record_check(instance, dg.AssetCheckKey(dg.AssetKey("swot"), "figures_grounded"), "AAPL", passed=False)
    record(instance, "company_research", "MSFT", "v2", now + timedelta(seconds=10))
    r1 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now + timedelta(minutes=1),
                                           cursor=r0.cursor)
    assert requested(r1) == {"MSFT": _all_assets(defs) - {*SOURCE_ASSETS, PROFILE_ASSET, "peers", "peer_figures"}}
    assert len(requested(r1)["MSFT"]) == 9

    # AAPL's porter analysis changed: synthesis, insight_index and report_pdf depend on swot, whose
    # check failed for AAPL, so nothing runs for AAPL; the same change for MSFT runs its chain
    def finished(asset: str, ticker: str, version: str) -> None:      # a step: its value and its checks
        record(instance, asset, ticker, version, now + timedelta(minutes=2))
        for check in defs.resolve_asset_graph().asset_check_keys:
            if check.asset_key == dg.AssetKey(asset):
                record_check(instance, check, ticker, passed=True)

    for asset in requested(r1)["MSFT"]:     # MSFT's requested run finished
        finished(asset, "MSFT", "v2")
    r1b = dg.evaluate_automation_conditions(defs=defs, instance=instance,
                                            evaluation_time=now + timedelta(minutes=2, seconds=30), cursor=r1.cursor)
    assert requested(r1b) == {}
    finished("porter_five_forces", "AAPL", "v2")
    finished("porter_five_forces", "MSFT", "v3")
    r2 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now + timedelta(minutes=3),
                                           cursor=r1b.cursor)
    assert "AAPL" not in requested(r2)
    assert requested(r2)["MSFT"] == {"synthesis", "insight_index", "report_pdf"}

    # AAPL's swot passes again (a re-run): its held-back chain follows
    record(instance, "swot", "AAPL", "v2", now + timedelta(minutes=4))
    record_check(instance, dg.AssetCheckKey(dg.AssetKey("swot"), "figures_grounded"), "AAPL", passed=True)
    r3 = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=now + timedelta(minutes=5),
                                           cursor=r2.cursor)
    assert requested(r3).get("AAPL") == {"synthesis", "insight_index", "report_pdf"}


# ------------------------------------------------------------------------------------ requests sensor
def _sources(snapshot=None) -> SourcesResource:
    return SourcesResource(mode="offline", snapshot_dir=str(snapshot) if snapshot else None)


def _tick(instance, fn, cursor=None, **kw):
    with dg.build_sensor_context(instance=instance, cursor=cursor) as ctx:   # closed as the daemon does
        result = fn(ctx, **kw)
    for req in result.dynamic_partitions_requests or []:     # what the daemon does with them
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return result


def _drop(folder, name: str, text: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    old = time.time() - 10
    os.utime(path, (old, old))
    return path


def test_requests_folder_validates_adds_requests_and_moves(instance, env):
    folder = env / "requests"
    settings = AutomationSettings.from_env({})
    _drop(folder, "batch.txt", "nvda\nbad$$\nZZZZ9  # not a company\n")

    def run(cursor=None):
        return _tick(instance, evaluate_requests, cursor, sources=_sources(), settings=settings,
                     inputs=InputsResource.under(folder.parent))

    r1 = run()
    assert instance.get_dynamic_partitions("companies") == ["NVDA"]
    assert [(r.partition_key, r.asset_selection) for r in r1.run_requests] == [("NVDA", None)]
    key = r1.run_requests[0].run_key
    assert key.startswith("request:") and key.endswith(":NVDA")
    assert (folder / "batch.txt").exists()          # moved once the tick that read it is committed

    r2 = run(r1.cursor)                             # a restart with the cursor reprocesses nothing
    assert not r2.run_requests
    assert not (folder / "batch.txt").exists()
    reason = (folder / "failed" / "batch.txt.reason.txt").read_text()
    assert "NVDA: accepted" in reason and "bad$$: rejected" in reason and "ZZZZ9: rejected" in reason
    assert "unknown company" in reason
    assert (folder / "failed" / "batch.txt").exists()
    r3 = run(r2.cursor)
    assert not r3.run_requests and json.loads(r3.cursor) == {"handled": {}}


def test_duplicate_request_files_are_harmless(instance, env, defs):
    folder = env / "requests"
    settings = AutomationSettings.from_env({})
    _drop(folder, "a.txt", "AAPL\n")
    _drop(folder, "b.csv", "ticker,note\nAAPL,again\n")

    def run(cursor=None):
        return _tick(instance, evaluate_requests, cursor, sources=_sources(), settings=settings,
                     inputs=InputsResource.under(folder.parent))

    r1 = run()
    assert [r.partition_key for r in r1.run_requests] == ["AAPL"]      # one run, not two
    r2 = run(r1.cursor)
    assert sorted(p.name for p in (folder / "done").iterdir()) == ["a.txt", "a.txt.reason.txt", "b.csv",
                                                                    "b.csv.reason.txt"]
    # the same file again once AAPL is built and fresh: accepted, nothing requested
    record_company(instance, defs, "AAPL")
    _drop(folder, "a.txt", "AAPL\n")
    r3 = run(r2.cursor)
    assert not r3.run_requests
    run(r3.cursor)
    reasons = sorted((folder / "done").glob("a.*.txt.reason.txt"))
    assert reasons and "nothing requested (fresh" in reasons[-1].read_text()


def test_read_tickers_formats():
    assert read_tickers("AAPL, msft;NVDA\n# comment\n\nTSLA # note", ".txt") == ["AAPL", "msft", "NVDA", "TSLA"]
    assert read_tickers("name,symbol\nApple,AAPL\nNvidia,NVDA\n", ".csv") == ["AAPL", "NVDA"]
    assert read_tickers("AAPL\nNVDA\n", ".csv") == ["AAPL", "NVDA"]


# ------------------------------------------------------------------------------------ filings sensor
def test_new_filing_in_snapshot_requests_financials(instance, env, tmp_path):
    snap = tmp_path / "snap"
    shutil.copytree(BUNDLED, snap)
    instance.add_dynamic_partitions("companies", ["AAPL"])
    record(instance, "financials", "AAPL")
    src = _sources(snap)

    r1 = _tick(instance, evaluate_filings, None, sources=src)
    assert not r1.run_requests                      # first look: the baseline
    baseline = json.loads(r1.cursor)["AAPL"]

    path = snap / "sec_edgar" / "submissions" / "CIK0000320193.json"
    payload = json.loads(path.read_text())
    recent = payload["filings"]["recent"]
    n = len(recent["accessionNumber"])
    new_row = {"accessionNumber": "0000320193-99-000001", "form": "8-K", "filingDate": "2099-01-02",
               "reportDate": "2099-01-02", "primaryDocument": "x.htm", "primaryDocDescription": "8-K",
               "items": "2.02"}
    for col, values in recent.items():
        if isinstance(values, list) and len(values) == n:
            values.insert(0, new_row.get(col, values[0] if not isinstance(values[0], str) else ""))
    path.write_text(json.dumps(payload))

    r2 = _tick(instance, evaluate_filings, r1.cursor, sources=src)
    assert [(r.partition_key, r.run_key) for r in r2.run_requests] == [("AAPL", "filing:AAPL:0000320193-99-000001")]
    assert {k.to_user_string() for k in r2.run_requests[0].asset_selection} == {"financials", "company_research"}
    assert json.loads(r2.cursor)["AAPL"] != baseline
    r3 = _tick(instance, evaluate_filings, r2.cursor, sources=src)     # restart with the cursor
    assert not r3.run_requests


# ------------------------------------------------------------------------------------ schedule
def test_portfolio_schedule_requests_only_stale(instance, env, defs):
    instance.add_dynamic_partitions("companies", ["AAPL", "MSFT"])
    record_company(instance, defs, "AAPL")
    record_company(instance, defs, "MSFT")
    settings = AutomationSettings.from_env({})
    now = datetime.now(UTC)

    def tick(when, s=settings):
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=when) as ctx:
            return evaluate_portfolio(ctx, _sources(), s, InputsResource.under(env))

    fresh = tick(now + timedelta(hours=1))
    assert isinstance(fresh, dg.SkipReason) and "nothing stale" in fresh.skip_message

    later = tick(now + timedelta(days=10))
    assert {r.partition_key: {k.to_user_string() for k in r.asset_selection} for r in later} == {
        "AAPL": {"company_research", "market_trends"}, "MSFT": {"company_research", "market_trends"}}
    assert len({r.run_key for r in later}) == 2

    # a named portfolio: a new valid company is added and built; a bad line is reported, not fatal
    (env / "portfolios").mkdir(parents=True)
    (env / "portfolios" / "core.txt").write_text("AAPL\nNVDA\nbad$$\n")
    named = AutomationSettings.from_env({"CONSULTANTOS_PORTFOLIO": "core"})
    runs = tick(now + timedelta(hours=1), named)
    assert [(r.partition_key, r.asset_selection) for r in runs] == [("NVDA", None)]
    assert "NVDA" in instance.get_dynamic_partitions("companies")
    missing = tick(now, AutomationSettings.from_env({"CONSULTANTOS_PORTFOLIO": "nope"}))
    assert isinstance(missing, dg.SkipReason) and "not found" in missing.skip_message
