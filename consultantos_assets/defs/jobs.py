"""Jobs over the company graph, and the graph's order as the CLI shows it."""

from __future__ import annotations

import graphlib

import dagster as dg

from .partitions import companies

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


def company_asset_order(defs: dg.Definitions) -> list[str]:
    """The company graph's assets (those with one partition per company, what company_report runs) in
    topological order, read from the definitions: every asset after the assets it reads; assets of the same
    level by name."""
    specs = {s.key: s for s in defs.resolve_all_asset_specs() if s.partitions_def == companies}
    sorter = graphlib.TopologicalSorter({key: {d.asset_key for d in spec.deps if d.asset_key in specs}
                                         for key, spec in specs.items()})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        level = sorted(sorter.get_ready(), key=lambda key: key.to_user_string())
        order.extend(key.to_user_string() for key in level)
        sorter.done(*level)
    return order
