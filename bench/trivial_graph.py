"""The floor: a graph of the same shape as ours whose assets do nothing. Run exactly like
`consultantos report TICKER`:

    .venv/bin/python bench/trivial_graph.py TICKER [TICKER ...] [--edges inputs|deps]

(several tickers: one run after another in one process, as `consultantos report T1 T2 ...` does)

Same partitions (dynamic, by ticker), the same 15 assets and their asset checks, the same job,
executor (in process) and instance config. The real graph's edges are inputs that Dagster loads
through an IO manager (all but the frameworks' edge from research_index, a bare dependency), so by
default (`--edges inputs`) each asset here has the same inputs and dependencies, through an IO
manager that stores nothing and loads None: what Dagster itself spends on the graph (partition
ranges and data versions per input, events per step and check), with none of our work.
`--edges deps` declares every edge as a bare dependency and leaves out the checks, so Dagster loads
nothing: a lower floor than the graph's own (the floor measured before).
The process is set up as the CLI's is (consultantos_assets/cli/process.py): the start-up's objects are
frozen out of the garbage collector's reach once the definitions exist, and again before the exit, so
the floor pays no collector time that `consultantos report` does not.
consultantos_assets_tests/test_structure.py keeps SHAPE, DEPS_ONLY and CHECKS equal to the real
graph's.
"""

from __future__ import annotations

import argparse
import gc
import sys

import dagster as dg

from consultantos_assets.cli.process import claim_process, lean_gc

companies = dg.DynamicPartitionsDefinition(name="companies")
SHAPE = {
    "company_profile": [],
    "company_research": ["company_profile"], "market_trends": ["company_profile"], "financials": ["company_profile"],
    "peers": ["company_profile"], "peer_figures": ["peers"],
    "evidence": ["company_research", "financials", "market_trends", "peer_figures"],
    "research_index": ["company_research", "evidence"],
    "porter_five_forces": ["company_research", "evidence", "financials", "market_trends", "research_index"],
    "swot": ["company_research", "evidence", "financials", "market_trends", "research_index"],
    "pestel": ["company_research", "evidence", "financials", "market_trends", "research_index"],
    "blue_ocean": ["company_research", "evidence", "financials", "market_trends", "research_index"],
    "synthesis": ["blue_ocean", "company_research", "evidence", "financials", "market_trends", "pestel",
                  "porter_five_forces", "swot"],
    "insight_index": ["blue_ocean", "pestel", "porter_five_forces", "swot", "synthesis"],
    "report_pdf": ["blue_ocean", "company_research", "evidence", "financials", "market_trends", "pestel",
                   "porter_five_forces", "research_index", "swot", "synthesis"],
}
# edges that are bare dependencies in the real graph too (the frameworks retrieve from the index, they
# do not load its summary); every other edge is an input
DEPS_ONLY = {fw: ["research_index"] for fw in ("porter_five_forces", "swot", "pestel", "blue_ocean")}
CHECKS = {
    "financials": ["fiscal_periods_sane"],
    "porter_five_forces": ["figures_grounded"], "swot": ["figures_grounded"], "pestel": ["figures_grounded"],
    "blue_ocean": ["figures_grounded"], "synthesis": ["figures_grounded"],
    "report_pdf": ["report_complete"],
}


class NothingIOManager(dg.IOManager):
    """Stores nothing, loads None."""

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        return None

    def load_input(self, context: dg.InputContext) -> None:
        return None


def _with_inputs(name: str, upstream: list[str]) -> dg.AssetsDefinition:
    checks = [dg.AssetCheckSpec(c, asset=name) for c in CHECKS.get(name, [])]

    deps = DEPS_ONLY.get(name, [])
    ins = {u: dg.AssetIn(key=u) for u in upstream if u not in deps}

    @dg.asset(name=name, partitions_def=companies, check_specs=checks, ins=ins, deps=deps)
    def _asset(**_inputs: object):
        yield dg.Output(None)
        for spec in checks:
            yield dg.AssetCheckResult(check_name=spec.name, asset_key=spec.asset_key, passed=True)

    return _asset


def _with_deps(name: str, upstream: list[str]) -> dg.AssetsDefinition:
    @dg.asset(name=name, partitions_def=companies, deps=upstream)
    def _asset() -> None:
        return None

    return _asset


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("tickers", nargs="+")
    ap.add_argument("--edges", choices=("inputs", "deps"), default="inputs")
    args = ap.parse_args()
    make = _with_inputs if args.edges == "inputs" else _with_deps
    defs = dg.Definitions(assets=[make(n, d) for n, d in SHAPE.items()],
                          jobs=[dg.define_asset_job("company_report", selection=dg.AssetSelection.all())],
                          resources={"io_manager": NothingIOManager()})
    instance = dg.DagsterInstance.get()
    known = set(instance.get_dynamic_partitions("companies"))
    instance.add_dynamic_partitions("companies", [t for t in args.tickers if t not in known])
    claim_process()
    lean_gc()
    job = defs.resolve_job_def("company_report")
    ok = True
    for ticker in args.tickers:
        result = job.execute_in_process(instance=instance, partition_key=ticker,
                                        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
        ok = ok and result.success
    gc.freeze()  # as the CLI's exit (cli/main.py: run)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
