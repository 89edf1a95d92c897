"""Daily closing prices: a snapshot's ``prices_daily/<TICKER>.csv`` or Yahoo Finance via yfinance."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import math
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..models import PricePoint, Provenance
from .base import NoData, ServiceUnavailable

log = logging.getLogger(__name__)


def prices_path(snapshot_dir: Path, ticker: str) -> Path:
    return Path(snapshot_dir) / "prices_daily" / f"{ticker.upper()}.csv"


def _clean(points: dict[dt.date, float]) -> list[PricePoint]:
    """Oldest first, one point per date, only positive finite closes."""
    return [PricePoint(date=d, close=c) for d, c in sorted(points.items()) if math.isfinite(c) and c > 0]


def read_price_csv(path: Path) -> list[PricePoint]:
    """Closes from a ``Date,Open,High,Low,Close,Volume`` file (ISO dates; extra columns ignored)."""
    closes: dict[dt.date, float] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or "Date" not in reader.fieldnames or "Close" not in reader.fieldnames:
            raise ValueError(f"{path.name} has no Date and Close columns (header: {reader.fieldnames})")
        for row in reader:
            raw_date, raw_close = (row.get("Date") or "").strip(), (row.get("Close") or "").strip()
            if not raw_date or not raw_close:
                continue
            closes[dt.date.fromisoformat(raw_date[:10])] = float(raw_close)
    return _clean(closes)


class SnapshotPrices:
    """Daily closes from a snapshot directory."""

    name = "snapshot"

    def __init__(self, snapshot_dir: Path):
        self.snapshot_dir = Path(snapshot_dir)

    def daily_closes(self, ticker: str) -> tuple[list[PricePoint], Provenance]:
        path = prices_path(self.snapshot_dir, ticker)
        if not path.is_file():
            raise NoData(f"no daily prices for {ticker} in {path.parent} (expected {path.name})",
                         source="prices")
        try:
            points = read_price_csv(path)
        except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
            raise NoData(f"daily prices for {ticker} in {path} are unreadable: {exc}",
                         source="prices") from None
        if not points:
            raise NoData(f"{path} holds no closing prices for {ticker}", source="prices")
        provenance = Provenance(provider="snapshot", mode="offline", as_of=points[-1].date,
                                retrieved_at=datetime.fromtimestamp(path.stat().st_mtime, UTC),
                                location=str(path))
        return points, provenance


class YahooPrices:
    """Five years of split- and dividend-adjusted daily closes from Yahoo Finance (yfinance)."""

    name = "yfinance"
    period = "5y"

    def daily_closes(self, ticker: str) -> tuple[list[PricePoint], Provenance]:
        frame = self._history(ticker)
        if frame is None or getattr(frame, "empty", True) or "Close" not in frame:
            raise NoData(f"Yahoo Finance returned no price history for {ticker}", source="prices")
        closes: dict[dt.date, float] = {}
        for stamp, close in frame["Close"].items():
            if close is not None and not math.isnan(float(close)):
                closes[_as_date(stamp)] = float(close)
        points = _clean(closes)
        if not points:
            raise NoData(f"Yahoo Finance returned no closing prices for {ticker}", source="prices")
        provenance = Provenance(provider=self.name, mode="live", as_of=points[-1].date,
                                retrieved_at=datetime.now(UTC),
                                location=f"Yahoo Finance chart API, {ticker} period={self.period}")
        return points, provenance

    def _history(self, ticker: str) -> Any:
        import yfinance

        try:
            # raise_errors makes this call raise instead of logging and returning an empty frame,
            # without flipping yfinance's process-wide yf.config.debug.hide_exceptions
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return yfinance.Ticker(ticker).history(period=self.period, auto_adjust=True,
                                                       raise_errors=True)
        except Exception as exc:
            if _looks_empty(exc):
                raise NoData(f"Yahoo Finance has no price history for {ticker} ({exc})",
                             source="prices") from None
            log.warning("Yahoo Finance request for %s failed: %r", ticker, exc)
            raise ServiceUnavailable(
                f"Yahoo Finance did not answer for {ticker} ({type(exc).__name__}: {exc}); "
                "check the network or retry later, or use offline mode",
                source="prices",
            ) from None


def _looks_empty(exc: Exception) -> bool:
    """yfinance signals an unknown or delisted symbol with its own exception types."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"YFTickerMissingError", "YFPricesMissingError", "YFInvalidPeriodError"})


def _as_date(stamp: Any) -> dt.date:
    if isinstance(stamp, datetime):
        return stamp.date()
    if isinstance(stamp, dt.date):
        return stamp
    return stamp.to_pydatetime().date()
