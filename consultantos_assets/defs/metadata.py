"""Materialization metadata in the shapes the Dagster UI reads: standard `dagster/*` keys, tables, JSON.

Each key keeps one type on every materialization (a number stays a number, so the UI can plot it);
a value that does not exist is left out rather than written as text.
"""

from __future__ import annotations

import dagster as dg

from ..models import METRICS, Financials

ROW_COUNT = "dagster/row_count"
URI = "dagster/uri"

_FACT_COLUMNS = dg.TableSchema(columns=[
    dg.TableColumn("metric", "string", description="the metric as the report names it"),
    dg.TableColumn("fiscal_year", "int"),
    dg.TableColumn("value", "float", description="as SEC reports it, in `unit`"),
    dg.TableColumn("unit", "string"),
    dg.TableColumn("period_end", "string"),
    dg.TableColumn("form", "string"),
    dg.TableColumn("accession", "string", description="the SEC filing the value comes from"),
])


def financials_preview(fin: Financials, years: int = 3) -> dg.TableMetadataValue:
    """The latest `years` fiscal years of annual facts, one row per metric and year, with their filing."""
    keep = set(fin.fiscal_years()[-years:])
    order = list(METRICS)
    facts = sorted((f for f in fin.annual if f.fiscal_year in keep),
                   key=lambda f: (order.index(f.metric) if f.metric in order else len(order), -f.fiscal_year))
    return dg.MetadataValue.table(
        records=[dg.TableRecord({"metric": METRICS.get(f.metric, (f.metric, ""))[0], "fiscal_year": f.fiscal_year,
                                 "value": float(f.value), "unit": f.unit, "period_end": f.period_end.isoformat(),
                                 "form": f.form, "accession": f.accession}) for f in facts],
        schema=_FACT_COLUMNS,
    )


def latest_value(fin: Financials, metric: str) -> dict[str, float]:
    """{`latest_<metric>_usd`: value} when the company reports the metric, else nothing."""
    fact = fin.latest(metric)
    return {f"latest_{metric}_usd": float(fact.value)} if fact is not None else {}
