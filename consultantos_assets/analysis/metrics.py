"""Pure numeric helpers over models: price statistics, growth and margins. No I/O, no dagster."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from ..models import PricePoint, PriceStats

TRADING_DAYS = 252
YEAR_DAYS = 365


def _close_on_or_before(points: Sequence[PricePoint], day: dt.date) -> PricePoint | None:
    """Last point dated on or before ``day`` (points are oldest first)."""
    found: PricePoint | None = None
    for p in points:
        if p.date > day:
            break
        found = p
    return found


def total_return(points: Sequence[PricePoint], days: int) -> float | None:
    """Return from the close on or before (last date - days) to the last close; None if too short."""
    if not points:
        return None
    last = points[-1]
    start = _close_on_or_before(points, last.date - dt.timedelta(days=days))
    if start is None or start.close <= 0:
        return None
    return last.close / start.close - 1.0


def annualised_volatility(points: Sequence[PricePoint], window: int = TRADING_DAYS) -> float | None:
    """Sample std of daily log returns over the last ``window`` returns x sqrt(252)."""
    closes = [p.close for p in points[-(window + 1):]]
    returns = [math.log(b / a) for a, b in zip(closes, closes[1:], strict=False) if a > 0 and b > 0]
    if len(returns) < 2:
        return None
    mean = sum(returns) / len(returns)
    variance = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    return math.sqrt(variance) * math.sqrt(TRADING_DAYS)


def max_drawdown(points: Sequence[PricePoint]) -> tuple[float, dt.date, dt.date] | None:
    """Deepest fall from a running peak: (negative fraction, peak date, trough date); 0.0 if none."""
    if not points:
        return None
    peak = points[0]
    worst = (0.0, points[0].date, points[0].date)
    for p in points:
        if p.close > peak.close:
            peak = p
        drawdown = p.close / peak.close - 1.0
        if drawdown < worst[0]:
            worst = (drawdown, peak.date, p.date)
    return worst


def weekly_closes(points: Sequence[PricePoint]) -> list[PricePoint]:
    """Last close of each ISO week, oldest first."""
    by_week: dict[tuple[int, int], PricePoint] = {}
    for p in points:
        iso = p.date.isocalendar()
        by_week[(iso.year, iso.week)] = p
    return [by_week[k] for k in sorted(by_week)]


def price_stats(points: list[PricePoint], shares_outstanding: float | None, shares_date: dt.date | None = None,
                shares_accession: str | None = None) -> PriceStats:
    """Summary statistics of a daily close series (any order; duplicates keep the last).

    Market cap = last close x ``shares_outstanding``: the caller passes the latest share count restated
    to the latest split basis (the closes are split-adjusted to it), with the date it is as of.
    """
    if not points:
        raise ValueError("price_stats needs at least one price point")
    ordered = sorted({p.date: p for p in points}.values(), key=lambda p: p.date)
    last = ordered[-1]
    year_ago = last.date - dt.timedelta(days=YEAR_DAYS)
    last_year = [p.close for p in ordered if p.date > year_ago]
    drawdown = max_drawdown(ordered)
    market_cap = last.close * shares_outstanding if shares_outstanding and shares_outstanding > 0 else None
    return PriceStats(
        last_close=last.close,
        last_date=last.date,
        first_date=ordered[0].date,
        observations=len(ordered),
        return_1y=total_return(ordered, YEAR_DAYS),
        return_3y=total_return(ordered, 3 * YEAR_DAYS),
        volatility_annual=annualised_volatility(ordered),
        max_drawdown=drawdown[0] if drawdown else None,
        max_drawdown_peak=drawdown[1] if drawdown and drawdown[0] < 0 else None,
        max_drawdown_trough=drawdown[2] if drawdown and drawdown[0] < 0 else None,
        high_52w=max(last_year),
        low_52w=min(last_year),
        market_cap=market_cap,
        market_cap_shares=shares_outstanding if market_cap is not None else None,
        market_cap_shares_date=shares_date if market_cap is not None else None,
        market_cap_shares_accession=shares_accession if market_cap is not None else None,
        series=weekly_closes(ordered),
    )


# --- growth and margins ----------------------------------------------------------------------


def yoy(current: float | None, previous: float | None) -> float | None:
    """Year-over-year change as a fraction; None when either value is missing or previous is 0."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def cagr(first: float | None, last: float | None, years: float) -> float | None:
    """Compound annual growth rate; None unless both ends are positive and years > 0."""
    if first is None or last is None or years <= 0 or first <= 0 or last <= 0:
        return None
    return (last / first) ** (1.0 / years) - 1.0


def growth(series_values: Sequence[float | None]) -> dict[str, float | None]:
    """Growth of an oldest-first yearly series: latest YoY and CAGR over the whole span."""
    values = list(series_values)
    if len(values) < 2:
        return {"yoy": None, "cagr": None}
    return {"yoy": yoy(values[-1], values[-2]), "cagr": cagr(values[0], values[-1], len(values) - 1)}


def yoy_series(series_values: Sequence[float | None]) -> list[float | None]:
    """YoY change for each value after the first."""
    values = list(series_values)
    return [yoy(b, a) for a, b in zip(values, values[1:], strict=False)]


def margin(numer: float | None, denom: float | None) -> float | None:
    """numer / denom (e.g. net income / revenue); None when missing or denom is not positive."""
    if numer is None or denom is None or denom <= 0:
        return None
    return numer / denom
