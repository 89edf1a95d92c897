"""Runs whose process is gone are marked failed by the dead_run_reaper sensor, their pool slots freed,
and only the daemon's runs are handed to run retries; runs with a live process, runs of other
machines and runs without a recorded pid are left alone."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.tags import WILL_RETRY_TAG
from dagster._core.test_utils import create_run_for_test, instance_for_test
from dagster._daemon.auto_run_reexecution.auto_run_reexecution import should_retry

from consultantos_assets.defs.recovery import (
    HOST_TAG,
    PID_TAG,
    START_TAG,
    build_dead_run_reaper_sensor,
    cli_run_tags,
)

from .conftest import REPO

RETRIES = {"run_retries": {"enabled": True, "max_retries": 1, "retry_on_asset_or_op_failure": False}}
LOCAL_CODE_SERVER = {".dagster/grpc_info": json.dumps({"host": "localhost", "port": 4266})}
REMOTE_CODE_SERVER = {".dagster/grpc_info": json.dumps({"host": "worker-2.internal", "port": 4266})}


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc.kill()
    proc.wait()
    return proc.pid


def _daemon_run(instance, ticker: str, pid: int, tags: dict, recorded_at: float | None = None):
    """A run STARTED by the daemon whose worker recorded `pid`, as Dagster's run worker does."""
    run = create_run_for_test(instance, job_name="company_report", status=dg.DagsterRunStatus.STARTED,
                              tags={"dagster/partition": ticker, **tags})
    event = DagsterEvent(event_type_value=DagsterEventType.ENGINE_EVENT.value, job_name=run.job_name,
                         message=f"Started process for run (pid: {pid}).",
                         event_specific_data=EngineEventData.in_process(pid))
    instance.store_event(EventLogEntry(error_info=None, level="DEBUG", user_message="", run_id=run.run_id,
                                       timestamp=recorded_at or time.time(), dagster_event=event,
                                       job_name=run.job_name))
    return run


def _evaluate(instance):
    sensor = build_dead_run_reaper_sensor()
    with dg.build_sensor_context(instance=instance) as ctx:
        return sensor(ctx)


def test_reaper_fails_only_this_machines_dead_runs_and_frees_their_slots():
    dead_pid = _dead_pid()
    with instance_for_test(overrides=RETRIES) as instance:
        dead = _daemon_run(instance, "AAPL", dead_pid, LOCAL_CODE_SERVER)
        alive = _daemon_run(instance, "MSFT", os.getpid(), LOCAL_CODE_SERVER)
        elsewhere = _daemon_run(instance, "NVDA", dead_pid, REMOTE_CODE_SERVER)
        # the pid now belongs to a process younger than the record: the run's own process is gone
        reused = _daemon_run(instance, "TSLA", os.getpid(), LOCAL_CODE_SERVER, recorded_at=time.time() - 10 * 365 * 86400)
        unrecorded = create_run_for_test(instance, job_name="company_report", status=dg.DagsterRunStatus.STARTING,
                                         tags={"dagster/partition": "AMZN", **LOCAL_CODE_SERVER})
        cli_dead = create_run_for_test(instance, job_name="company_report", status=dg.DagsterRunStatus.STARTED,
                                       tags={**cli_run_tags("a1"), PID_TAG: str(dead_pid), START_TAG: "",
                                             "dagster/partition": "META"})
        cli_other_host = create_run_for_test(
            instance, job_name="company_report", status=dg.DagsterRunStatus.STARTED,
            tags={**cli_run_tags("a2"), PID_TAG: str(dead_pid), HOST_TAG: socket.gethostname() + "-other",
                  "dagster/partition": "ORCL"})

        storage = instance.event_log_storage
        storage.set_concurrency_slots("search", 4)
        for run in (dead, alive, cli_dead):
            assert storage.claim_concurrency_slot("search", run.run_id, "company_research").is_claimed

        result = _evaluate(instance)

        assert isinstance(result, dg.SkipReason)
        assert "marked failed 3 run(s)" in result.skip_message
        for run in (dead, reused, cli_dead):
            assert run.run_id[:8] in result.skip_message
        status = {r.run_id: instance.get_run_by_id(r.run_id).status
                  for r in (dead, alive, elsewhere, reused, unrecorded, cli_dead, cli_other_host)}
        assert status == {dead.run_id: dg.DagsterRunStatus.FAILURE, alive.run_id: dg.DagsterRunStatus.STARTED,
                          elsewhere.run_id: dg.DagsterRunStatus.STARTED, reused.run_id: dg.DagsterRunStatus.FAILURE,
                          unrecorded.run_id: dg.DagsterRunStatus.STARTING,
                          cli_dead.run_id: dg.DagsterRunStatus.FAILURE,
                          cli_other_host.run_id: dg.DagsterRunStatus.STARTED}
        assert storage.get_concurrency_run_ids() == {alive.run_id}

        failure = instance.get_records_for_run(dead.run_id, of_type=DagsterEventType.RUN_FAILURE).records
        message = failure[0].event_log_entry.dagster_event.message
        assert message == (f"run worker (pid {dead_pid}) on {socket.gethostname()} is gone: killed or crashed; "
                           "marked failed so its pool slots are released; re-executed from failure by run retries.")

        # the daemon's crashed run is retried (from failure, the default strategy); the CLI's is not
        # (`consultantos report META --resume` resumes it)
        failed_dead = instance.get_run_by_id(dead.run_id)
        assert failed_dead.tags["dagster/failure_reason"] == "UNEXPECTED_TERMINATION"
        assert failed_dead.tags[WILL_RETRY_TAG] == "true" and should_retry(failed_dead, instance)
        failed_cli = instance.get_run_by_id(cli_dead.run_id)
        assert failed_cli.tags[WILL_RETRY_TAG] == "false" and not should_retry(failed_cli, instance)

        # nothing left to do: the next tick says so and changes nothing
        again = _evaluate(instance)
        assert again.skip_message == "no run on this machine has lost its process"
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED


def test_reaper_leaves_runs_of_remote_launchers_alone():
    """With a launcher that starts runs in containers or pods, a recorded pid is not a local process."""
    dead_pid = _dead_pid()
    k8s_like = {"run_launcher": {"module": "dagster._core.launcher", "class": "SyncInMemoryRunLauncher"}}
    with instance_for_test(overrides={**RETRIES, **k8s_like}) as instance:
        run = _daemon_run(instance, "AAPL", dead_pid, LOCAL_CODE_SERVER)
        result = _evaluate(instance)
        assert result.skip_message == "no run on this machine has lost its process"
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED


def test_reaper_is_registered_and_running_by_default():
    from consultantos_assets.defs import build_definitions

    sensors = {s.name: s for s in build_definitions().sensors}
    assert sensors["dead_run_reaper"].default_status == dg.DefaultSensorStatus.RUNNING
    assert sensors["dead_run_reaper"].minimum_interval_seconds == 60


# ------------------------------------------------------------------------------ a real kill -9
# Adds the company, stops every sensor but the reaper (this test is about one run; automation has
# its own tests) and submits a company_report run to the queue, as `dagster job launch` does.
SUBMIT = r"""
import sys
import dagster as dg
from dagster._cli.job import _create_run
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from consultantos_assets.defs.partitions import add_companies
with dg.DagsterInstance.get() as inst:
    add_companies(inst, ["AAPL"])
    with WorkspaceProcessContext(inst, WorkspaceFileTarget([sys.argv[1]])) as ctx:
        workspace = ctx.create_request_context()
        location = workspace.get_code_location(next(iter(workspace.get_code_location_entries())))
        repo = next(iter(location.get_repositories().values()))
        for sensor in repo.get_sensors():
            if sensor.name != "dead_run_reaper":
                inst.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
        run = _create_run(instance=inst, code_location=location, remote_repo=repo,
                          remote_job=repo.get_full_job("company_report"), run_config={},
                          tags={"dagster/partition": "AAPL"}, op_selection=None, run_id=None)
        inst.submit_run(run.run_id, workspace)
        print("submitted", run.run_id)
"""


def _wait(predicate, timeout: float, what: str, logs):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(
        f"==== {f.name}\n{f.read_text(errors='replace')[-3000:]}" for f in sorted(logs.glob("*.log"))))


def _start(cmd, env, log):
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True)


def _kill_group(proc, sig=signal.SIGKILL):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def test_daemon_killed_mid_run_the_run_is_failed_and_retried_from_failure(tmp_path):
    """`dagster-daemon run` (with its code server and the run worker) is killed with SIGKILL mid-run;
    after the restart the reaper marks the run failed and run retries re-execute it from failure to
    success, without running again the steps that had succeeded."""
    home = tmp_path / "home"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copyfile(REPO / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, "CONSULTANTOS_HOME": str(home), "DAGSTER_HOME": str(dagster_home),
           "CONSULTANTOS_MODE": "offline"}
    env.pop("CONSULTANTOS_SNAPSHOT_DIR", None)
    logs = tmp_path / "logs"
    logs.mkdir()
    bin_ = Path(sys.executable).parent
    workspace = str(REPO / "workspace.yaml")
    submit = subprocess.run([sys.executable, "-c", SUBMIT, workspace], env=env, cwd=REPO, capture_output=True,
                            text=True, timeout=180)
    assert submit.returncode == 0, submit.stderr[-3000:]
    [run_id] = [line.split()[1] for line in submit.stdout.splitlines() if line.startswith("submitted ")]

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    daemon = _start([str(bin_ / "dagster-daemon"), "run", "-w", workspace], env, logs / "daemon-1.log")
    try:
        def steps_done(rid):
            return {r.event_log_entry.step_key for r in
                    instance.get_records_for_run(rid, of_type=DagsterEventType.STEP_SUCCESS).records}

        def some_steps_done():
            run = instance.get_run_by_id(run_id)
            assert run.status not in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS), run.status
            return len(steps_done(run_id)) >= 2

        _wait(some_steps_done, 240, "two steps of the run to succeed", logs)
        _kill_group(daemon)  # the daemon, its code server, the run worker and its steps
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED
        done_before = steps_done(run_id)

        daemon = _start([str(bin_ / "dagster-daemon"), "run", "-w", workspace], env, logs / "daemon-2.log")
        _wait(lambda: instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE, 180,
              "the reaper to mark the killed run failed", logs)
        failure = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_FAILURE).records
        assert failure[0].event_log_entry.dagster_event.message.startswith("run worker (pid ")
        assert instance.event_log_storage.get_concurrency_run_ids() <= {r.run_id for r in instance.get_runs(
            dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))}

        def retry_finished():
            children = instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": run_id}))
            if not children:
                return None
            assert children[0].status not in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
            return children[0] if children[0].status == dg.DagsterRunStatus.SUCCESS else None

        retry = _wait(retry_finished, 300, "the automatic retry to succeed", logs)
    finally:
        _kill_group(daemon, signal.SIGTERM)
        instance.dispose()
    assert retry.tags.get("dagster/retry_number") == "1"
    started = {r.event_log_entry.step_key for r in
               instance.get_records_for_run(retry.run_id, of_type=DagsterEventType.STEP_START).records}
    assert started and not started & done_before, (started, done_before)
    assert "report_pdf" in started
