"""The 'what changed' section's content: figures, ratings and points against the previous report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from consultantos_assets.models import (
    FORCE_LABELS,
    METRICS,
    ReportInput,
)

from ..formatting import (
    NA,
    fmt_num,
    fmt_pct,
    fmt_price,
    fmt_usd,
    fmt_value,
)
from .points import point_groups
from .sections import fy_label


@dataclass
class Changes:
    previous_as_of: dt.date
    values: list[list[str]] = field(default_factory=list)  # item, previous, current, change
    ratings: list[list[str]] = field(default_factory=list)  # item, previous, current, change
    added: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    removed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.values or self.ratings or self.added or self.removed)


def _delta(prev: float | None, cur: float | None, kind: str) -> str:
    if prev is None or cur is None:
        return "new" if prev is None and cur is not None else ("dropped" if cur is None else NA)
    if kind == "rel" and prev:
        return fmt_pct(cur / prev - 1, signed=True)
    return f"{cur - prev:+.2f}"


def changes(report: ReportInput) -> Changes | None:
    prev = report.previous
    if prev is None:
        return None
    ch = Changes(previous_as_of=prev.as_of)
    # metric values: every (metric, fiscal year) in either report
    cur_f = {(f.metric, f.fiscal_year): f for f in report.financials.annual}
    old_f = {(f.metric, f.fiscal_year): f for f in prev.financials.annual}
    for key in sorted(set(cur_f) | set(old_f), key=lambda k: (list(METRICS).index(k[0])
                                                               if k[0] in METRICS else 99, k[1])):
        a, b = old_f.get(key), cur_f.get(key)
        if a is not None and b is not None and a.value == b.value:
            continue
        metric, year = key
        unit = (b or a).unit
        label = f"{METRICS.get(metric, (metric, unit))[0]} {fy_label(year)}"
        ch.values.append(
            [
                label,
                fmt_value(a.value, unit) if a else "-",
                fmt_value(b.value, unit) if b else "-",
                _delta(a.value if a else None, b.value if b else None, "rel"),
            ]
        )
    p0, p1 = prev.financials.prices, report.financials.prices
    for label, get, fmt in (
        ("Last close", lambda p: p.last_close, fmt_price),
        ("Market cap", lambda p: p.market_cap, fmt_usd),
        ("1-year return", lambda p: p.return_1y, lambda v: fmt_pct(v, True)),
    ):
        a = get(p0) if p0 else None
        b = get(p1) if p1 else None
        if a != b:
            kind = "abs" if label == "1-year return" else "rel"
            delta = _delta(a, b, kind)
            if kind == "abs" and a is not None and b is not None:
                delta = f"{(b - a) * 100:+.1f} pts"
            ch.values.append([label, fmt(a) if a is not None else "-", fmt(b) if b is not None else "-", delta])
    # ratings and confidences
    old_forces = {f.name: f.rating for f in prev.porter.forces}
    for f in report.porter.forces:
        a = old_forces.get(f.name)
        if a != f.rating:
            ch.ratings.append([f"Porter: {FORCE_LABELS.get(f.name, f.name)}", fmt_num(a) if a else "-",
                               fmt_num(f.rating), _delta(a, f.rating, "abs")])
    rating_pairs = [
        ("Porter: overall intensity", prev.porter.overall_intensity, report.porter.overall_intensity),
        ("Overall confidence", prev.synthesis.confidence, report.synthesis.confidence),
        ("Porter confidence", prev.porter.confidence, report.porter.confidence),
        ("SWOT confidence", prev.swot.confidence, report.swot.confidence),
        ("PESTEL confidence", prev.pestel.confidence, report.pestel.confidence),
        ("Blue Ocean confidence", prev.blue_ocean.confidence, report.blue_ocean.confidence),
    ]
    old_canvas = {c.factor: c.company for c in prev.blue_ocean.canvas}
    for c in report.blue_ocean.canvas:
        if c.factor in old_canvas:
            rating_pairs.append((f"Canvas: {c.factor}", old_canvas[c.factor], c.company))
    old_mom = {s.keyword: s.momentum for s in prev.trends.series}
    for s in report.trends.series:
        if s.keyword in old_mom and old_mom[s.keyword] is not None and s.momentum is not None:
            a, b = old_mom[s.keyword], s.momentum
            if round(a, 4) != round(b, 4):
                ch.ratings.append([f"Trend momentum: {s.keyword}", fmt_pct(a, True), fmt_pct(b, True),
                                   f"{(b - a) * 100:+.1f} pts"])
    for label, a, b in rating_pairs:
        if a != b:
            ch.ratings.append([label, fmt_num(a, 2), fmt_num(b, 2), _delta(a, b, "abs")])
    # points added / removed per group
    old_groups = {(g.framework, g.group): {p.text for p in g.points} for g in point_groups(prev)}
    for g in point_groups(report):
        where = f"{g.framework}: {g.group}"
        old = old_groups.get((g.framework, g.group), set())
        cur = [p.text for p in g.points]
        ch.added += [(where, t) for t in cur if t not in old]
        ch.removed += [(where, t) for t in sorted(old - set(cur))]
    old_docs = {d.id: d.title for d in prev.research.documents}
    cur_docs = {d.id: d.title for d in report.research.documents}
    ch.added += [("Research documents", cur_docs[i]) for i in cur_docs if i not in old_docs]
    ch.removed += [("Research documents", old_docs[i]) for i in sorted(set(old_docs) - set(cur_docs))]
    return ch
