"""Number and date formatting shared by the PDF, markdown and JSON renderers."""

from __future__ import annotations

import datetime as dt
import math

from ..analysis.figure_text import SCALES, count, money, pct

NA = "n/a"



def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def fmt_scaled(value: float | None, prefix: str = "") -> str:
    """391_035_000_000 -> '$391.0B' (prefix '$'); 15_115_823_000 -> '15.1B'."""
    if not _finite(value):
        return NA
    return money(value) if prefix == "$" else count(value)


def fmt_usd(value: float | None) -> str:
    return fmt_scaled(value, "$")


def fmt_price(value: float | None) -> str:
    return money(value, "USD/shares") if _finite(value) else NA


def fmt_shares(value: float | None) -> str:
    return fmt_scaled(value, "")


def fmt_value(value: float | None, unit: str | None) -> str:
    """Format a value in its SEC unit: USD, USD/shares (per share) or shares."""
    if unit == "USD":
        return fmt_usd(value)
    if unit in ("USD/shares", "USD/share"):
        return fmt_price(value)
    if unit == "shares":
        return fmt_shares(value)
    if unit in ("pct", "%", "fraction"):
        return fmt_pct(value)
    if not _finite(value):
        return NA
    if abs(value) >= 1e3:
        return fmt_scaled(value)
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def fmt_pct(value: float | None, signed: bool = False, decimals: int = 1) -> str:
    """A fraction as a percentage: 0.2397 -> '24.0%'."""
    return pct(value, signed=signed, digits=decimals) if _finite(value) else NA


def fmt_conf(value: float | None) -> str:
    if not _finite(value):
        return NA
    return f"{value:.2f}"


def fmt_num(value: float | None, decimals: int = 1) -> str:
    if not _finite(value):
        return NA
    return f"{value:,.{decimals}f}"


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return NA
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def axis_scale(values: list[float]) -> tuple[float, str]:
    """Divisor and axis unit label for USD amounts, e.g. (1e9, '$B')."""
    finite = [abs(v) for v in values if _finite(v)]
    top = max(finite, default=0.0)
    for div, suffix in SCALES:
        if top >= div:
            return div, f"${suffix}"
    return 1.0, "$"


def nice_range(lo: float, hi: float, ticks: int = 5) -> tuple[float, float, float]:
    """Rounded axis bounds and step covering [lo, hi] with about ``ticks`` intervals."""
    if not (_finite(lo) and _finite(hi)):
        return 0.0, 1.0, 0.2
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, ticks)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step
