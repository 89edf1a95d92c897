"""Where the local profile keeps each asset value: ``<storage root>/assets/<asset>/<TICKER>.json``.

No dagster here: the local and the production IO managers share the layout."""

from __future__ import annotations

from pathlib import Path

VALUES_DIR = "assets"


def value_path(base_dir: str | Path, asset: str, partition: str) -> Path:
    """The value's file; a partition that is not a valid upper-case ticker never names a file."""
    from .models import InvalidTicker, normalize_ticker

    try:
        ok = partition == "__all__" or normalize_ticker(partition) == partition
    except InvalidTicker:
        ok = False
    if not ok:
        raise ValueError(f"partition {ascii(partition[:40])} is not an upper-case ticker: no value is stored for it")
    return Path(base_dir) / asset / f"{partition}.json"
