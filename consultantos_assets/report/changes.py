"""What changed between a company's report and the one before, in numbers, and which of it is
material for an alert (pure: models in, models out).

`report_changes` measures; `material` applies the thresholds a portfolio owner set (AlertThresholds,
from CONSULTANTOS_ALERT_* variables) and returns one line per change worth telling someone about.
The report asset stores the measured changes as JSON metadata; the material-change sensor applies the
thresholds, so changing a threshold needs no new report.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping

from pydantic import BaseModel, Field

from ..models import FORCE_LABELS, ReportInput
from ..settings import ConfigError
from .content import margin, point_groups
from .formatting import fmt_pct, fmt_usd

MARGINS = {"gross_profit": "Gross margin", "operating_income": "Operating margin", "net_income": "Net margin"}


class Move(BaseModel):
    """One measured item in the previous and the current report (None: absent there)."""

    item: str
    previous: float | None = None
    current: float | None = None

    @property
    def delta(self) -> float | None:
        return None if self.previous is None or self.current is None else self.current - self.previous


class ReportChanges(BaseModel):
    ticker: str
    previous_as_of: dt.date
    current_as_of: dt.date
    ratings: list[Move] = Field(default_factory=list, description="Porter forces and intensity (1-5), canvas (0-10)")
    revenue: Move | None = Field(None, description="the latest fiscal year's revenue in each report, USD")
    margins: list[Move] = Field(default_factory=list, description="margins of the latest fiscal year, fractions")
    points_added: list[str] = Field(default_factory=list, description="'Framework: group: text'")
    points_removed: list[str] = Field(default_factory=list)
    confidence: Move


class AlertThresholds(BaseModel):
    """When a change is material. Defaults: a rating moves by a full point, revenue by 5%, a margin by
    2 percentage points, any point is added or removed, overall confidence drops by 0.05."""

    rating_move: float = Field(1.0, gt=0)
    revenue_change: float = Field(0.05, gt=0, description="relative, 0.05 = 5%")
    margin_change: float = Field(0.02, gt=0, description="absolute, 0.02 = 2 percentage points")
    points_changed: int = Field(1, ge=0, description="added + removed points; 0 turns this off")
    confidence_drop: float = Field(0.05, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AlertThresholds:
        env = os.environ if env is None else env
        values: dict[str, float] = {}
        for field_name, var in ENV.items():
            raw = (env.get(var) or "").strip()
            if not raw:
                continue
            try:
                values[field_name] = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
            except ValueError:
                raise ConfigError(f"{var}={raw!r} is not a number (e.g. 1, 0.05 or 5%)") from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise ConfigError(f"alert thresholds: {exc.errors()[0]['loc'][0]} must be positive "
                              f"({', '.join(ENV.values())})") from None


ENV = {
    "rating_move": "CONSULTANTOS_ALERT_RATING_MOVE",
    "revenue_change": "CONSULTANTOS_ALERT_REVENUE_CHANGE",
    "margin_change": "CONSULTANTOS_ALERT_MARGIN_CHANGE",
    "points_changed": "CONSULTANTOS_ALERT_POINTS_CHANGED",
    "confidence_drop": "CONSULTANTOS_ALERT_CONFIDENCE_DROP",
}


def _latest_revenue(r: ReportInput) -> tuple[int, float] | None:
    fact = r.financials.latest("revenue")
    return (fact.fiscal_year, fact.value) if fact is not None else None


def _ratings(r: ReportInput) -> dict[str, float]:
    out = {f"Porter: {FORCE_LABELS.get(f.name, f.name)}": f.rating for f in r.porter.forces}
    out["Porter: overall intensity"] = r.porter.overall_intensity
    out.update({f"Canvas: {c.factor}": c.company for c in r.blue_ocean.canvas})
    return out


def _points(r: ReportInput) -> list[str]:
    return [f"{g.framework}: {g.group}: {p.text}" for g in point_groups(r) for p in g.points]


def report_changes(current: ReportInput) -> ReportChanges | None:
    """The measured changes against `current.previous` (None for a company's first report)."""
    prev = current.previous
    if prev is None:
        return None
    old_r, new_r = _ratings(prev), _ratings(current)
    ratings = [Move(item=k, previous=old_r.get(k), current=new_r.get(k))
               for k in list(new_r) + [k for k in old_r if k not in new_r] if old_r.get(k) != new_r.get(k)]
    a, b = _latest_revenue(prev), _latest_revenue(current)
    revenue = None
    if a != b and (a or b):
        label = f"Revenue FY{a[0] if a else '-'} to FY{b[0] if b else '-'}" if (a and b and a[0] != b[0]) or \
            not (a and b) else f"Revenue FY{b[0]}"
        revenue = Move(item=label, previous=a[1] if a else None, current=b[1] if b else None)
    margins = []
    year_a = a[0] if a else None
    year_b = b[0] if b else None
    for metric, label in MARGINS.items():
        m_a = margin(prev, metric, year_a) if year_a else None
        m_b = margin(current, metric, year_b) if year_b else None
        if m_a != m_b:
            margins.append(Move(item=label, previous=m_a, current=m_b))
    old_p, new_p = _points(prev), _points(current)
    return ReportChanges(
        ticker=current.ticker, previous_as_of=prev.as_of, current_as_of=current.as_of, ratings=ratings,
        revenue=revenue, margins=margins,
        points_added=[p for p in new_p if p not in set(old_p)],
        points_removed=[p for p in old_p if p not in set(new_p)],
        confidence=Move(item="Overall confidence", previous=prev.synthesis.confidence,
                        current=current.synthesis.confidence),
    )


def material(ch: ReportChanges, t: AlertThresholds) -> list[str]:
    """One line per change at or beyond its threshold (empty: nothing worth an alert): revenue and
    margins first, then ratings, points and confidence."""
    eps = 1e-9
    lines: list[str] = []
    r = ch.revenue
    if r is not None:
        if r.previous and r.current is not None:
            rel = r.current / r.previous - 1
            if abs(rel) + eps >= t.revenue_change:
                lines.append(f"{r.item}: {fmt_usd(r.previous)} to {fmt_usd(r.current)} ({fmt_pct(rel, signed=True)})")
        else:
            lines.append(f"{r.item}: {'now reported' if r.previous is None else 'no longer reported'}")
    for m in ch.margins:
        if m.delta is not None and abs(m.delta) + eps >= t.margin_change:
            lines.append(f"{m.item}: {fmt_pct(m.previous)} to {fmt_pct(m.current)} "
                         f"({m.delta * 100:+.1f} pts)")
    for m in ch.ratings:
        if m.delta is not None and abs(m.delta) + eps >= t.rating_move:
            lines.append(f"{m.item}: {m.previous:g} to {m.current:g} ({m.delta:+g})")
        elif m.delta is None:
            lines.append(f"{m.item}: {'new' if m.previous is None else 'no longer rated'}")
    n = len(ch.points_added) + len(ch.points_removed)
    if t.points_changed and n >= t.points_changed:
        lines.append(f"{len(ch.points_added)} point(s) added, {len(ch.points_removed)} removed")
        lines += [f"+ {p}" for p in ch.points_added[:5]] + [f"- {p}" for p in ch.points_removed[:5]]
        if n > 10:
            lines.append(f"(and {n - min(5, len(ch.points_added)) - min(5, len(ch.points_removed))} more)")
    c = ch.confidence
    if c.delta is not None and -c.delta + eps >= t.confidence_drop:
        lines.append(f"Overall confidence dropped: {c.previous:.2f} to {c.current:.2f} ({c.delta:+.2f})")
    return lines
