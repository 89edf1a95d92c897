"""The report command's progress lines: one per asset (materialized or up to date) and per check, as
they land in the run's event log."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable


class Progress:
    """Counts the company's assets across the runs of one report: `[ n/total] asset  state`."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0

    def line(self, asset: str, state: str) -> None:
        self.done += 1
        print(f"[{self.done:>2}/{self.total}] {asset:<20} {state}", flush=True)

    def up_to_date(self, assets: list[str]) -> None:
        for asset in assets:
            self.line(asset, "up to date")


def _find_run(instance, attempt: str) -> str | None:
    import dagster as dg

    from ..defs.recovery import ATTEMPT_TAG

    runs = instance.get_runs(dg.RunsFilter(tags={ATTEMPT_TAG: attempt}), limit=1)
    return runs[0].run_id if runs else None


def _print_event(event, progress: Progress, elapsed: float) -> None:
    from dagster import DagsterEventType

    if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
        progress.line(event.asset_key.to_user_string(), f"materialized  {elapsed:6.1f}s")
    elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
        data = event.event_specific_data
        print(f"        check {data.asset_check_key.name:<20} {'passed' if data.passed else 'FAILED'}", flush=True)
    else:
        error = event.event_specific_data.error if event.event_specific_data else None
        message = error.message.strip().splitlines()[-1] if error else "step failed"
        print(f"[fail ] {event.step_key}: {message}", file=sys.stderr, flush=True)


def run_with_progress(instance, execute: Callable[[], object], attempt: str, progress: Progress,
                      run_id: str | None = None) -> tuple[bool, str]:
    """Run `execute()` in a thread and print a line per materialization, check and step failure as they
    land in the event log. `run_id` is known up front for a new run; a re-execution's is found by its
    attempt tag. Returns (success, run id or what crashed)."""
    from dagster import DagsterEventType

    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["result"] = execute()
        except Exception as exc:  # surfaced below as a failed run
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    start = time.monotonic()
    worker.start()
    cursor = None
    wanted = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.STEP_FAILURE,
              DagsterEventType.ASSET_CHECK_EVALUATION}
    while True:
        alive = worker.is_alive()
        run_id = run_id or _find_run(instance, attempt)
        if run_id is None:
            if not alive:
                break
            worker.join(0.2)
            continue
        connection = instance.get_records_for_run(run_id, cursor=cursor, of_type=wanted)
        cursor = connection.cursor if connection.records else cursor
        for record in connection.records:
            _print_event(record.event_log_entry.dagster_event, progress, time.monotonic() - start)
        if not alive:
            break
        worker.join(0.2)  # the next poll, or at once when the run ends
    if "error" in outcome:
        return False, f"run {run_id or '?'} crashed: {outcome['error']}"
    result = outcome["result"]
    return bool(result.success), run_id or result.run_id
