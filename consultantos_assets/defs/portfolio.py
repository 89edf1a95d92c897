"""The portfolio: one row per company, read from the instance's event log (no asset values loaded).

Per company: each source's age against its freshness window (this is where per-company freshness
shows: Dagster's freshness policies judge an asset across all companies), the last report's date,
confidence, analyst and fallbacks, the material changes of the last report, and each check's latest
result. The `portfolio` asset stores it as table metadata and writes a one-page PDF and a CSV beside
the reports; `consultantos portfolio` prints the same table.
"""


import datetime as dt
from collections.abc import Mapping

import dagster as dg

from ..models.portfolio import Portfolio, PortfolioRow, SourceAge
from ..settings import AutomationSettings
from .automation import SOURCE_ASSETS
from .catalog import ANALYSIS_ASSETS
from .company_graph import portfolio_asset
from .metadata import ROW_COUNT, URI
from .partitions import valid_companies
from .resources import ReportStore


def _latest(instance: dg.DagsterInstance, asset: str, ticker: str):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[ticker]), limit=1).records
    return records[0] if records else None


def _meta(record, key: str):
    if record is None or record.asset_materialization is None:
        return None
    value = record.asset_materialization.metadata.get(key)
    return getattr(value, "value", None) if value is not None else None


def check_results(instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey], ticker: str) -> dict[str, str]:
    """'asset:check' -> passed | failed | outdated (its asset was materialized again since) for every
    check that ever ran for the company."""
    from .dagster_internals import CheckStatus as S

    out = {}
    infos = instance.event_log_storage.get_asset_check_partition_info(check_keys, partition_keys=[ticker])
    for info in sorted(infos, key=lambda i: (i.check_key.asset_key.to_user_string(), i.check_key.name)):
        name = f"{info.check_key.asset_key.to_user_string()}:{info.check_key.name}"
        if info.latest_execution_status == S.PLANNED:
            out[name] = "running"
        elif not info.is_current:
            out[name] = "outdated"
        else:
            out[name] = "passed" if info.latest_execution_status == S.SUCCEEDED else "failed"
    return out


def company_row(instance: dg.DagsterInstance, ticker: str, windows: Mapping[str, dt.timedelta],
                check_keys: list[dg.AssetCheckKey], thresholds, now: dt.datetime) -> PortfolioRow:
    from ..report.changes import ReportChanges, material

    sources, fallbacks = [], []
    company = None
    for asset in SOURCE_ASSETS:
        rec = _latest(instance, asset, ticker)
        window = windows[asset].total_seconds()
        if rec is None:
            sources.append(SourceAge(asset=asset, window_s=window, state="missing"))
            continue
        age = now.timestamp() - rec.timestamp
        sources.append(SourceAge(asset=asset, age_s=age, window_s=window, state="fresh" if age <= window else "stale"))
        served = _meta(rec, "served_from")
        if served in ("last_good", "none"):
            fallbacks.append(f"{asset}: {'last good value' if served == 'last_good' else 'no data'}")
        company = company or _meta(rec, "company")
    for asset in ANALYSIS_ASSETS:
        if _meta(_latest(instance, asset, ticker), "llm_fallback"):
            fallbacks.append(f"{asset}: rule-based fallback")
    report = _latest(instance, "report_pdf", ticker)
    synthesis = _latest(instance, "synthesis", ticker)
    changes: list[str] = []
    raw = _meta(report, "changes")
    if raw:
        changes = material(ReportChanges.model_validate(raw), thresholds)
        changes = [line for line in changes if not line.startswith(("+ ", "- ", "(and "))]
    as_of = _meta(report, "report_as_of")
    confidence = _meta(report, "confidence")
    return PortfolioRow(
        ticker=ticker, company=company, sources=sources,
        report_at=dt.datetime.fromtimestamp(report.timestamp, dt.UTC) if report else None,
        report_as_of=dt.date.fromisoformat(as_of) if as_of else None,
        report_path=str(_meta(report, URI) or _meta(report, "path") or "") or None,
        confidence=float(confidence) if confidence is not None else _meta(synthesis, "confidence"),
        analyst=_meta(synthesis, "analyst"), fallbacks=fallbacks, changes=changes,
        checks=check_results(instance, check_keys, ticker),
    )


def build_portfolio(instance: dg.DagsterInstance, check_keys: list[dg.AssetCheckKey],
                    settings: AutomationSettings | None = None, thresholds=None,
                    now: dt.datetime | None = None) -> Portfolio:
    from ..report.changes import AlertThresholds

    settings = settings or AutomationSettings.from_env()
    thresholds = thresholds or AlertThresholds.from_env()
    now = now or dt.datetime.now(dt.UTC)
    tickers = sorted(valid_companies(instance)[0])
    return Portfolio(as_of=now, rows=[company_row(instance, t, settings.windows, check_keys, thresholds, now)
                                      for t in tickers])


def company_check_keys() -> list[dg.AssetCheckKey]:
    """Every check of the company graph (declared with its assets)."""
    from . import COMPANY_MODULES

    keys = {k for a in dg.load_assets_from_modules(COMPANY_MODULES) if isinstance(a, dg.AssetsDefinition)
            for k in a.check_keys}
    return sorted(keys, key=lambda k: (k.asset_key.to_user_string(), k.name))


@portfolio_asset(
    "portfolio", {"pdf", "csv"},
    description="Every company in one table: each source's age against its freshness window, the last report's "
    "date, confidence, analyst and fallbacks, material changes and check results; a one-page PDF and a CSV "
    "beside the reports.",
)
def portfolio(context: dg.AssetExecutionContext, reports: ReportStore) -> dg.Output[Portfolio]:
    from ..report.portfolio import TABLE_KEYS, portfolio_csv, portfolio_pdf, table_rows

    value = build_portfolio(context.instance, company_check_keys())
    kept = reports.publish_portfolio({"pdf": portfolio_pdf(value), "csv": portfolio_csv(value).encode("utf-8")})
    value = value.model_copy(update={"pdf_path": kept["pdf"], "csv_path": kept["csv"]})
    _, rows = table_rows(value)
    columns = TABLE_KEYS
    return dg.Output(value, metadata={
        ROW_COUNT: len(value.rows),
        URI: kept["pdf"],
        "path": dg.MetadataValue.path(kept["pdf"]),
        "csv_path": dg.MetadataValue.path(kept["csv"]),
        "companies": dg.MetadataValue.table(
            records=[dg.TableRecord(dict(zip(columns, r, strict=True))) for r in rows],
            schema=dg.TableSchema(columns=[dg.TableColumn(c, "string") for c in columns])),
        "stale_companies": sum(1 for r in value.rows if r.stale),
        "failed_checks": sum(len(r.failed_checks) for r in value.rows),
    })
