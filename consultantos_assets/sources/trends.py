"""Search interest over time: Google Trends CSVs in a snapshot, or live through pytrends."""

from __future__ import annotations

import csv
import logging
import time
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..analysis.trends import summarize_series
from ..models import MarketTrends, Provenance, TrendPoint, TrendSeries
from .base import NoData, ServiceUnavailable

log = logging.getLogger(__name__)

TINY_INTEREST = 0.5  # Google writes "<1" for interest above zero but below 1


def parse_interest(raw: str) -> float | None:
    """One Google Trends cell: '57' -> 57.0, '<1' -> 0.5, '' or junk -> None."""
    text = (raw or "").strip()
    if not text:
        return None
    if text == "<1":
        return TINY_INTEREST
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 100.0 else None


def read_header_keyword(path: Path) -> str | None:
    """The keyword a trends CSV holds: its second header column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.warning("could not read trends header of %s: %s", path, exc)
        return None
    if len(header) < 2 or header[0].strip().lower() != "date" or not header[1].strip():
        return None
    return header[1].strip()


def read_trend_csv(path: Path) -> list[TrendPoint]:
    """Weekly points of a `date,<keyword>[,isPartial]` CSV; partial weeks and bad rows are skipped."""
    points: list[TrendPoint] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            partial_col = header.index("isPartial") if "isPartial" in header else None
            for row in reader:
                point = _row_point(row, partial_col)
                if point is not None:
                    points.append(point)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.warning("could not read trends file %s: %s", path, exc)
        return []
    return points


def _row_point(row: list[str], partial_col: int | None) -> TrendPoint | None:
    if len(row) < 2:
        return None
    if partial_col is not None and len(row) > partial_col and row[partial_col].strip().lower() == "true":
        return None
    value = parse_interest(row[1])
    try:
        day = date.fromisoformat(row[0].strip()[:10])
    except ValueError:
        return None
    return None if value is None else TrendPoint(date=day, value=value)


def _as_of(series: list[TrendSeries]) -> date | None:
    dates = [s.points[-1].date for s in series if s.points]
    return max(dates) if dates else None


def _unique(keywords: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for keyword in keywords:
        key = keyword.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(keyword.strip())
    return out


class SnapshotTrends:
    """Google Trends CSVs found anywhere under <snapshot>/google_trends/ (keyword = 2nd header column)."""

    name = "snapshot"

    def __init__(self, snapshot_dir: str | Path):
        self.snapshot_dir = Path(snapshot_dir)
        self._catalog: dict[str, tuple[str, Path]] | None = None

    def _files(self) -> dict[str, tuple[str, Path]]:
        if self._catalog is None:
            catalog: dict[str, tuple[str, Path]] = {}
            root = self.snapshot_dir / "google_trends"
            for path in sorted(root.rglob("*.csv")) if root.is_dir() else []:
                keyword = read_header_keyword(path)
                if keyword:
                    catalog.setdefault(keyword.lower(), (keyword, path))
            self._catalog = catalog
            log.debug("trends catalog for %s: %d keywords", root, len(catalog))
        return self._catalog

    def keywords(self) -> list[str]:
        """Every keyword the snapshot has a series for."""
        return sorted(keyword for keyword, _ in self._files().values())

    def trends(self, ticker: str, keywords: list[str]) -> MarketTrends:
        asked = _unique(keywords)
        series: list[TrendSeries] = []
        missing: list[str] = []
        for keyword in asked:
            entry = self._files().get(keyword.lower())
            points = read_trend_csv(entry[1]) if entry else []
            if points:
                series.append(summarize_series(entry[0], points))  # type: ignore[index]
            else:
                missing.append(keyword)
        if not series:
            raise NoData(
                f"no Google Trends series in the snapshot for {ticker} (keywords: {', '.join(asked) or 'none'}; "
                f"looked in {self.snapshot_dir / 'google_trends'})",
                source=self.name,
            )
        provenance = Provenance(
            provider=self.name, mode="offline", as_of=_as_of(series), location=str(self.snapshot_dir)
        )
        return MarketTrends(ticker=ticker, keywords=asked, series=series, missing=missing, provenance=provenance)


class PyTrendsTrends:
    """Live Google Trends through pytrends; one keyword per payload so each series is scaled alone."""

    name = "pytrends"

    def __init__(
        self,
        hl: str = "en-US",
        tz: int = 0,
        timeframe: str = "today 5-y",
        geo: str = "",
        timeout: tuple[float, float] = (5, 20),
        retries: int = 2,
        backoff_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.hl, self.tz, self.timeframe, self.geo = hl, tz, timeframe, geo
        self.timeout = timeout
        self.retries = max(retries, 0)
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._client: Any = None

    def _trendreq(self) -> Any:
        if self._client is None:
            from pytrends.request import TrendReq

            # retries are done here, not by pytrends: its Retry(method_whitelist=...) breaks on urllib3 2
            self._client = self._call(lambda: TrendReq(hl=self.hl, tz=self.tz, timeout=self.timeout))
        return self._client

    def _call(self, action: Callable[[], Any]) -> Any:
        """Run one Google request, retrying rate limits and server errors with backoff."""
        for attempt in range(self.retries + 1):
            try:
                return action()
            except Exception as exc:  # noqa: BLE001 - mapped below
                error = _service_error(exc, self.name)
                retryable = _status(exc) in {429, 500, 502, 503, 504}
                if not retryable or attempt == self.retries:
                    raise error from exc
                delay = self.backoff_seconds * (2**attempt)
                log.warning("Google Trends: %s; retrying in %.1fs", error, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, keyword: str) -> list[TrendPoint]:
        client = self._trendreq()

        def request() -> Any:
            client.build_payload([keyword], timeframe=self.timeframe, geo=self.geo)
            with warnings.catch_warnings():  # pandas deprecation noise from inside pytrends
                warnings.simplefilter("ignore", FutureWarning)
                return client.interest_over_time()

        return frame_points(self._call(request), keyword)

    def trends(self, ticker: str, keywords: list[str]) -> MarketTrends:
        asked = _unique(keywords)
        series: list[TrendSeries] = []
        missing: list[str] = []
        notes: list[str] = []
        for keyword in asked:
            try:
                points = self._fetch(keyword)
            except ServiceUnavailable as exc:
                if not series:
                    raise
                notes.append(f"{keyword}: {exc}")
                missing.append(keyword)
                continue
            if points:
                series.append(summarize_series(keyword, points))
            else:
                missing.append(keyword)
        if not series:
            raise NoData(f"Google Trends has no interest data for {ticker} ({', '.join(asked)})", source=self.name)
        provenance = Provenance(
            provider=self.name,
            mode="live",
            as_of=_as_of(series),
            retrieved_at=datetime.now(UTC),
            location="trends.google.com",
            notes=notes,
        )
        return MarketTrends(ticker=ticker, keywords=asked, series=series, missing=missing, provenance=provenance)


def frame_points(frame: Any, keyword: str) -> list[TrendPoint]:
    """Points from pytrends' interest_over_time() frame; partial (still running) weeks are dropped."""
    if frame is None or getattr(frame, "empty", True) or keyword not in frame.columns:
        return []
    values = frame[keyword].tolist()
    partial = frame["isPartial"].tolist() if "isPartial" in frame.columns else [False] * len(values)
    return [
        TrendPoint(date=stamp.date(), value=float(value))
        for stamp, value, is_partial in zip(frame.index, values, partial, strict=True)
        if not bool(is_partial)
    ]


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _service_error(exc: BaseException, source: str) -> ServiceUnavailable:
    status = _status(exc)
    if status == 429:
        message = "Google Trends rate-limited the request (HTTP 429); wait a few minutes or use the snapshot"
    elif status is not None:
        message = f"Google Trends answered HTTP {status}"
    else:
        message = f"Google Trends could not be reached ({type(exc).__name__}: {_short(exc)})"
    return ServiceUnavailable(message, source=source)


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
