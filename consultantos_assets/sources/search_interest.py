"""Search interest over time: Google Trends CSVs in a snapshot, or live through pytrends."""

from __future__ import annotations

import csv
import json
import logging
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..analysis.trend_reading import summarize_series
from ..models import MarketTrends, Provenance, TrendPoint, TrendSeries
from .base import MalformedResponse, NoData, ServiceUnavailable, unique_names
from .retry import Guard, http_transient, network_transient

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
        asked = unique_names(keywords)
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
    """Live Google Trends through pytrends; one keyword per payload so each series is scaled alone.

    pytrends' own transport is replaced by `_SessionTrendReq` so every request uses one requests
    session (injectable), the guard's timeout, and reports 429/5xx/timeouts as `Transient` for the
    shared retry policy; pytrends' urllib3 Retry stays off so nothing is retried twice.
    """

    name = "pytrends"
    service = "Google Trends"

    def __init__(
        self,
        hl: str = "en-US",
        tz: int = 0,
        timeframe: str = "today 5-y",
        geo: str = "",
        guard: Guard | None = None,
        session: Any = None,
    ):
        self.hl, self.tz, self.timeframe, self.geo = hl, tz, timeframe, geo
        self.guard = guard or Guard(self.service)
        self.session = session
        self._client: Any = None

    def _trendreq(self) -> Any:
        if self._client is None:
            import requests

            session = self.session or requests.Session()
            timeout = (min(5.0, self.guard.timeout), self.guard.timeout)
            self._client = self.guard.call(lambda: _session_trendreq()(session, hl=self.hl, tz=self.tz,
                                                                     timeout=timeout))
        return self._client

    def _fetch(self, keyword: str) -> list[TrendPoint]:
        client = self._trendreq()

        def request() -> Any:
            with warnings.catch_warnings():  # pandas deprecation noise from inside pytrends
                warnings.simplefilter("ignore", FutureWarning)
                try:
                    client.build_payload([keyword], timeframe=self.timeframe, geo=self.geo)
                    return client.interest_over_time()
                except (KeyError, IndexError, TypeError, AttributeError) as exc:  # JSON of the wrong shape
                    raise MalformedResponse(f"{self.service}: malformed response for '{keyword}' "
                                            f"({type(exc).__name__}: {_short(exc)})", source=self.name) from None

        return frame_points(self.guard.call(request), keyword)

    def trends(self, ticker: str, keywords: list[str]) -> MarketTrends:
        asked = unique_names(keywords)
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
            raise NoData(f"{self.service}: no data for this company ({ticker}; keywords {', '.join(asked)})",
                         source=self.name)
        provenance = Provenance(
            provider=self.name,
            mode="live",
            as_of=_as_of(series),
            retrieved_at=datetime.now(UTC),
            location="trends.google.com",
            notes=notes,
        )
        return MarketTrends(ticker=ticker, keywords=asked, series=series, missing=missing, provenance=provenance)


def _session_trendreq() -> type:
    """pytrends' TrendReq sending through one requests session with the faults classified."""
    from pytrends import request as pr

    class _SessionTrendReq(pr.TrendReq):
        def __init__(self, session: Any, **kwargs: Any):
            self._session = session
            super().__init__(**kwargs)

        def _send(self, method: str, url: str, **kwargs: Any) -> Any:
            try:
                response = self._session.request(method, url, timeout=self.timeout, **kwargs)
            except Exception as exc:  # noqa: BLE001 - classified
                transient = network_transient(exc)
                if transient is None:
                    raise ServiceUnavailable(f"Google Trends: request failed ({type(exc).__name__}: {_short(exc)})",
                                             source="pytrends") from None
                raise transient from None
            transient = http_transient(response.status_code, response.headers)
            if transient is not None:
                raise transient
            if response.status_code != 200:
                raise ServiceUnavailable(f"Google Trends: HTTP {response.status_code}", source="pytrends")
            return response

        def GetGoogleCookie(self) -> dict:  # noqa: N802 - pytrends' name
            response = self._send("GET", f"{pr.BASE_TRENDS_URL}/explore/?geo={self.hl[-2:]}")
            return {k: v for k, v in response.cookies.items() if k == "NID"}

        def _get_data(self, url: str, method: str = "get", trim_chars: int = 0, **kwargs: Any) -> Any:
            response = self._send(method.upper(), url, cookies=self.cookies, headers=self.headers, **kwargs)
            try:
                return json.loads(response.text[trim_chars:])
            except ValueError:
                raise MalformedResponse("Google Trends: malformed response (not JSON)", source="pytrends") from None

    return _SessionTrendReq


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


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
