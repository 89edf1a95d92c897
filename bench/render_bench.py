"""PDF, slide deck and workbook render time with inputs loaded: real bundled data, rule-based analysis, no Dagster.

    .venv/bin/python bench/render_bench.py [--tickers AAPL NVDA MSFT] [--repeat 7]

Prints one row per company (median and p95 of the render, pages, size) and writes
bench/render_results.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from consultantos_assets.analysis.analyst import EvidencePack, Frameworks
from consultantos_assets.analysis.assemble import report_input
from consultantos_assets.analysis.evidence import build_evidence
from consultantos_assets.analysis.rules import RuleBasedAnalyst
from consultantos_assets.report import build_pptx_bytes, build_xlsx_bytes, render_markdown, render_pdf
from consultantos_assets.settings import BUNDLED_SNAPSHOT, Settings
from consultantos_assets.sources.collect import gather


def load(ticker: str):
    research, trends, fin = gather(Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT), ticker)
    pack = EvidencePack(research=research, trends=trends, financials=fin,
                        evidence=build_evidence(research, trends, fin))
    a = RuleBasedAnalyst()
    fw = Frameworks(porter=a.porter(pack), swot=a.swot(pack), pestel=a.pestel(pack), blue_ocean=a.blue_ocean(pack))
    return report_input(research, trends, fin, fw, a.synthesis(pack, fw))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickers", nargs="+", default=["AAPL", "NVDA", "MSFT"])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for t in args.tickers:
            bundle = load(t)
            render_pdf(bundle, Path(tmp) / "warm.pdf")  # fonts and caches loaded once per process
            build_pptx_bytes(bundle)
            times, md_times, pptx_times, xlsx_times = [], [], [], []
            for i in range(args.repeat):
                start = time.perf_counter()
                result = render_pdf(bundle, Path(tmp) / f"{t}-{i}.pdf")
                times.append(time.perf_counter() - start)
                start = time.perf_counter()
                render_markdown(bundle)
                md_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                deck = build_pptx_bytes(bundle)
                pptx_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                book = build_xlsx_bytes(bundle)
                xlsx_times.append(time.perf_counter() - start)
            times.sort()
            rows.append({
                "ticker": t, "pages": result.pages, "kb": round(result.bytes / 1024, 1),
                "pdf_median_s": round(statistics.median(times), 3),
                "pdf_p95_s": round(times[min(len(times) - 1, int(0.95 * len(times)))], 3),
                "markdown_median_s": round(statistics.median(md_times), 4),
                "pptx_median_s": round(statistics.median(pptx_times), 3), "pptx_kb": round(len(deck) / 1024, 1),
                "xlsx_median_s": round(statistics.median(xlsx_times), 3), "xlsx_kb": round(len(book) / 1024, 1),
                "target_s": 1.0,
            })
    print(f"{'ticker':<7}{'pages':>6}{'KB':>8}{'pdf p50 s':>11}{'pdf p95 s':>11}{'md p50 s':>10}{'p50/target':>12}"
          f"{'pptx p50 s':>12}{'xlsx p50 s':>12}")
    for r in rows:
        print(f"{r['ticker']:<7}{r['pages']:>6}{r['kb']:>8}{r['pdf_median_s']:>11}{r['pdf_p95_s']:>11}"
              f"{r['markdown_median_s']:>10}{r['pdf_median_s'] / r['target_s']:>12.2f}"
              f"{r['pptx_median_s']:>12}{r['xlsx_median_s']:>12}")
    out = Path(__file__).with_name("render_results.json")
    out.write_text(json.dumps({"repeat": args.repeat, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
