"""Operations on real runs: the material-change alert (once, not for an unchanged re-render), the
portfolio view for three companies (PDF, CSV, table metadata, `consultantos portfolio`), metadata whose
types stay the same across materializations, and what the catalog says about each asset.

One module fixture builds AAPL and MSFT in process on a real on-disk instance, raises AAPL's latest
revenue by 12% in a copy of the snapshot, rebuilds AAPL, and re-renders its report with identical
inputs; TSLA is a company that was added and never built."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from consultantos_assets.defs import build_definitions
from consultantos_assets.defs.alerts import AlertsResource, evaluate_material_changes
from consultantos_assets.defs.catalog import ANALYSIS_ASSETS, CODE_VERSIONS, code_versions
from consultantos_assets.defs.portfolio import build_portfolio, company_check_keys
from consultantos_assets.defs.resources import build_resources
from consultantos_assets.report.changes import AlertThresholds
from consultantos_assets.report.formatting import fmt_usd

from .alert_receivers import SmtpReceiver, WebhookReceiver
from .conftest import BUNDLED, artifacts_dir
from .test_pipeline import run_captured

REVENUE = "RevenueFromContractWithCustomerExcludingAssessedTax"
AAPL_FACTS = Path("sec_edgar/companyfacts/CIK0000320193.json")


def latest_annual_revenue(snapshot: Path) -> tuple[str, str, float]:
    """(start, end, value) of AAPL's latest 10-K annual revenue, read from the SEC JSON itself."""
    rows = json.loads((snapshot / AAPL_FACTS).read_text())["facts"]["us-gaap"][REVENUE]["units"]["USD"]
    annual = [r for r in rows if r.get("form") == "10-K" and r.get("start") and
              340 <= (datetime.fromisoformat(r["end"]) - datetime.fromisoformat(r["start"])).days <= 380]
    last = max(annual, key=lambda r: r["end"])
    return last["start"], last["end"], float(last["val"])


def raise_revenue(snapshot: Path, factor: float) -> None:
    path = snapshot / AAPL_FACTS
    data = json.loads(path.read_text())
    start, end, _ = latest_annual_revenue(snapshot)
    for r in data["facts"]["us-gaap"][REVENUE]["units"]["USD"]:
        if r.get("start") == start and r["end"] == end:
            r["val"] = round(r["val"] * factor)
    path.write_text(json.dumps(data))


@dataclass
class Ops:
    home: Path
    instance: dg.DagsterInstance
    defs: dg.Definitions
    revenue_before: float
    revenue_after: float
    ticks: list = field(default_factory=list)        # (SensorResult, mails so far, posts so far)
    portfolio: dg.MaterializeResult | None = None


@pytest.fixture(scope="module")
def ops(tmp_path_factory):
    home = tmp_path_factory.mktemp("ops")
    snap1, snap2 = home / "snapshot1", home / "snapshot2"
    shutil.copytree(BUNDLED, snap1)
    with pytest.MonkeyPatch.context() as mp:
        for var in ("DAGSTER_HOME", "TAVILY_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "EDGAR_IDENTITY"):
            mp.delenv(var, raising=False)
        mp.setenv("CONSULTANTOS_HOME", str(home))
        mp.setenv("CONSULTANTOS_MODE", "offline")
        mp.setenv("CONSULTANTOS_EMBEDDER", "lexical")
        mp.setenv("CONSULTANTOS_SNAPSHOT_DIR", str(snap1))
        from consultantos_assets.cli import ensure_instance_home

        ensure_instance_home()          # the instance the CLI uses: <home>/dagster with the repo's dagster.yaml
        instance = dg.DagsterInstance.get()
        defs = build_definitions()
        company = [a for a in defs.assets if a.partitions_def is not None]
        report = [a for a in company if a.key == dg.AssetKey("report_pdf")]

        def run(ticker: str, selection=None) -> None:
            res = dg.materialize(company, partition_key=ticker, instance=instance, selection=selection,
                                 resources=build_resources(home), tags={"consultantos/trigger": "test"})
            assert res.success

        instance.add_dynamic_partitions("companies", ["AAPL", "MSFT", "TSLA"])
        run("AAPL")
        run("MSFT")
        before = latest_annual_revenue(snap1)[2]
        shutil.copytree(snap1, snap2)               # a new path: providers cache what they parsed per snapshot
        raise_revenue(snap2, 1.12)
        after = latest_annual_revenue(snap2)[2]
        out = Ops(home, instance, defs, before, after)
        with SmtpReceiver() as smtp, WebhookReceiver() as hook:
            alerts = AlertsResource(email_to="owner@example.com", smtp_host="127.0.0.1", smtp_port=smtp.port,
                                    smtp_security="none", webhook_url=hook.url, backoff_s=0.01, timeout_s=3)

            def tick(cursor):
                with dg.build_sensor_context(instance=instance, cursor=cursor) as ctx:
                    result = evaluate_material_changes(ctx, alerts, thresholds=AlertThresholds())
                out.ticks.append((result, list(smtp.messages), list(hook.requests)))
                return result.cursor

            cursor = tick(None)                       # baseline: AAPL's and MSFT's first reports are history
            mp.setenv("CONSULTANTOS_SNAPSHOT_DIR", str(snap2))
            run("AAPL")                               # new revenue: a material change
            cursor = tick(cursor)
            cursor = tick(cursor)                     # nothing new
            run("AAPL", selection=report)             # the same inputs rendered again
            tick(cursor)
        out.portfolio = dg.materialize([a for a in defs.assets if a.partitions_def is None], instance=instance,
                                       resources=build_resources(home))
        yield out
        instance.dispose()


def test_material_change_alerted_once_and_not_for_an_unchanged_rerender(ops):
    baseline, changed, again, rerender = ops.ticks
    assert "baseline" in baseline[0].skip_reason.skip_message and not baseline[1] and not baseline[2]
    [mail], [post] = changed[1], changed[2]
    body = mail.get_content()
    assert mail["Subject"].startswith("ConsultantOS: AAPL changed materially")
    _, end, _ = latest_annual_revenue(ops.home / "snapshot1")
    fy = int(end[:4])
    line = f"Revenue FY{fy}: {fmt_usd(ops.revenue_before)} to {fmt_usd(ops.revenue_after)} (+12.0%)"
    assert line in body and line in post["text"]
    assert "Gross margin:" in body                      # the same gross profit over a larger revenue
    assert "AAPL: alerted" in changed[0].skip_reason.skip_message
    assert len(again[1]) == 1 and len(again[2]) == 1 and "no new reports" in again[0].skip_reason.skip_message
    assert len(rerender[1]) == 1 and len(rerender[2]) == 1        # the re-render sent nothing
    assert json.loads(rerender[0].cursor)["alerted"]["AAPL"]


def test_portfolio_for_three_companies(ops):
    assert ops.portfolio.success
    [mat] = [e.event_specific_data.materialization for e in ops.portfolio.get_asset_materialization_events()
             if e.asset_key == dg.AssetKey("portfolio")]
    meta = mat.metadata
    assert meta["dagster/row_count"].value == 3
    table = meta["companies"].value
    by_ticker = {r.data["ticker"]: r.data for r in table.records}
    assert set(by_ticker) == {"AAPL", "MSFT", "TSLA"}
    assert by_ticker["TSLA"]["status"] == "no report" and by_ticker["TSLA"]["research"] == "missing"
    assert by_ticker["AAPL"]["status"] == "fresh" and by_ticker["AAPL"]["checks"] == "7/7 passed"
    assert by_ticker["MSFT"]["what_changed"] == "none"

    value = build_portfolio(ops.instance, company_check_keys())
    rows = {r.ticker: r for r in value.rows}
    aapl = rows["AAPL"]
    assert any(c.startswith("Revenue FY") and "+12.0%" in c for c in aapl.changes)
    assert by_ticker["AAPL"]["what_changed"] == f"{len(aapl.changes)}: {aapl.changes[0]}"
    assert aapl.company == "Apple Inc." and aapl.analyst == "rule-based v2" and aapl.fallbacks == []
    report_mat = ops.instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey("report_pdf"), asset_partitions=["AAPL"]), limit=1).records[0]
    assert aapl.confidence == report_mat.asset_materialization.metadata["confidence"].value
    assert set(aapl.checks) == {f"{k.asset_key.to_user_string()}:{k.name}" for k in company_check_keys()}
    # per company freshness: two days on, AAPL's and MSFT's research (1 day) is stale, trends (7 days) are not
    later = build_portfolio(ops.instance, company_check_keys(), now=datetime.now(UTC) + timedelta(days=2))
    for r in later.rows[:2]:
        states = {s.asset: s.state for s in r.sources}
        assert states == {"company_research": "stale", "market_trends": "fresh", "financials": "fresh"}, r.ticker

    pdf = Path(meta["path"].value)
    csv_path = Path(meta["csv_path"].value)
    assert pdf.parent == ops.home / "reports" / "portfolio" and csv_path.parent == pdf.parent
    rows_csv = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [r["ticker"] for r in rows_csv] == ["AAPL", "MSFT", "TSLA"]
    assert rows_csv[2]["status"] == "no report" and rows_csv[2]["report_as_of"] == ""
    assert float(rows_csv[0]["research_window_h"]) == 24.0
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert all(t in text for t in ("AAPL", "MSFT", "TSLA", "no report"))
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(artifacts_dir("portfolio") / "portfolio")],
                       check=True)


def test_evaluation_scores_every_latest_report(ops):
    """The evaluation asset (materialized with the portfolio) scores AAPL's and MSFT's latest reports, read
    back from the report store, and says TSLA has none; its figures are numbers the UI can plot."""
    from consultantos_assets.analysis.evaluation import score_report
    from consultantos_assets.defs.evaluation import MEASURES
    from consultantos_assets.models import ReportInput

    [mat] = [e.event_specific_data.materialization for e in ops.portfolio.get_asset_materialization_events()
             if e.asset_key == dg.AssetKey("evaluation")]
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["dagster/row_count"] == 2 and meta["companies_without_report"] == 1
    for key in ("points", *MEASURES, *(f"{t}/{m}" for t in ("AAPL", "MSFT") for m in MEASURES)):
        assert isinstance(meta[key], int | float), key
    # each figure is the score of the report the latest report_pdf materialization names
    for ticker in ("AAPL", "MSFT"):
        record = ops.instance.fetch_materializations(
            dg.AssetRecordsFilter(dg.AssetKey("report_pdf"), asset_partitions=[ticker]), limit=1).records[0]
        inputs_hash = record.asset_materialization.metadata["inputs_hash"].value
        archived = ops.home / "reports" / ticker / "history" / f"{inputs_hash}.json"
        score = score_report(ReportInput.model_validate_json(archived.read_text()), inputs_hash)
        for m in MEASURES:
            assert meta[f"{ticker}/{m}"] == getattr(score, m), (ticker, m)
        assert meta[f"{ticker}/prior_only_share"] <= 0.2
        assert meta[f"{ticker}/ungrounded_figures"] == 0 and meta[f"{ticker}/comparisons_without_basis"] == 0
    assert {r.data["ticker"] for r in meta["reports"].records} == {"AAPL", "MSFT"}


def test_cli_prints_the_portfolio(ops):
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env.update(CONSULTANTOS_HOME=str(ops.home), CONSULTANTOS_MODE="offline")
    proc = run_captured([sys.executable, "-m", "consultantos_assets.cli", "portfolio"], env)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["Ticker", "Status", "Research"]
    tsla = next(line for line in lines if line.startswith("TSLA"))
    assert "no report" in tsla and "missing" in tsla
    assert any(line.startswith("AAPL") and "7/7 passed" in line for line in lines)
    proc = run_captured([sys.executable, "-m", "consultantos_assets.cli", "portfolio", "--csv"], env)
    assert proc.stdout.splitlines()[0].startswith("ticker,company,status,research_age_h")


def test_metadata_types_stable_across_materializations(ops):
    for key in ops.defs.resolve_asset_graph().get_all_asset_keys():
        if key in (dg.AssetKey("portfolio"), dg.AssetKey("evaluation")):  # unpartitioned, materialized once here
            continue
        records = ops.instance.fetch_materializations(
            dg.AssetRecordsFilter(key, asset_partitions=["AAPL"]), limit=2).records
        assert len(records) == 2, key
        new, old = (r.asset_materialization.metadata for r in records)
        assert {k: type(v) for k, v in new.items()} == {k: type(v) for k, v in old.items()}, key
        if key != dg.AssetKey("report_pdf"):      # a file, not rows: its dagster/uri says where it is
            assert isinstance(new["dagster/row_count"], dg.IntMetadataValue), key
        else:
            assert new["dagster/uri"].value == new["path"].value
    fin = ops.instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey("financials"), asset_partitions=["AAPL"]), limit=1).records[0]
    meta = fin.asset_materialization.metadata
    assert meta["latest_revenue_usd"].value == ops.revenue_after       # a number, from the SEC JSON
    preview = meta["annual_preview"].value
    assert [c.name for c in preview.schema.columns][:3] == ["metric", "fiscal_year", "value"]
    newest = max((r.data for r in preview.records if r.data["metric"] == "Revenue"), key=lambda d: d["fiscal_year"])
    assert newest["value"] == ops.revenue_after
    index = ops.instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey("research_index"), asset_partitions=["AAPL"]), limit=1).records[0]
    im = index.asset_materialization.metadata
    assert isinstance(im["by_kind"], dg.JsonMetadataValue)
    assert im["dagster/uri"].value.startswith(str(ops.home / "lancedb") + "/")
    assert sum(im["by_kind"].value.values()) == im["dagster/row_count"].value
    report = ops.instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey("report_pdf"), asset_partitions=["AAPL"]), limit=1).records[0]
    assert isinstance(report.asset_materialization.metadata["changes"], dg.JsonMetadataValue)


# ------------------------------------------------------------------------------------ catalog
def test_code_versions_follow_what_makes_each_asset():
    base = code_versions()
    graph = build_definitions().resolve_asset_graph()
    assert {k.to_user_string(): graph.get(k).code_version for k in graph.get_all_asset_keys()} == CODE_VERSIONS
    changed = lambda **kw: {a for a, v in code_versions(**kw).items() if v != base[a]}  # noqa: E731
    assert changed(prompt="llm-v3") == set(ANALYSIS_ASSETS)
    assert changed(rules="rule-based v3") == set(ANALYSIS_ASSETS)
    assert changed(renderer="report-v5") == {"report_pdf"}
    assert changed(portfolio_renderer="portfolio-v2") == {"portfolio"}
    for name in ANALYSIS_ASSETS:
        assert "gemini" in graph.get(dg.AssetKey(name)).kinds
    assert "gemini" not in graph.get(dg.AssetKey("financials")).kinds
    assert graph.get(dg.AssetKey("swot")).owners == ["team:research"]
    assert graph.get(dg.AssetKey("swot")).tags["consultantos/layer"] == "frameworks"
