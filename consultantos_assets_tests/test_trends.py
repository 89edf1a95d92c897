"""Trends: pure statistics, snapshot CSVs, and pytrends against recorded Google responses."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from consultantos_assets.analysis.trend_reading import summarize_series
from consultantos_assets.models import TrendPoint
from consultantos_assets.sources.base import NoData, ServiceUnavailable
from consultantos_assets.sources.retry import Guard, RetryPolicy
from consultantos_assets.sources.search_interest import PyTrendsTrends, SnapshotTrends, parse_interest

SHARED = Path("/work/shared/data")
RECORDED = SHARED / "google_trends" / "pytrends_recorded_responses" / "bodies"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared real payloads not present")


def weekly(values: list[float], start: date = date(2023, 1, 1)) -> list[TrendPoint]:
    return [TrendPoint(date=start + timedelta(weeks=i), value=v) for i, v in enumerate(values)]


# ---- pure statistics ------------------------------------------------------------------------


def test_momentum_and_yoy_on_hand_made_series() -> None:
    values = [8.0] * 12 + [10.0] * 40 + [20.0] * 12  # 64 weeks
    s = summarize_series("widgets", list(reversed(weekly(values))))  # order must not matter
    assert s.latest == 20.0
    assert s.mean_12w == 20.0
    assert s.mean_52w == pytest.approx(640 / 52)
    assert s.momentum == pytest.approx(0.625)  # 20 / (640/52) - 1
    assert s.change_yoy == pytest.approx(1.5)  # 20 vs 8 a year earlier
    assert s.peak_value == 20.0
    assert s.peak_date == date(2023, 1, 1) + timedelta(weeks=52)  # first week at the max
    assert [p.date for p in s.points] == sorted(p.date for p in s.points)


def test_short_or_flat_series_have_no_momentum() -> None:
    short = summarize_series("x", weekly([5.0] * 51))
    assert short.momentum is None and short.mean_52w is None and short.mean_12w == 5.0
    zeros = summarize_series("x", weekly([0.0] * 70))
    assert zeros.momentum is None and zeros.change_yoy is None and zeros.peak_date == date(2023, 1, 1)
    empty = summarize_series("x", [])
    assert empty.latest is None and empty.points == []


def test_parse_interest() -> None:
    assert parse_interest("<1") == 0.5
    assert parse_interest(" 42 ") == 42.0
    assert parse_interest("") is None
    assert parse_interest("abc") is None
    assert parse_interest("250") is None


# ---- snapshot CSVs --------------------------------------------------------------------------


def test_snapshot_trends_reads_nested_csvs(tmp_path: Path) -> None:
    folder = tmp_path / "google_trends" / "weekly"
    folder.mkdir(parents=True)
    rows = "\n".join(
        f"{(date(2024, 1, 7) + timedelta(weeks=i)).isoformat()},{v}" for i, v in enumerate(["<1", "3", "", "5"])
    )
    (folder / "whatever_name.csv").write_text(f"date,Acme Widgets\n{rows}\n")
    (folder / "broken.csv").write_text("not,a,trends file\n")
    provider = SnapshotTrends(tmp_path)
    assert provider.keywords() == ["Acme Widgets"]
    result = provider.trends("ACME", ["acme widgets", "ACME WIDGETS", "unknown thing"])
    assert [s.keyword for s in result.series] == ["Acme Widgets"]
    assert [p.value for p in result.series[0].points] == [0.5, 3.0, 5.0]  # blank row skipped
    assert result.missing == ["unknown thing"]
    assert result.provenance.as_of == date(2024, 1, 28)
    assert result.provenance.mode == "offline"
    with pytest.raises(NoData, match="ACME"):
        provider.trends("ACME", ["nothing"])


@needs_shared
def test_snapshot_trends_on_real_files() -> None:
    result = SnapshotTrends(SHARED).trends("AAPL", ["Apple", "aapl", "Apple Car"])
    assert {s.keyword for s in result.series} == {"Apple", "AAPL"}
    assert result.missing == ["Apple Car"]
    apple = next(s for s in result.series if s.keyword == "Apple")
    assert len(apple.points) == 261
    assert apple.points[0].date == date(2020, 8, 2) and apple.points[-1].date == date(2025, 7, 27)
    assert result.provenance.as_of == date(2025, 7, 27)
    tail = [p.value for p in apple.points]
    assert apple.momentum == pytest.approx((sum(tail[-12:]) / 12) / (sum(tail[-52:]) / 52) - 1, abs=1e-6)


# ---- pytrends against a fake Google on 127.0.0.1 --------------------------------------------


class FakeGoogle(BaseHTTPRequestHandler):
    explore = ""
    multiline = ""
    multiline_statuses: list[int] = []
    seen: list[str] = []

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: str, cookie: bool = False) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if cookie:
            self.send_header("Set-Cookie", "NID=fake-cookie; Path=/")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        FakeGoogle.seen.append(f"GET {self.path.split('?')[0]}")
        if self.path.startswith("/trends/explore"):
            self._send(200, "{}", cookie=True)
        elif self.path.startswith("/trends/api/widgetdata/multiline"):
            status = FakeGoogle.multiline_statuses.pop(0) if FakeGoogle.multiline_statuses else 200
            self._send(status, FakeGoogle.multiline if status == 200 else "rate limited")
        else:
            self._send(404, "not found")

    def do_POST(self) -> None:  # noqa: N802
        FakeGoogle.seen.append(f"POST {self.path.split('?')[0]}")
        if self.path.startswith("/trends/api/explore"):
            self._send(200, FakeGoogle.explore)
        else:
            self._send(404, "not found")


@pytest.fixture()
def fake_google(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[FakeGoogle]]:
    import pytrends.request as pr

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGoogle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/trends"
    monkeypatch.setattr(pr, "BASE_TRENDS_URL", base)
    monkeypatch.setattr(pr.TrendReq, "GENERAL_URL", f"{base}/api/explore")
    monkeypatch.setattr(pr.TrendReq, "INTEREST_OVER_TIME_URL", f"{base}/api/widgetdata/multiline")
    FakeGoogle.seen = []
    FakeGoogle.multiline_statuses = []
    try:
        yield FakeGoogle
    finally:
        server.shutdown()
        server.server_close()


def _recorded(name: str) -> str:
    return (RECORDED / name).read_text(encoding="utf-8")


def _expected_points(body: str) -> list[tuple[date, float]]:
    timeline = json.loads(body[5:])["default"]["timelineData"]
    return [
        (datetime.fromtimestamp(int(row["time"]), tz=UTC).date(), float(row["value"][0]))
        for row in timeline
        if not row.get("isPartial")
    ]


@needs_shared
def test_pytrends_parses_recorded_weekly_response(fake_google: type[FakeGoogle]) -> None:
    fake_google.explore = _recorded("test_interest_over_time_partial__1_explore.txt")
    fake_google.multiline = _recorded("test_interest_over_time_partial__2_multiline.txt")
    result = PyTrendsTrends(guard=Guard("Google Trends", RetryPolicy(timeout_s=5))).trends("PZZA", ["pizza"])
    series = result.series[0]
    expected = _expected_points(fake_google.multiline)
    assert len(expected) == 259  # 260 weeks recorded, the partial last week dropped
    assert [(p.date, p.value) for p in series.points] == expected
    assert series.momentum is not None and series.change_yoy is not None
    assert result.provenance.mode == "live" and result.provenance.as_of == expected[-1][0]
    assert fake_google.seen[:3] == [
        "GET /trends/explore/",
        "POST /trends/api/explore",
        "GET /trends/api/widgetdata/multiline",
    ]


@needs_shared
def test_pytrends_short_daily_response(fake_google: type[FakeGoogle]) -> None:
    fake_google.explore = _recorded("test_interest_over_time_ok__1_explore.txt")
    fake_google.multiline = _recorded("test_interest_over_time_ok__2_multiline.txt")
    series = PyTrendsTrends().trends("PZZA", ["pizza"]).series[0]
    assert [p.value for p in series.points] == [100.0, 83.0, 78.0, 49.0, 50.0]
    assert series.momentum is None  # five days are not a year


@needs_shared
def test_pytrends_rate_limit_retries_then_fails(fake_google: type[FakeGoogle]) -> None:
    fake_google.explore = _recorded("test_interest_over_time_ok__1_explore.txt")
    fake_google.multiline = _recorded("test_interest_over_time_ok__2_multiline.txt")
    fake_google.multiline_statuses = [429, 200]
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=2, backoff_s=0.25, timeout_s=5)
    ok = PyTrendsTrends(guard=Guard("Google Trends", policy, sleep=sleeps.append)).trends("PZZA", ["pizza"])
    assert len(ok.series[0].points) == 5 and len(sleeps) == 1 and 0.125 <= sleeps[0] <= 0.375  # +-50% jitter

    fake_google.multiline_statuses = [429, 429, 429]
    with pytest.raises(ServiceUnavailable, match=r"Google Trends: HTTP 429 after 3 attempts"):
        PyTrendsTrends(guard=Guard("Google Trends", RetryPolicy(attempts=3, timeout_s=5), sleep=sleeps.append)
                       ).trends("PZZA", ["pizza"])


def test_pytrends_unreachable_is_service_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytrends.request as pr

    monkeypatch.setattr(pr, "BASE_TRENDS_URL", "http://127.0.0.1:9/trends")  # discard port: refused
    with pytest.raises(ServiceUnavailable, match="Google Trends: service unreachable after 1 attempt"):
        PyTrendsTrends(guard=Guard("Google Trends", RetryPolicy(attempts=1, timeout_s=1))).trends("PZZA", ["pizza"])
