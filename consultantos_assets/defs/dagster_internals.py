"""The Dagster internals this project cannot do without, in one place (no public API offers them in
Dagster 1.13). Nothing else imports from `dagster._`; test_structure.py pins the version they were
checked against, so an upgrade re-checks them.

- `unexpected_termination()`: the failure data that marks a run failed as an unexpected termination,
  which run retries re-execute from failure whatever `retry_on_asset_or_op_failure` says
  (`DagsterInstance.report_run_failed` takes it; the public API has no way to say why a run failed).
- `CheckStatus`: the status of an asset check's latest execution, as the event log storage's
  `get_asset_check_partition_info` reports it.
"""

from __future__ import annotations

from dagster._core.events import JobFailureData, RunFailureReason
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus as CheckStatus

CHECKED_WITH_DAGSTER = "1.13.27"


def unexpected_termination() -> JobFailureData:
    return JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION)


__all__ = ["CHECKED_WITH_DAGSTER", "CheckStatus", "unexpected_termination"]
