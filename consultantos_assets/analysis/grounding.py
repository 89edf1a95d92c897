"""Grounding: every figure in framework text must come from an evidence value (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import Evidence, FrameworkPoint
from .formatting import count, figure, money, pct

# $391.0B, -12.3%, +5.1%, 1,234, 3.8, 2024 ... (dates are removed first)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"[-+]?\$?\d[\d,]*(?:\.\d+)?[%BMKT]?")
_RATING = re.compile(r"\b\d(?:\.\d)? of (?:5|100)\b")
_EVIDENCE_REF = re.compile(r"\[[^\]]*\]|'[^']*'")


def _renderings(e: Evidence) -> set[str]:
    v = e.value
    if v is None:
        return set()
    out = {figure(v, e.unit), money(v), money(abs(v)), count(v), f"{v:,.0f}"}
    if e.unit in ("ratio", "fraction", None):
        out |= {pct(v), pct(v, signed=True), pct(abs(v)), pct(-v, signed=True)}
    if e.unit == "USD/shares":
        out.add(money(v, "USD/shares"))
    return out


def allowed_figures(evidence: Iterable[Evidence]) -> set[str]:
    allowed: set[str] = set()
    for e in evidence:
        allowed |= _renderings(e)
        # figures quoted inside an evidence sentence are facts too (e.g. peak values, components)
        allowed |= set(_NUMBER.findall(_DATE.sub(" ", e.text)))
    return allowed


def ungrounded(text: str, allowed: set[str], years: set[int]) -> list[str]:
    """Figures in `text` that no evidence supports. Years of the covered period and 'x of 5' ratings pass."""
    clean = _RATING.sub(" ", _EVIDENCE_REF.sub(" ", _DATE.sub(" ", text)))
    bad = []
    for tok in _NUMBER.findall(clean):
        t = tok.rstrip(",")
        if t in allowed or t.lstrip("+") in allowed:
            continue
        digits = t.lstrip("+-")
        if digits.isdigit() and int(digits) in years:
            continue
        bad.append(t)
    return bad


def check_points(points: Iterable[FrameworkPoint], evidence: list[Evidence]) -> list[str]:
    """One message per ungrounded figure, naming it and the sentence it sits in."""
    allowed = allowed_figures(evidence)
    years = {e.date.year for e in evidence if e.date} | {e.date.year - 1 for e in evidence if e.date}
    problems = []
    for p in points:
        for tok in ungrounded(p.text, allowed, years):
            problems.append(f"ungrounded figure {tok!r} in: {p.text}")
    return problems
