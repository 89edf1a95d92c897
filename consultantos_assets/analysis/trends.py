"""Search-interest statistics over a weekly series. Pure: no dagster, no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import TrendPoint, TrendSeries

SHORT_WINDOW = 12
LONG_WINDOW = 52


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _ratio_change(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator - 1.0


def _change_yoy(values: Sequence[float]) -> float | None:
    """Mean of the last 12 weeks vs the mean of the same 12 weeks one year (52 weeks) earlier."""
    if len(values) < LONG_WINDOW + SHORT_WINDOW:
        return None
    recent = values[-SHORT_WINDOW:]
    year_ago = values[-(LONG_WINDOW + SHORT_WINDOW) : -LONG_WINDOW]
    return _ratio_change(_mean(recent), _mean(year_ago))


def summarize_series(keyword: str, points: list[TrendPoint]) -> TrendSeries:
    """Weekly interest with latest value, 12/52-week means, momentum, year-on-year change and peak.

    momentum = mean_12w / mean_52w - 1, None with fewer than 52 points or a zero 52-week mean.
    Points are sorted by date; the peak is the first occurrence of the maximum.
    """
    ordered = sorted(points, key=lambda p: p.date)
    if not ordered:
        return TrendSeries(keyword=keyword, points=[])
    values = [p.value for p in ordered]
    mean_12w = _mean(values[-SHORT_WINDOW:]) if len(values) >= SHORT_WINDOW else None
    mean_52w = _mean(values[-LONG_WINDOW:]) if len(values) >= LONG_WINDOW else None
    peak_value = max(values)
    peak_index = values.index(peak_value)
    return TrendSeries(
        keyword=keyword,
        points=ordered,
        latest=values[-1],
        mean_12w=_round(mean_12w),
        mean_52w=_round(mean_52w),
        momentum=_round(_ratio_change(mean_12w, mean_52w)),
        change_yoy=_round(_change_yoy(values)),
        peak_date=ordered[peak_index].date,
        peak_value=peak_value,
    )
