"""Price providers and the pure price / growth statistics."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from consultantos_assets.analysis.metrics import (
    annualised_volatility,
    cagr,
    growth,
    margin,
    max_drawdown,
    price_stats,
    weekly_closes,
    yoy,
    yoy_series,
)
from consultantos_assets.models import PricePoint
from consultantos_assets.settings import BUNDLED_SNAPSHOT
from consultantos_assets.sources.base import NoData, ServiceUnavailable
from consultantos_assets.sources.prices import SnapshotPrices, YahooPrices

SHARED = Path(__file__).parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not (SHARED / "prices_daily").is_dir(),
                                  reason=f"shared payloads not found at {SHARED}")


def pts(*pairs: tuple[str, float]) -> list[PricePoint]:
    return [PricePoint(date=dt.date.fromisoformat(d), close=c) for d, c in pairs]


# hand-made history: peak 120 -> trough 60 is the deepest fall (-50 %)
HAND = pts(
    ("2020-01-01", 100), ("2021-01-01", 120), ("2021-06-01", 60), ("2022-01-01", 90),
    ("2023-01-02", 80), ("2024-01-01", 160), ("2024-06-03", 140), ("2025-01-01", 150),
)


def test_price_stats_on_hand_made_series() -> None:
    stats = price_stats(list(reversed(HAND)), shares_outstanding=1_000_000)
    assert (stats.last_close, stats.last_date, stats.first_date) == (150, dt.date(2025, 1, 1), dt.date(2020, 1, 1))
    assert stats.observations == 8
    # 1y: close on or before 2024-01-02 is 160 (2024-01-01) -> 150/160 - 1
    assert stats.return_1y == pytest.approx(-0.0625)
    # 3y: 2025-01-01 - 1095 days = 2022-01-02 -> close 90 (2022-01-01) -> 150/90 - 1
    assert stats.return_3y == pytest.approx(150 / 90 - 1)
    assert stats.max_drawdown == pytest.approx(-0.5)
    assert (stats.max_drawdown_peak, stats.max_drawdown_trough) == (dt.date(2021, 1, 1), dt.date(2021, 6, 1))
    # 52 weeks: points after 2024-01-02
    assert (stats.high_52w, stats.low_52w) == (150, 140)
    assert stats.market_cap == pytest.approx(150_000_000)
    assert [p.date for p in stats.series] == [p.date for p in HAND]


def test_short_history_has_no_long_returns_and_unknown_shares_no_market_cap() -> None:
    stats = price_stats(pts(("2025-01-01", 10), ("2025-03-01", 11), ("2025-06-02", 12)), None)
    assert stats.return_1y is None and stats.return_3y is None
    assert stats.market_cap is None
    assert stats.max_drawdown == 0.0 and stats.max_drawdown_peak is None
    with pytest.raises(ValueError):
        price_stats([], None)


def test_volatility_by_hand() -> None:
    a = math.log(1.1)
    up_down = pts(("2025-01-01", 100), ("2025-01-02", 110), ("2025-01-03", 100))
    # returns +a, -a: sample std = a * sqrt(2)
    assert annualised_volatility(up_down) == pytest.approx(a * math.sqrt(2) * math.sqrt(252))
    steady = pts(*[(f"2025-01-{d:02d}", 100 * 1.01 ** d) for d in range(1, 20)])
    assert annualised_volatility(steady) == pytest.approx(0.0, abs=1e-12)
    assert annualised_volatility(up_down[:2]) is None
    # only the last 252 returns count: a wild start is ignored
    wild = pts(("2020-01-01", 1.0)) + [PricePoint(date=dt.date(2021, 1, 1) + dt.timedelta(days=i),
                                                  close=100 * 1.01 ** i) for i in range(253)]
    assert annualised_volatility(wild) == pytest.approx(0.0, abs=1e-9)


def test_drawdown_and_weekly_closes() -> None:
    dd = max_drawdown(pts(("2025-01-01", 10), ("2025-01-02", 8), ("2025-01-03", 12), ("2025-01-06", 6)))
    assert dd == (pytest.approx(-0.5), dt.date(2025, 1, 3), dt.date(2025, 1, 6))
    # Mon 2025-01-06 .. Fri 2025-01-10 is one ISO week; keep its last close
    week = weekly_closes(pts(("2025-01-06", 1), ("2025-01-08", 2), ("2025-01-10", 3), ("2025-01-13", 4)))
    assert [(p.date.isoformat(), p.close) for p in week] == [("2025-01-10", 3), ("2025-01-13", 4)]


def test_growth_and_margin_helpers() -> None:
    assert yoy(110, 100) == pytest.approx(0.10)
    assert yoy(-50, -100) == pytest.approx(0.5)  # a smaller loss is an improvement
    assert yoy(1, 0) is None and yoy(None, 1) is None
    assert cagr(100, 121, 2) == pytest.approx(0.10)
    assert cagr(-1, 5, 2) is None and cagr(1, 2, 0) is None
    assert growth([100, 110, 121]) == {"yoy": pytest.approx(0.10), "cagr": pytest.approx(0.10)}
    assert growth([5]) == {"yoy": None, "cagr": None}
    assert yoy_series([100, 150, None, 10]) == [pytest.approx(0.5), None, None]
    assert margin(93_736, 391_035) == pytest.approx(0.2397, abs=1e-4)
    assert margin(1, 0) is None and margin(None, 5) is None


# --- providers --------------------------------------------------------------------------------


@needs_shared
def test_snapshot_prices_from_shared_csv() -> None:
    points, prov = SnapshotPrices(SHARED).daily_closes("AAPL")
    assert len(points) == 1255
    assert points[0].date == dt.date(2021, 2, 26) and points[0].close == pytest.approx(118.10668182373047)
    assert points[-1].date == dt.date(2026, 2, 25) and points[-1].close == pytest.approx(274.2300109863281)
    assert all(a.date < b.date for a, b in zip(points, points[1:], strict=False))
    assert (prov.provider, prov.mode, prov.as_of) == ("snapshot", "offline", dt.date(2026, 2, 25))
    assert prov.location.endswith("prices_daily/AAPL.csv")
    stats = price_stats(points, 14_681_140_000)
    assert stats.observations == 1255 and stats.return_3y is not None
    assert -1 < stats.max_drawdown < 0 and stats.max_drawdown_peak < stats.max_drawdown_trough
    assert stats.market_cap == pytest.approx(274.2300109863281 * 14_681_140_000)


def test_bundled_sample_prices_round_to_four_decimals() -> None:
    if not (BUNDLED_SNAPSHOT / "prices_daily" / "AAPL.csv").is_file():
        pytest.skip("bundled sample not built (run scripts/build_sample_data.py)")
    points, _ = SnapshotPrices(BUNDLED_SNAPSHOT).daily_closes("aapl")
    assert len(points) == 1255 and points[-1].close == 274.2300


def test_snapshot_prices_missing_or_broken(tmp_path: Path) -> None:
    with pytest.raises(NoData, match="no daily prices for ZZZZ"):
        SnapshotPrices(tmp_path).daily_closes("ZZZZ")
    folder = tmp_path / "prices_daily"
    folder.mkdir()
    (folder / "BAD.csv").write_text("Day,Price\n2025-01-01,3\n", encoding="utf-8")
    with pytest.raises(NoData, match="unreadable"):
        SnapshotPrices(tmp_path).daily_closes("BAD")
    (folder / "EMPTY.csv").write_text("Date,Open,High,Low,Close,Volume\n", encoding="utf-8")
    with pytest.raises(NoData, match="no closing prices"):
        SnapshotPrices(tmp_path).daily_closes("EMPTY")


class _Response:
    status_code = 200

    def __init__(self, body: dict):
        self._body = body
        self.text = json.dumps(body)

    def json(self) -> dict:
        return self._body


@pytest.fixture
def yahoo_payload(monkeypatch, tmp_path: Path):
    """yfinance's own code, answered from a recorded chart payload instead of the network."""
    import yfinance
    from yfinance.data import YfData

    path = SHARED / "yahoo_chart" / "NVDA_1d_2021-02-01_2022-01-28_events-split.json"
    if not path.is_file():
        pytest.skip(f"recorded Yahoo chart payload not found at {path}")
    state: dict = {"body": json.loads(path.read_text()), "fail": False, "urls": []}

    def answer(self, url, *args, **kwargs):
        state["urls"].append(url)
        if state["fail"]:
            raise ConnectionError("network unreachable")
        return _Response(state["body"])

    monkeypatch.setattr(YfData, "get", answer)
    monkeypatch.setattr(YfData, "cache_get", answer)
    yfinance.set_tz_cache_location(str(tmp_path / "yf-tz"))
    return state


def test_yahoo_prices_through_yfinance(yahoo_payload) -> None:
    points, prov = YahooPrices().daily_closes("NVDA")
    result = yahoo_payload["body"]["chart"]["result"][0]
    adjclose = result["indicators"]["adjclose"][0]["adjclose"]
    assert len(points) == len(adjclose) == 252
    assert points[0].date == dt.date(2021, 2, 1) and points[-1].date == dt.date(2022, 1, 28)
    assert points[0].close == pytest.approx(adjclose[0]) and points[-1].close == pytest.approx(adjclose[-1])
    assert (prov.provider, prov.mode, prov.as_of) == ("yfinance", "live", dt.date(2022, 1, 28))
    assert any("/v8/finance/chart/NVDA" in u for u in yahoo_payload["urls"])


def test_yahoo_prices_failure_is_service_unavailable(yahoo_payload) -> None:
    from consultantos_assets.sources.retry import Guard, RetryPolicy

    yahoo_payload["fail"] = True
    guard = Guard("Yahoo Finance", RetryPolicy(attempts=2, backoff_s=0.01, timeout_s=5))
    with pytest.raises(ServiceUnavailable, match=r"Yahoo Finance: service unreachable after 2 attempts"):
        YahooPrices(guard).daily_closes("NVDA")
