"""The market-trends section's content: the search-interest table and its headline."""

from __future__ import annotations

from consultantos_assets.models import (
    ReportInput,
)

from ..formatting import (
    NA,
    fmt_date,
    fmt_num,
    fmt_pct,
)
from .financials import TableData


def trend_table(report: ReportInput) -> TableData:
    rows = []
    for s in report.trends.series:
        rows.append(
            [
                s.keyword,
                fmt_num(s.latest, 0),
                fmt_num(s.mean_12w, 1),
                fmt_num(s.mean_52w, 1),
                fmt_pct(s.momentum, signed=True),
                fmt_pct(s.change_yoy, signed=True),
                f"{fmt_num(s.peak_value, 0)} ({fmt_date(s.peak_date)})" if s.peak_date else NA,
            ]
        )
    return TableData(
        header=["Keyword", "Latest", "12-wk mean", "52-wk mean", "Momentum", "YoY", "Peak"], rows=rows
    )


def trends_headline(report: ReportInput) -> str:
    series = [s for s in report.trends.series if s.momentum is not None]
    if not series:
        if report.trends.series:
            return "Search interest is shown below; there is not enough history to compute momentum."
        return "No search-interest data was available for this company's keywords."
    best = max(series, key=lambda s: s.momentum or 0)
    worst = min(series, key=lambda s: s.momentum or 0)
    text = f"Strongest momentum: '{best.keyword}' ({fmt_pct(best.momentum, True)} 12-week vs 52-week mean)"
    if worst.keyword != best.keyword:
        text += f"; weakest: '{worst.keyword}' ({fmt_pct(worst.momentum, True)})"
    return text + "."
