"""The Dagster layer: the only package that imports dagster."""

from __future__ import annotations

import dagster as dg

from . import assets
from .jobs import company_report_job
from .resources import build_resources


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules([assets]),
        asset_checks=dg.load_asset_checks_from_modules([assets]),
        jobs=[company_report_job],
        resources=build_resources(),
    )
