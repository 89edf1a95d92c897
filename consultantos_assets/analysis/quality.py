"""Data-quality rules over the step models (pure): used by the asset checks."""

from __future__ import annotations

import math
from collections import Counter

from ..models import FLOW_METRICS_SET, Financials


def financials_problems(fin: Financials) -> list[str]:
    """Everything wrong with the fiscal periods and values; empty when sane."""
    problems: list[str] = []
    dupes = [k for k, n in Counter((f.metric, f.fiscal_year) for f in fin.annual).items() if n > 1]
    problems += [f"duplicated {m} for FY{y}" for m, y in dupes]
    qdupes = [k for k, n in Counter((f.metric, f.period_end) for f in fin.quarterly).items() if n > 1]
    problems += [f"duplicated quarterly {m} for period ending {d}" for m, d in qdupes]
    ends: dict[int, set] = {}
    for f in fin.annual:
        if not math.isfinite(f.value):
            problems.append(f"{f.metric} FY{f.fiscal_year} is not a finite number")
        if f.metric in FLOW_METRICS_SET:
            if f.period_start is None:
                problems.append(f"{f.metric} FY{f.fiscal_year} has no period start")
                continue
            days = (f.period_end - f.period_start).days
            if not 350 <= days <= 380:
                problems.append(f"{f.metric} FY{f.fiscal_year} covers {days} days, not a fiscal year")
            ends.setdefault(f.fiscal_year, set()).add(f.period_end)
    for fy, dates in ends.items():
        if len(dates) > 1:
            problems.append(f"FY{fy} flow metrics end on different dates: {sorted(d.isoformat() for d in dates)}")
    ordered = sorted((fy, min(d)) for fy, d in ends.items())
    for (fy1, d1), (fy2, d2) in zip(ordered, ordered[1:], strict=False):
        if d2 <= d1:
            problems.append(f"FY{fy2} ends {d2} which is not after FY{fy1} ({d1})")
    for f in fin.quarterly:
        if f.metric in FLOW_METRICS_SET and f.period_start is not None:
            days = (f.period_end - f.period_start).days
            if not 80 <= days <= 100:
                problems.append(f"quarterly {f.metric} ending {f.period_end} covers {days} days")
    return problems

