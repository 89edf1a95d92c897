"""Search-interest statistics over a weekly series. Pure: no dagster, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

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


# ---------------------------------------------------------------------------------- what a signal needs
MIN_BASE = 10.0  # of 100: below this mean level a percentage change is noise on a near-empty series
SPIKE_SHARE = 0.5  # a change is a spike when one week carries at least this share of it
STALE_DAYS = 90  # a series ending this long before the report's date is stated as dated


@dataclass(frozen=True)
class TrendReading:
    """Whether a series may carry a signal, and why not.

    base_momentum / base_yoy: the level the change is measured from (52-week mean; mean of the same 12 weeks a
    year earlier); spike_*: one week carries at least SPIKE_SHARE of the 12-week excess over that base;
    age_days: days from the last week to the report's date.
    """

    base_momentum: float | None
    base_yoy: float | None
    spike_momentum: bool
    spike_yoy: bool
    last_date: dt.date | None
    age_days: int | None

    @property
    def dated(self) -> bool:
        return self.age_days is not None and self.age_days > STALE_DAYS

    def momentum_ok(self) -> bool:
        return self.base_momentum is not None and self.base_momentum >= MIN_BASE and not self.spike_momentum

    def yoy_ok(self) -> bool:
        return self.base_yoy is not None and self.base_yoy >= MIN_BASE and not self.spike_yoy

    def why_not(self, which: str) -> str:
        base = self.base_momentum if which == "momentum" else self.base_yoy
        if base is None:
            return "too short a series"
        if base < MIN_BASE:
            return f"a base below {MIN_BASE:.0f} of 100"
        return "one week carries most of the change"


def _spike(recent: Sequence[float], base: float) -> bool:
    excess = [v - base for v in recent]
    total = sum(excess)
    if total == 0:
        return False
    top = max(excess, key=abs)
    return top * total > 0 and abs(top) >= SPIKE_SHARE * abs(total)


def read_series(series: TrendSeries, as_of: dt.date | None) -> TrendReading:
    """The preconditions of a trend signal for one series (pure)."""
    values = [p.value for p in sorted(series.points, key=lambda p: p.date)]
    recent = values[-SHORT_WINDOW:]
    base_m = _mean(values[-LONG_WINDOW:]) if len(values) >= LONG_WINDOW else None
    year_ago = values[-(LONG_WINDOW + SHORT_WINDOW):-LONG_WINDOW] if len(values) >= LONG_WINDOW + SHORT_WINDOW else []
    base_y = _mean(year_ago) if year_ago else None
    last = max((p.date for p in series.points), default=None)
    return TrendReading(
        base_momentum=base_m, base_yoy=base_y,
        spike_momentum=base_m is not None and _spike(recent, base_m),
        spike_yoy=base_y is not None and _spike(recent, base_y),
        last_date=last, age_days=(as_of - last).days if as_of and last else None,
    )
