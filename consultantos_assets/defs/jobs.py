"""Jobs over the company graph."""

from __future__ import annotations

import dagster as dg

company_report_job = dg.define_asset_job(
    "company_report",
    # the company graph only (portfolio and evaluation span every company)
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets("portfolio", "evaluation"),
    description="Materialize the whole graph for one company: sources, index, frameworks, synthesis, PDF.",
    # the multiprocess executor defaults to one step per CPU (2 on a laptop), which would run the four
    # framework steps two by two; they wait on the model, not the CPU, so allow them side by side (the
    # pools in defs/pools.py still cap each external service across runs). Step processes fork from a
    # server that has imported the definitions once per run, instead of each re-importing them (~3 s each)
    executor_def=dg.multiprocess_executor.configured({
        "max_concurrent": 6,
        "start_method": {"forkserver": {"preload_modules": ["consultantos_assets.definitions"]}},
    }),
)
