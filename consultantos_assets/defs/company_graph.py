"""What every asset of the company graph shares (and `portfolio_asset`, the assets over every company): the asset decorator (one partition per company, group, kinds,
layer tag, code version), checks with one result per company, the ticker of the partition, content-hash data
versions, Markdown-safe metadata, and the latest materialization of an asset for a company."""

import warnings

import dagster as dg

from ..models import InvalidTicker, content_hash, normalize_ticker
from .catalog import CODE_VERSIONS, kinds_for
from .partitions import companies

# Output(data_version=...) is marked beta; it is how sources report content-hash versions.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*data_version.*")

_REFRESH = {"retrieved_at", "refresh_fault", "refresh_failed_at"}
VOLATILE = {"provenance": _REFRESH, "price_provenance": _REFRESH}


def company_asset(group: str, kind: str = "python", **kwargs):
    """`dg.asset` with what every asset here shares: one partition per company, a group, kinds, a tag
    for the layer and the code version derived from what makes the asset (defs/catalog.py)."""

    def wrap(fn):
        name = kwargs.get("name", fn.__name__)
        return dg.asset(partitions_def=companies, group_name=group, kinds=kinds_for(name, kind),
                        code_version=CODE_VERSIONS[name], tags={"consultantos/layer": group}, **kwargs)(fn)

    return wrap


def portfolio_asset(name: str, kinds: set[str], description: str):
    """`dg.asset` for an asset over every company (no partitions): in the portfolio group, read after any
    company's report (every partition of report_pdf)."""
    return dg.asset(name=name, group_name="portfolio", kinds=kinds, code_version=CODE_VERSIONS[name],
                    tags={"consultantos/layer": "portfolio"}, description=description,
                    deps=[dg.AssetDep("report_pdf", partition_mapping=dg.AllPartitionMapping())])


def company_check(name: str, asset: str, description: str, blocking: bool = False) -> dg.AssetCheckSpec:
    """A check with one result per company. `partitions_def` on a check spec is a preview API in
    Dagster 1.13 (dagster is pinned exactly in pyproject.toml; test_checks asserts the behaviour)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=asset, blocking=blocking, description=description,
                                 partitions_def=companies)


def md_escape(text: str) -> str:
    """Data text (company names, document names, provider messages) made inert for Markdown metadata."""
    from ..report.text import md

    return md(text)


def md_list(items) -> dg.MetadataValue:
    return dg.MetadataValue.md("\n".join(f"- {md_escape(i)}" for i in items) or "none")


def ticker_of(context: dg.AssetExecutionContext) -> str:
    """The company's ticker; a partition key that is not exactly a valid upper-case ticker fails the
    step before anything is fetched or written (the partition guard sensor then removes the key)."""
    key = context.partition_key
    try:
        ticker = normalize_ticker(key)
    except InvalidTicker as exc:
        raise dg.Failure(description=f"partition {ascii(key[:40])} is not a usable company: {exc}. Delete "
                         "it from the `companies` partitions and add the company by its ticker.") from exc
    if ticker != key:
        raise dg.Failure(description=f"partition {ascii(key[:40])} is not an upper-case ticker: add the "
                         f"company as {ticker!r} instead and delete this partition.")
    return ticker


def versioned_output(value, metadata: dict[str, object], exclude=VOLATILE) -> dg.Output:
    """The value with its content hash (without the `exclude`d fields) as data version, also in the metadata."""
    version = content_hash(value, exclude=exclude)
    return dg.Output(value, data_version=dg.DataVersion(version), metadata={**metadata, "data_version": version})


def latest_materialization(context: dg.AssetExecutionContext, asset: str, ticker: str):
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(dg.AssetKey(asset), asset_partitions=[ticker]), limit=1
    ).records
    return records[0].asset_materialization if records else None


def latest_data_version(context: dg.AssetExecutionContext, asset: str, ticker: str) -> str | None:
    materialization = latest_materialization(context, asset, ticker)
    return (materialization.tags or {}).get("dagster/data_version") if materialization else None


def latest_metadata_text(context: dg.AssetExecutionContext, asset: str, ticker: str, key: str) -> str | None:
    materialization = latest_materialization(context, asset, ticker)
    value = (materialization.metadata or {}).get(key) if materialization else None
    return str(getattr(value, "value", value)) if value is not None else None
