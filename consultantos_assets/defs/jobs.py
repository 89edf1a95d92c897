"""Jobs over the company graph."""

from __future__ import annotations

import dagster as dg

company_report_job = dg.define_asset_job(
    "company_report",
    selection=dg.AssetSelection.all(),
    description="Materialize the whole graph for one company: sources, index, frameworks, synthesis, PDF.",
)
