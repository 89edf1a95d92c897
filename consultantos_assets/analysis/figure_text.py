"""How figures are written in text. One place, so text and grounding agree."""

from __future__ import annotations

import math

SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def money(value: float | None, unit: str = "USD") -> str:
    """$391.0B, $12.3M, $6.08 (per share); '-' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "USD/shares":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    sign = "-" if value < 0 else ""
    v = abs(value)
    for limit, suffix in SCALES:
        if v >= limit:
            return f"{sign}${v / limit:,.1f}{suffix}"
    return f"{sign}${v:,.0f}"


def count(value: float | None) -> str:
    """15.1B shares, 161K employees."""
    if value is None:
        return "-"
    v = abs(value)
    for limit, suffix in SCALES:
        if v >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.0f}"


def pct(value: float | None, signed: bool = False, digits: int = 1) -> str:
    """0.4621 -> 46.2%; signed adds '+' to gains."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value * 100:,.{digits}f}%"
    return f"+{text}" if signed and value > 0 else text


def figure(value: float | None, unit: str | None) -> str:
    """Format a value by its unit."""
    if unit in ("USD", "USD/shares"):
        return money(value, unit)
    if unit == "shares":
        return count(value)
    if unit in ("ratio", "fraction"):
        return pct(value)
    if unit == "x":
        return "-" if value is None else f"{value:,.2f}x"
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"
