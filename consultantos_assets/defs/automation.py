"""Freshness policies, automation conditions and concurrency pools, applied to the graph in one place.

The asset store is the cache. Each source has a window (AutomationSettings.windows): a company's
source partition is due when its latest materialization is older than the window, or missing.
Freshness policies (dg.FreshnessPolicy.time_window) show the same windows as asset health in the UI;
they judge the asset, not a company, and launch nothing, so per-company refresh comes from the
automation conditions below, evaluated per partition by the automation sensor.

Profile:     (missing | older than the financials' window) & not in progress & latest run did not fail
Sources:     (missing | older than window) & not in progress & latest run for it did not fail,
             or the profile's data version changed outside this source's own run
Downstream:  since last handled: (newly missing | an upstream data version changed outside this
             asset's own run | a non-source upstream is requested this tick)
             & no upstream missing or in progress & not in progress
             & every blocking check of every upstream passed for this company (or runs this tick)

Sources return content-hash data versions, so a refresh that fetched identical data leaves the data
version unchanged: nothing downstream is requested (no analysis, no model calls, no new PDF).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import dagster as dg

from ..settings import AutomationSettings

log = logging.getLogger(__name__)

SOURCE_ASSETS: tuple[str, ...] = ("company_research", "market_trends", "financials")
# the company looked up once per run, upstream of the sources and the peers
PROFILE_ASSET = "company_profile"
# assets whose requests do not chain what reads them: it waits for their data version to change
SOURCES = dg.AssetSelection.assets(PROFILE_ASSET, *SOURCE_ASSETS)
# assets that record the fingerprint of the snapshot files they read (sources/fingerprint.py)
FINGERPRINTED_ASSETS: tuple[str, ...] = (PROFILE_ASSET, *SOURCE_ASSETS, "peers", "peer_figures")
# other assets that hold fetched data, refreshed within the window of the named source (a profile
# rarely changes: it is looked up again as often as the financials)
WINDOW_OF: dict[str, str] = {PROFILE_ASSET: "financials", "peer_figures": "financials"}



# --------------------------------------------------------------------------------- conditions
class MaterializedOlderThan(dg.AutomationCondition[dg.AssetKey]):
    """True for each partition whose latest materialization is older than `window` at evaluation time.

    Partitions never materialized are not included (`missing()` covers them). There is no built-in
    per-partition age operand in Dagster 1.13 (freshness_failed() is asset-wide and
    cron_tick_passed() is calendar-based), hence this subclass; it is evaluated in the code server
    (the automation sensor sets use_user_code_server=True).
    """

    def __init__(self, window: timedelta):
        self.window = window

    @property
    def name(self) -> str:
        return f"materialized_older_than({_fmt(self.window)})"

    @property
    def description(self) -> str:
        return f"Latest materialization of this company is older than {_fmt(self.window)}"

    def evaluate(self, context: dg.AutomationContext) -> dg.AutomationResult:
        cutoff = (context.evaluation_time - self.window).timestamp()
        view = context.asset_graph_view
        stale = context.get_empty_subset()
        for ts, subset in view.compute_subsets_by_latest_materialization_timestamp(context.candidate_subset).items():
            if ts < cutoff:
                stale = stale.compute_union(subset)
        return dg.AutomationResult(context=context, true_subset=stale.compute_intersection(context.candidate_subset))


def source_condition(window: timedelta) -> dg.AutomationCondition:
    """Refresh one company's source when it is missing or older than its window, never while in progress."""
    due = (dg.AutomationCondition.missing() | MaterializedOlderThan(window)).with_label(
        f"missing or older than {_fmt(window)}")
    return (
        due
        & ~dg.AutomationCondition.in_progress()
        & ~dg.AutomationCondition.execution_failed().with_label("latest run failed (retried by schedule or CLI)")
    ).with_label(f"refresh when stale ({_fmt(window)})")


def _upstream_data_changed() -> dg.AutomationCondition:
    ac = dg.AutomationCondition
    return ac.any_deps_match(
        (ac.data_version_changed() & ~ac.executed_with_root_target()).with_label("data version changed elsewhere")
    ).with_label("upstream data version changed")


def profile_changed_condition() -> dg.AutomationCondition:
    """A source reads the company's profile again when its data version changed (an unchanged profile
    refreshes nothing)."""
    ac = dg.AutomationCondition
    return (_upstream_data_changed().since_last_handled() & ~ac.any_deps_missing() & ~ac.any_deps_in_progress()
            & ~ac.in_progress()).with_label("on a changed profile")


def downstream_condition() -> dg.AutomationCondition:
    """Run when an upstream data version really changed, or a non-source upstream runs in the same run."""
    ac = dg.AutomationCondition
    data_changed = _upstream_data_changed()
    chained = ac.any_deps_match(ac.will_be_requested()).ignore(SOURCES).with_label("upstream analysis requested")
    # the checks are partitioned like their assets (defs/company_graph.py company_check), so this reads each
    # company's own results: one company's failed check never holds back another's analysis. A check
    # of an upstream requested on this tick counts as passing; inside the run Dagster stops what follows
    # a failing blocking check
    return (
        (ac.newly_missing() | data_changed | chained).since_last_handled()
        & ~ac.any_deps_missing()
        & ~ac.any_deps_in_progress()
        & ~ac.in_progress()
        & ac.all_deps_blocking_checks_passed()
    ).with_label("on upstream data change")


def portfolio_condition(cron: str = "0 * * * *") -> dg.AutomationCondition:
    """The portfolio view: when a company's report is written, and hourly (source ages move on)."""
    ac = dg.AutomationCondition
    return (
        (ac.newly_missing() | ac.any_deps_updated() | ac.cron_tick_passed(cron)).since_last_handled()
        & ~ac.in_progress()
    ).with_label("on a new report, and hourly")


def evaluation_condition() -> dg.AutomationCondition:
    """The evaluation: when a company's report is written (the portfolio schedule's runs write them)."""
    ac = dg.AutomationCondition
    return ((ac.newly_missing() | ac.any_deps_updated()).since_last_handled() & ~ac.in_progress()
            ).with_label("on a new report")


# --------------------------------------------------------------------------------- one place
def freshness_policy(window: timedelta) -> dg.FreshnessPolicy:
    return dg.FreshnessPolicy.time_window(fail_window=window)


def apply_automation(assets: Iterable, settings: AutomationSettings) -> list:
    """Attach freshness policies and automation conditions to the loaded assets definitions."""

    def attach(spec: dg.AssetSpec) -> dg.AssetSpec:
        name = spec.key.to_user_string()
        if name == "portfolio":
            return spec.replace_attributes(automation_condition=portfolio_condition())
        if name == "evaluation":
            return spec.replace_attributes(automation_condition=evaluation_condition())
        if name in settings.windows:  # a source: by age, and when the profile it reads changed
            window = settings.windows[name]
            condition = source_condition(window)
            if spec.deps:
                condition = (condition | profile_changed_condition()).with_label(
                    f"refresh when stale ({_fmt(window)}) or the profile changed")
            return spec.replace_attributes(freshness_policy=freshness_policy(window), automation_condition=condition)
        if name in WINDOW_OF and not spec.deps:  # fetched data read by the sources: by age
            window = settings.windows[WINDOW_OF[name]]
            return spec.replace_attributes(freshness_policy=freshness_policy(window),
                                           automation_condition=source_condition(window))
        if name in WINDOW_OF:  # fetched data downstream of a source: refreshed by age and by upstream change
            window = settings.windows[WINDOW_OF[name]]
            return spec.replace_attributes(
                freshness_policy=freshness_policy(window),
                automation_condition=(downstream_condition() | source_condition(window)).with_label(
                    f"on upstream data change, or older than {_fmt(window)}"))
        return spec.replace_attributes(automation_condition=downstream_condition())

    out = []
    for a in assets:
        out.append(a.map_asset_specs(attach) if isinstance(a, dg.AssetsDefinition) else a)
    return out


def automation_sensor(settings: AutomationSettings) -> dg.AutomationConditionSensorDefinition:
    with warnings.catch_warnings():  # use_user_code_server is beta in 1.13; it runs the custom condition
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _automation_sensor(settings)


def _automation_sensor(settings: AutomationSettings) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        "company_automation",
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=settings.automation_interval,
        emit_backfills=False,          # one run per company, not a backfill per tick
        use_user_code_server=True,     # MaterializedOlderThan is a custom condition
        run_tags={"consultantos/trigger": "automation"},
        description="Per company: refresh sources older than their freshness window; rerun analysis "
        "and the report only when an upstream data version changed.",
    )


# --------------------------------------------------------------------------------- shared helpers
def latest_materialization_ts(instance: dg.DagsterInstance, asset: str, ticker: str) -> float | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[ticker]), limit=1).records
    return records[0].timestamp if records else None


def stale_sources(instance: dg.DagsterInstance, ticker: str, windows: Mapping[str, timedelta],
                  now: datetime | None = None) -> list[str]:
    """The company's source assets (and its profile) that are missing or older than their window at `now`."""
    now_ts = (now or datetime.now(UTC)).timestamp()
    out = []
    for asset in (PROFILE_ASSET, *SOURCE_ASSETS):
        ts = latest_materialization_ts(instance, asset, ticker)
        window = windows.get(asset) or windows[WINDOW_OF[asset]]
        if ts is None or now_ts - ts > window.total_seconds():
            out.append(asset)
    return out


def company_run_in_progress(instance: dg.DagsterInstance, ticker: str) -> bool:
    """Whether a queued or running run already targets this company."""
    records = instance.get_run_records(
        dg.RunsFilter(statuses=list(IN_PROGRESS_STATUSES), tags={"dagster/partition": ticker}), limit=1)
    return bool(records)


IN_PROGRESS_STATUSES = (
    dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING,
)


def _fmt(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % n == 0:
            return f"{seconds // n}{unit}"
    return f"{seconds}s"


FULL_GRAPH = "full"


def refresh_plan(instance: dg.DagsterInstance, ticker: str, windows: Mapping[str, timedelta],
                 now: datetime | None = None) -> tuple[list[dg.AssetKey] | str | None, str]:
    """What a schedule or sensor should request for one company, and why.

    Returns (FULL_GRAPH, reason) when the company has no report yet, (source keys, reason) when some
    sources are missing or older than their window, and (None, reason) when nothing is due or a run
    for the company is already queued or running (never two runs for one company).
    """
    if company_run_in_progress(instance, ticker):
        return None, "a run for this company is already queued or running"
    if latest_materialization_ts(instance, "report_pdf", ticker) is None:
        return FULL_GRAPH, "no report yet: the whole graph"
    stale = stale_sources(instance, ticker, windows, now)
    if stale:
        return [dg.AssetKey(a) for a in stale], "older than the freshness window: " + ", ".join(stale)
    return None, "fresh: every source is within its window"


def run_request_for(ticker: str, plan: list[dg.AssetKey] | str, run_key: str,
                    tags: Mapping[str, str]) -> dg.RunRequest:
    """One run for one company: the whole graph, or the due sources (analysis follows by automation
    when their data versions change)."""
    if plan == FULL_GRAPH:
        return dg.RunRequest(run_key=run_key, partition_key=ticker, tags=dict(tags))
    keys = list(plan)
    checks = [FISCAL_CHECK] if dg.AssetKey("financials") in keys else []
    return dg.RunRequest(run_key=run_key, partition_key=ticker, asset_selection=keys,
                         asset_check_keys=checks, tags=dict(tags))


FISCAL_CHECK = dg.AssetCheckKey(dg.AssetKey("financials"), "fiscal_periods_sane")


# --------------------------------------------------------------------------------- report runs
def _latest_record(instance: dg.DagsterInstance, asset: str, ticker: str, before: int | None = None):
    """The company's latest materialization of `asset` (recorded before storage id `before`, if given)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[ticker], before_storage_id=before),
        limit=1).records
    return records[0] if records else None


def _data_version(record) -> str | None:
    return (record.asset_materialization.tags or {}).get("dagster/data_version")


def _meta_text(record, key: str) -> str | None:
    value = (record.asset_materialization.metadata or {}).get(key)
    return None if value is None else str(getattr(value, "value", value))


def report_plan(instance: dg.DagsterInstance, specs: Iterable[dg.AssetSpec], ticker: str,
                windows: Mapping[str, timedelta], snapshot_inputs: Mapping[str, str],
                now: datetime | None = None) -> dict[str, str]:
    """The company's assets a report run must materialize, each with the reason; an asset not in the
    result is up to date. The same judgement as the automation conditions, for one company and before
    a run, from the event log alone:

    - any asset: never materialized, or its code version changed;
    - a source (and company_profile and peer_figures, in the financials' window): older than its window;
    - an asset that read snapshot files (the profile, sources, peers, peer_figures), when it was served from the
      snapshot and those files differ from those it read (`snapshot_inputs`: asset -> fingerprint);
    - a downstream asset: an upstream is planned, or an upstream's data version differs from the one
      this asset last read (sources return content-hash versions, so identical data is no change).
    """
    now_ts = (now or datetime.now(UTC)).timestamp()
    by_name = {s.key.to_user_string(): s for s in specs}
    order: list[str] = []

    def visit(name: str) -> None:  # upstream first
        if name not in order:
            for dep in by_name[name].deps:
                if dep.asset_key.to_user_string() in by_name:
                    visit(dep.asset_key.to_user_string())
            order.append(name)

    for name in sorted(by_name):
        visit(name)
    latest = {name: _latest_record(instance, name, ticker) for name in order}
    plan: dict[str, str] = {}
    for name in order:
        rec, spec = latest[name], by_name[name]
        if rec is None:
            plan[name] = "never materialized"
            continue
        tags = rec.asset_materialization.tags or {}
        window = windows.get(name) or windows.get(WINDOW_OF.get(name, ""))
        recorded = _meta_text(rec, "snapshot_inputs")
        if spec.code_version and tags.get("dagster/code_version") != spec.code_version:
            plan[name] = f"code version {tags.get('dagster/code_version')} -> {spec.code_version}"
        elif window is not None and now_ts - rec.timestamp > window.total_seconds():
            plan[name] = f"older than its window ({_fmt(window)})"
        elif name in snapshot_inputs and _meta_text(rec, "served_from") == "snapshot" and \
                recorded != snapshot_inputs[name]:
            plan[name] = "its snapshot files changed"
        else:
            for dep in spec.deps:
                up = dep.asset_key.to_user_string()
                if up in plan:
                    plan[name] = f"{up} is refreshed"
                    break
                now_rec = latest.get(up)
                if now_rec is None or now_rec.storage_id < rec.storage_id:
                    continue
                # what this asset read: the upstream's latest materialization for this company before its
                # own (Dagster's input event pointer names the asset's latest event across companies)
                read = _latest_record(instance, up, ticker, before=rec.storage_id)
                if read is None or _data_version(read) != _data_version(now_rec):
                    plan[name] = f"{up} changed"
                    break
    return plan
