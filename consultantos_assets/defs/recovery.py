"""Runs whose process is gone: find them, mark them failed, free their pool slots.

A run recorded as STARTING/STARTED whose process was killed (kill -9, OOM, the machine or the whole
`dagster dev` tree going down) would otherwise stay "in progress" until run monitoring's
`max_runtime_seconds` and keep its pool slots, blocking other runs. Two kinds of run are judged, and
only when their process ran on this machine:

- CLI runs carry the pid, host and process start time of the `consultantos` process as tags
  (`cli_run_tags`); the next CLI command or the `dead_run_reaper` sensor judges them.
- Runs launched by the daemon or the UI through the DefaultRunLauncher run in a process started by
  a code server on this machine; Dagster records that process's pid in the run's event log ("Started
  process for run (pid: N)."). The sensor judges them when the instance launches runs as local
  processes and the run was handed to a code server on this machine. Runs started by other
  launchers (Docker, Kubernetes) or on other machines have no pid here and are left to run
  monitoring.

A live process with the recorded pid is the run's process only if it started before the pid was
recorded; a younger one reuses the pid, so the run's process is gone.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ..processes import process_alive, process_start

PID_TAG = "consultantos/cli-pid"
HOST_TAG = "consultantos/cli-host"
START_TAG = "consultantos/cli-process-start"
ATTEMPT_TAG = "consultantos/cli-attempt"
# Dagster's run-retry tag: a CLI run is resumed by `consultantos report T --resume`, never by the
# daemon (it has no code location to re-execute from)
MAX_RETRIES_TAG = "dagster/max_retries"
_GRPC_INFO_TAG = ".dagster/grpc_info"
_PID_EVENT_PREFIX = "Started process for run (pid: "
_IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# the pid is recorded just after the process starts; allow for clock-tick rounding
_PID_RECORD_SLACK_SECONDS = 2.0


def _process_start_epoch(pid: int) -> float | None:
    ticks = process_start(pid)
    if not ticks:
        return None
    try:
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, StopIteration, ValueError):
        return None
    return boot + int(ticks) / os.sysconf("SC_CLK_TCK")


def _alive_since(pid: int, recorded_at: float) -> bool:
    """Whether a process with this pid runs and is not younger than the moment its pid was recorded."""
    if not process_alive(pid):
        return False
    started = _process_start_epoch(pid)
    return started is None or started <= recorded_at + _PID_RECORD_SLACK_SECONDS


def cli_run_tags(attempt: str) -> dict[str, str]:
    """Tags naming the process executing a CLI run, so a later CLI or the reaper can tell when it died."""
    pid = os.getpid()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), START_TAG: process_start(pid),
            ATTEMPT_TAG: attempt, MAX_RETRIES_TAG: "0", "consultantos/trigger": "cli"}


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    ticker: str
    pid: int
    cli: bool


def _launches_local_processes(instance: dg.DagsterInstance) -> bool:
    """Whether the instance's run launcher starts each run as a process of a code server (read from
    the instance config, so a Kubernetes or ECS launcher is not loaded just to be ruled out)."""
    ref = instance.get_ref() if instance.is_persistent else None
    data = getattr(ref, "run_launcher_data", None)
    if data is not None:
        return data.class_name == "DefaultRunLauncher"
    return isinstance(instance.run_launcher, dg.DefaultRunLauncher)


def _local_code_server(run: dg.DagsterRun) -> bool:
    """Whether the run was handed to a code server on this machine (DefaultRunLauncher records its
    address on the run)."""
    try:
        info = json.loads(run.tags.get(_GRPC_INFO_TAG, ""))
    except ValueError:
        return False
    if info.get("socket"):
        return True
    host = str(info.get("host") or "")
    return host in ("localhost", "127.0.0.1", "::1", "0.0.0.0", socket.gethostname(), socket.getfqdn())


def _recorded_worker_pid(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """The pid of the run's process and when it was recorded, from the latest "Started process for
    run" engine event (a resumed run records a new one)."""
    connection = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, ascending=False)
    for record in connection.records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None or entry.step_key or not (event.message or "").startswith(_PID_EVENT_PREFIX):
            continue
        meta = event.engine_event_data.metadata if event.engine_event_data else {}
        raw = meta.get("pid")
        try:
            return int(getattr(raw, "value", raw)), entry.timestamp
        except (TypeError, ValueError):
            return None
    return None


def find_dead_runs(instance: dg.DagsterInstance, *, cli_only: bool = False) -> list[DeadRun]:
    """Runs in progress whose process, on this machine, is gone. `cli_only` judges only CLI runs."""
    host = socket.gethostname()
    local_launcher = None
    dead: list[DeadRun] = []
    statuses = [*_IN_PROGRESS, dg.DagsterRunStatus.NOT_STARTED]  # a CLI run is created, then started
    for rec in instance.get_run_records(dg.RunsFilter(statuses=statuses)):
        run = rec.dagster_run
        tags = run.tags
        ticker = tags.get("dagster/partition", "?")
        if PID_TAG in tags:
            if tags.get(HOST_TAG) != host:
                continue
            try:
                pid = int(tags[PID_TAG])
            except ValueError:
                continue
            if not process_alive(pid, tags.get(START_TAG, "")):
                dead.append(DeadRun(run.run_id, ticker, pid, cli=True))
            continue
        if cli_only or run.status == dg.DagsterRunStatus.NOT_STARTED or not _local_code_server(run):
            continue
        if local_launcher is None:
            local_launcher = _launches_local_processes(instance)
        if not local_launcher:
            continue
        recorded = _recorded_worker_pid(instance, run.run_id)
        if recorded is None:  # not started yet: run monitoring's start timeout covers it
            continue
        pid, recorded_at = recorded
        if not _alive_since(pid, recorded_at):
            dead.append(DeadRun(run.run_id, ticker, pid, cli=False))
    return dead


def fail_dead_run(instance: dg.DagsterInstance, dead: DeadRun) -> None:
    """Mark the run failed and free its pool slots. A run of the daemon or the UI fails as an
    unexpected termination, which run retries (dagster.yaml `run_retries`) re-execute from failure;
    a CLI run is resumed with `consultantos report T --resume`."""
    from .dagster_internals import unexpected_termination

    run = instance.get_run_by_id(dead.run_id)
    if run is None or run.status not in (*_IN_PROGRESS, dg.DagsterRunStatus.NOT_STARTED):
        return
    host = socket.gethostname()
    if dead.cli:
        message = (f"The consultantos process (pid {dead.pid}) executing this run on {host} is gone (killed or "
                   "crashed); marked failed so its pool slots are released. Re-execute from failure to "
                   "finish it (`consultantos report TICKER --resume`).")
        failure = None
    else:
        retried = instance.run_retries_enabled and run.tags.get(MAX_RETRIES_TAG) != "0"
        message = (f"run worker (pid {dead.pid}) on {host} is gone: killed or crashed; marked failed so its "
                   "pool slots are released; " + ("re-executed from failure by run retries." if retried else
                                                  "re-execute it from failure to finish it."))
        failure = unexpected_termination()
    instance.report_engine_event(message, run)
    instance.report_run_failed(run, message, job_failure_data=failure)
    storage = instance.event_log_storage
    if getattr(storage, "supports_global_concurrency_limits", False):
        storage.free_concurrency_slots_for_run(run.run_id)


def reap_dead_runs(instance: dg.DagsterInstance, *, cli_only: bool = False) -> list[DeadRun]:
    """Mark failed the runs in progress whose process on this machine is gone, free their slots;
    returns them."""
    dead = find_dead_runs(instance, cli_only=cli_only)
    for d in dead:
        fail_dead_run(instance, d)
    return dead


def build_dead_run_reaper_sensor(interval_seconds: int = 60) -> dg.SensorDefinition:
    @dg.sensor(name="dead_run_reaper", minimum_interval_seconds=interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Marks failed the runs on this machine whose process is gone (killed or "
                           "crashed) and frees their pool slots; run retries re-execute them from failure.")
    def dead_run_reaper(context: dg.SensorEvaluationContext):
        dead = reap_dead_runs(context.instance)
        if not dead:
            return dg.SkipReason("no run on this machine has lost its process")
        for d in dead:
            context.log.warning(f"run {d.run_id} ({d.ticker}): process {d.pid} is gone; marked failed")
        listed = ", ".join(f"{d.run_id[:8]} ({d.ticker}, pid {d.pid})" for d in dead)
        return dg.SkipReason(f"marked failed {len(dead)} run(s) whose process is gone and freed their "
                             f"pool slots: {listed}")

    return dead_run_reaper
