"""The Definitions: every asset, check, job, schedule, sensor and resource of the project."""

from __future__ import annotations

import dagster as dg

from ..settings import AutomationSettings
from . import evaluation, evidence_assets, framework_assets, index_assets, portfolio, report_assets, source_assets
from .alerts import build_material_change_sensor, build_run_failure_sensor
from .automation import apply_automation, automation_sensor
from .catalog import apply_owners, owners_from_env
from .jobs import company_report_job
from .recovery import build_dead_run_reaper_sensor
from .resources import build_resources
from .schedules import build_portfolio_schedule
from .sensors import build_filings_sensor, build_partition_guard_sensor, build_requests_sensor

# the modules of the company graph (one partition per company), in the graph's order
COMPANY_MODULES = (source_assets, evidence_assets, index_assets, framework_assets, report_assets)


def build_definitions() -> dg.Definitions:
    # freshness policies and automation conditions are attached here, in one place (defs/automation.py)
    automation = AutomationSettings.from_env()
    return dg.Definitions(
        assets=apply_owners(apply_automation(dg.load_assets_from_modules([*COMPANY_MODULES, portfolio, evaluation]),
                                             automation), owners_from_env()),
        asset_checks=dg.load_asset_checks_from_modules(COMPANY_MODULES),
        jobs=[company_report_job],
        schedules=[build_portfolio_schedule(automation)],
        sensors=[automation_sensor(automation), build_requests_sensor(automation),
                 build_filings_sensor(automation), build_partition_guard_sensor(automation),
                 build_dead_run_reaper_sensor(), build_run_failure_sensor(), build_material_change_sensor()],
        resources=build_resources(),
    )
