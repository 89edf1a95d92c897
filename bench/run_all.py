"""`make bench`: run every benchmark, print one table, write bench/results.json.

    .venv/bin/python bench/run_all.py [--quick]

--quick skips the 16-company portfolio and the 100k-row index (a few minutes instead of ~10);
--table-only prints the table again from the last results files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def run(script: str, *args: str) -> dict:
    subprocess.run([sys.executable, str(BENCH / script), *args], check=True)
    return json.loads((BENCH / script.replace("_bench.py", "_results.json")).read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--table-only", action="store_true", help="print the table from the last results")
    args = ap.parse_args()
    if args.table_only:
        pipeline, render, index, llm, embedders = (json.loads((BENCH / f"{n}_results.json").read_text())
                                                   for n in ("pipeline", "render", "index", "llm", "embedder"))
    else:
        pipeline = run("pipeline_bench.py", *(["--skip-portfolio"] if args.quick else []))
        render = run("render_bench.py")
        index = run("index_bench.py", *(["--sizes", "10000"] if args.quick else []))
        embedders = run("embedder_bench.py")
        llm = run("llm_bench.py")

    rows: list[tuple[str, str, str]] = []
    p = pipeline
    rows += [
        ("cold offline report, CLI (s)", f"{p['cold_report_s']}", f"median of {p['pairs']} ({p['cold_report_runs']}); "
         f"{p['cold_over_floor']}x the no-op graph of the same shape ({p['floor_first_s']} s, median of "
         f"{p['floor_first_runs']}, each run just before a report); {p['cold_over_deps_only_floor']}x one of bare "
         f"dependencies ({p['floor_deps_only_s']} s)"),
        ("start-up to the first asset (s)", f"{p['cold_first_step_s']}", f"{p['first_step_over_floor_s']:+} s over "
         f"the no-op graph's ({p['floor_first_step_s']} s), medians; per pair {p['first_step_over_floor_runs']}"),
        ("re-run, identical inputs (s)", f"{p['rerun_report_s']}", f"{p['rerun_over_floor']}x the no-op graph "
         f"({p['floor_second_s']} s); {p['rerun_up_to_date']} of {p.get('assets', 14)} assets up to date; model calls "
         f"{p['rerun_model_calls']}"),
        ("automation when all fresh (runs requested)", f"{p['fresh_requests']}", "expected 0: no fetch, no model call"),
        ("peak memory of a report run (MB)", f"{p['peak_pss_mb']}", "the CLI and its workers together (PSS: "
         f"shared pages counted once); largest single process {p['peak_rss_mb']} MB RSS"),
    ]
    if "portfolio_serial_s" in p:
        rows += [
            (f"portfolio of {p['portfolio_companies']}, serial (s)", f"{p['portfolio_serial_s']}",
             f"one `consultantos report` of every ticker, one process; {p['portfolio_serial_over_floor']}x the "
             f"no-op graph of the same shape for the same companies ({p['portfolio_floor_s']} s)"),
            (f"portfolio of {p['portfolio_companies']}, 2 at a time (s)", f"{p['portfolio_parallel2_s']}",
             f"speed-up {p['portfolio_speedup']}x on {p['cores']} cores; the serial command keeps "
             f"{p['portfolio_serial_cores_busy']} cores busy ({p['portfolio_serial_cpu_s']} CPU s), two at a time "
             f"{p['portfolio_parallel2_cores_busy']} ({p['portfolio_parallel2_cpu_s']} CPU s), so "
             f"{p['portfolio_speedup_ceiling']}x is the most this machine allows for that work, and "
             f"{p['portfolio_speedup_bound']}x ({p['cores']} / {p['portfolio_serial_cores_busy']}) for no more work "
             f"than the serial command's"),
            (f"portfolio of {p['portfolio_companies']}, serial, no workers (s)", f"{p['portfolio_serial_no_workers_s']}",
             f"CONSULTANTOS_WORKERS=0: everything in the one process, as in each of the two at a time; 2 at a time "
             f"is {p['portfolio_speedup_over_no_workers']}x faster than this"),
        ]
    rows += [
        (f"Gemini analyst, model calls per report ({llm['model']})", f"{llm['valid_calls_per_report']}",
         f"goal <= 6; {llm['reask_calls_per_report']} with one re-ask per framework (goal <= 10); "
         f"re-run {llm['rerun_calls']}"),
        ("Gemini analyst, tokens per report (in/out/thinking)",
         f"{llm['input_tokens_per_report']}/{llm['output_tokens_per_report']}/{llm['thinking_tokens_per_report']}",
         "stand-in, characters / 4"),
        ("Gemini analyst, cost per report (USD)", f"{llm['cost_usd_per_report_at_expected_output']}",
         f"at {llm['price_now']} with the budget estimate's answer sizes; {llm['cost_usd_per_report']} at the "
         f"stand-in's, {llm['cost_usd_per_report_from_2027']} at the stand-in's from 2027"),
    ]
    for r in render["rows"]:
        rows.append((f"PDF render {r['ticker']}, inputs loaded (s)", f"{r['pdf_median_s']}",
                     f"p95 {r['pdf_p95_s']} s, {r['pages']} pages; target < 1 s"))
    for t in index["tables"]:
        # the configuration the application uses (index/store.py defaults: IVF_PQ, 20 probes, refine 10)
        best = next((a for a in t["approximate"] if a["index"] == "IVF_PQ" and a["nprobes"] == 20),
                    t["approximate"][0])
        rows.append((f"index top-10 at {t['rows']:,} rows, exact p50/p95 (ms)",
                     f"{t['exact']['p50_ms']}/{t['exact']['p95_ms']}", ""))
        rows.append((f"index top-10 at {t['rows']:,} rows, {best['index']} p50/p95 (ms)",
                     f"{best['p50_ms']}/{best['p95_ms']}", f"recall@10 {best['recall_at_10']}; "
                     f"{t['exact']['p50_ms'] / best['p50_ms']:.1f}x faster than exact"))
    for name, r in embedders["results"].items():
        if not r["installed"]:
            rows.append((f"embedder {name}", "not installed", ""))
            continue
        rows.append((f"embedder {name}: load (s) / chunks per s", f"{r['load_s']}/{r['chunks_per_s']}",
                     f"{r['dimension']}-d; top-1 {r['top1']}, MRR {r['mrr']} on {embedders['questions']} questions"
                     + (f"; same top document as torch {r['agrees_with_torch_top1']}"
                        if r.get("agrees_with_torch_top1") is not None else "")))

    w1 = max(len(r[0]) for r in rows)
    w2 = max(len(r[1]) for r in rows)
    print()
    print(f"{'measure':<{w1}}  {'value':>{w2}}  note")
    for a, b, c in rows:
        print(f"{a:<{w1}}  {b:>{w2}}  {c}")
    (BENCH / "results.json").write_text(json.dumps({"pipeline": pipeline, "render": render, "index": index,
                                                    "llm": llm, "embedders": embedders, "table": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
