"""Model calls, tokens and cost per report with the Gemini analyst, against the stand-in server.

    .venv/bin/python bench/llm_bench.py [--ticker AAPL]

Each scenario is the CLI (`consultantos report TICKER`) in a fresh process, offline sources, the Gemini
analyst pointed at the stand-in (consultantos_assets_tests/fake_gemini.py) through GOOGLE_GEMINI_BASE_URL.
The stand-in counts prompt and answer tokens as characters / 4 (Google's rule of thumb) and thinks a
fixed number of tokens per thinking level (50 at the default "low"), so tokens are estimates of the real
prompt sizes and cost is that estimate at the default model's price. Scenarios:

  valid     every answer valid: calls per report (goal <= 6), tokens, cost; then the identical re-run
  reask     the first answer of every framework cites an unknown evidence id (goal <= 10 calls)
  fallback  the PESTEL answer is stopped on a safety filter: what the CLI's last lines say

Prints a table and writes bench/llm_results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from consultantos_assets.analysis.llm_settings import DEFAULT_MODEL, LLMSettings, expected_thinking  # noqa: E402
from consultantos_assets_tests.fake_gemini import FakeGemini  # noqa: E402

TITLES = ("PorterAnswer", "SWOTAnswer", "PESTELAnswer", "BlueOceanAnswer", "SynthesisAnswer")


def cli_report(home: Path, ticker: str, fake: FakeGemini) -> str:
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster" / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if k not in ("CONSULTANTOS_SNAPSHOT_DIR", "GOOGLE_API_KEY",
                                                            "TAVILY_API_KEY", "EDGAR_IDENTITY")}
    env.update(CONSULTANTOS_HOME=str(home), DAGSTER_HOME=str(home / "dagster"), CONSULTANTOS_MODE="offline",
               CONSULTANTOS_ANALYST="llm", GEMINI_API_KEY="bench-key", GOOGLE_GEMINI_BASE_URL=fake.url,
               CONSULTANTOS_EMBEDDER="lexical")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "-m", "consultantos_assets.cli", "report", ticker], env=env,
                                 cwd=REPO, stdout=out, stderr=err, text=True)
        child.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"report failed:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return stdout


def ledger(home: Path) -> dict[str, float]:
    import duckdb

    with duckdb.connect(str(home / "llm" / "ledger.duckdb"), read_only=True) as con:
        row = con.execute("SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(input_tokens), 0), "
                          "COALESCE(SUM(output_tokens), 0), COALESCE(SUM(thinking_tokens), 0), "
                          "COALESCE(SUM(cost_usd), 0), COUNT(*) FILTER (WHERE outcome = 'cache') "
                          "FROM llm_calls").fetchone()
    return dict(zip(("calls", "input_tokens", "output_tokens", "thinking_tokens", "cost_usd", "cache_hits"),
                    row, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticker", default="AAPL")
    args = ap.parse_args()
    fake = FakeGemini(count_tokens=True).start()
    rows: dict[str, object] = {"model": DEFAULT_MODEL}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            home = tmp / "valid"
            cli_report(home, args.ticker, fake)
            first = ledger(home)
            requests_first = len(fake.generations())
            cli_report(home, args.ticker, fake)
            again = ledger(home)
            s = LLMSettings()
            p_now, p_2027 = s.price(DEFAULT_MODEL), s.price(DEFAULT_MODEL, on=dt.date(2027, 1, 1))
            out_tokens = first["output_tokens"] + first["thinking_tokens"]
            rows.update(
                valid_calls_per_report=int(first["calls"]), valid_requests_seen=requests_first,
                input_tokens_per_report=int(first["input_tokens"]),
                output_tokens_per_report=int(first["output_tokens"]),
                thinking_tokens_per_report=int(first["thinking_tokens"]),
                cost_usd_per_report=round(first["cost_usd"], 6),
                price_now=f"{p_now[0]}/{p_now[1]} USD per M input/output tokens",
                cost_usd_per_report_from_2027=round((first["input_tokens"] * p_2027[0] + out_tokens * p_2027[1]) / 1e6,
                                                    6),
                # the stand-in's answers are short; a real answer is priced with the budget estimate's
                # expected answer and thinking tokens per call instead
                cost_usd_per_report_at_expected_output=round(
                    (first["input_tokens"] * p_now[0]
                     + first["calls"] * (s.expected_output_tokens + expected_thinking(s.thinking)) * p_now[1]) / 1e6, 6),
                rerun_calls=int(again["calls"] - first["calls"]), rerun_cache_hits=int(again["cache_hits"]),
            )

            home = tmp / "reask"
            for title in TITLES:
                fake.push_for(title, "unknown_id")
            cli_report(home, args.ticker, fake)
            reask = ledger(home)
            rows.update(reask_calls_per_report=int(reask["calls"]), reask_cost_usd=round(reask["cost_usd"], 6))

            home = tmp / "fallback"
            fake.push_for("PESTELAnswer", "safety")
            stdout = cli_report(home, args.ticker, fake)
            rows["fallback_cli_last_lines"] = stdout.strip().splitlines()[-2:]
    finally:
        fake.stop()
    width = max(len(k) for k in rows)
    for k, v in rows.items():
        print(f"{k:<{width}}  {v}")
    print(f"goals: calls <= 6 when valid ({rows['valid_calls_per_report']}), <= 10 with one re-ask per framework "
          f"({rows['reask_calls_per_report']}), 0 on the re-run ({rows['rerun_calls']})")
    (REPO / "bench" / "llm_results.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
