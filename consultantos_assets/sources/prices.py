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
from .base import MalformedResponse, NoData, ServiceUnavailable
from .retry import Guard, Transient, http_transient, network_transient

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
    """Five years of split- and dividend-adjusted daily closes from Yahoo Finance (yfinance).

    yfinance sends through a session this provider owns (yfinance's default curl_cffi session, or an
    injected one), so the last response's status and Retry-After are known when yfinance only says
    "failed"; its own `network.retries` stays 0 and the shared guard does the retrying.
    """

    name = "yfinance"
    service = "Yahoo Finance"
    period = "5y"

    def __init__(self, guard: Guard | None = None, session: Any = None):
        self.guard = guard or Guard(self.service)
        self._session = session

    def daily_closes(self, ticker: str) -> tuple[list[PricePoint], Provenance]:
        frame = self.guard.call(lambda: self._history(ticker))
        if frame is None or getattr(frame, "empty", True) or "Close" not in frame:
            raise NoData(f"{self.service}: no data for this company (no price history for {ticker})", source="prices")
        closes: dict[dt.date, float] = {}
        for stamp, close in frame["Close"].items():
            if close is not None and not math.isnan(float(close)):
                closes[_as_date(stamp)] = float(close)
        points = _clean(closes)
        if not points:
            raise NoData(f"{self.service}: no data for this company (no closing prices for {ticker})",
                         source="prices")
        provenance = Provenance(provider=self.name, mode="live", as_of=points[-1].date,
                                retrieved_at=datetime.now(UTC),
                                location=f"Yahoo Finance chart API, {ticker} period={self.period}")
        return points, provenance

    def session(self) -> Any:
        if self._session is None:
            from yfinance._http import new_session

            self._session = _recording(new_session())
        elif not hasattr(self._session, "last_response"):
            self._session = _recording(self._session)
        return self._session

    def _history(self, ticker: str) -> Any:
        import yfinance

        session = self.session()
        session.last_response = None
        try:
            # raise_errors makes this call raise instead of logging and returning an empty frame,
            # without flipping yfinance's process-wide yf.config.debug.hide_exceptions
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return yfinance.Ticker(ticker, session=session).history(
                    period=self.period, auto_adjust=True, raise_errors=True, timeout=self.guard.timeout)
        except Exception as exc:  # noqa: BLE001 - classified below
            raise self._classify(exc, ticker, session.last_response) from None

    def _classify(self, exc: Exception, ticker: str, last: Any) -> Exception:
        names = {cls.__name__ for cls in type(exc).__mro__}
        status = getattr(last, "status_code", None)
        if status is not None and (transient := http_transient(status, getattr(last, "headers", None))):
            return transient
        if "YFRateLimitError" in names:
            return Transient("HTTP 429")
        if transient := network_transient(exc):
            return transient
        if _looks_empty(exc):
            return NoData(f"{self.service}: no data for this company ({ticker}: {_short(exc)})", source="prices")
        if status == 200 or names & {"JSONDecodeError", "KeyError", "TypeError", "IndexError"}:
            return MalformedResponse(f"{self.service}: malformed response for {ticker} ({type(exc).__name__})",
                                     source="prices")
        log.warning("Yahoo Finance request for %s failed: %r", ticker, exc)
        return ServiceUnavailable(f"{self.service}: request for {ticker} failed ({type(exc).__name__}: "
                                  f"{_short(exc)})", source="prices")


def _recording(session: Any) -> Any:
    """The session, remembering its last response (yfinance drops status and headers on failure)."""
    original = session.request

    def request(*args: Any, **kwargs: Any) -> Any:
        session.last_response = None
        response = original(*args, **kwargs)
        session.last_response = response
        return response

    session.request = request
    session.last_response = None
    return session


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."


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
