"""The floor: a graph of the same shape as ours (same partitions, assets, job, executor, instance)
whose assets do nothing. Run exactly like `consultantos report TICKER`:

    .venv/bin/python bench/trivial_graph.py TICKER
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg

companies = dg.DynamicPartitionsDefinition(name="companies")
_SHAPE = {
    "company_research": [], "market_trends": [], "financials": [],
    "peers": ["company_research"], "peer_figures": ["peers"],
    "evidence": ["company_research", "market_trends", "financials", "peer_figures"],
    "research_index": ["company_research", "evidence"],
    "porter_five_forces": ["company_research", "market_trends", "financials", "evidence", "research_index"],
    "swot": ["company_research", "market_trends", "financials", "evidence", "research_index"],
    "pestel": ["company_research", "market_trends", "financials", "evidence", "research_index"],
    "blue_ocean": ["company_research", "market_trends", "financials", "evidence", "research_index"],
    "synthesis": ["company_research", "market_trends", "financials", "evidence", "porter_five_forces", "swot",
                  "pestel", "blue_ocean"],
    "insight_index": ["porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis"],
    "report_pdf": ["company_research", "market_trends", "financials", "evidence", "research_index",
                   "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis"],
}


def _noop(name: str, deps: list[str]) -> dg.AssetsDefinition:
    @dg.asset(name=name, partitions_def=companies, deps=deps)
    def _asset() -> None:
        return None

    return _asset


def main() -> int:
    ticker = sys.argv[1]
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    defs = dg.Definitions(assets=[_noop(n, d) for n, d in _SHAPE.items()],
                          jobs=[dg.define_asset_job("company_report", selection=dg.AssetSelection.all())])
    instance = dg.DagsterInstance.get()
    if ticker not in instance.get_dynamic_partitions("companies"):
        instance.add_dynamic_partitions("companies", [ticker])
    result = defs.resolve_job_def("company_report").execute_in_process(
        instance=instance, partition_key=ticker,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
