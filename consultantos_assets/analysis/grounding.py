"""Grounding: every figure in framework text must come from an evidence value (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..models import Evidence, FrameworkPoint
from .figure_text import count, figure, money, pct

# $391.0B, -12.3%, +5.1%, 1,234, 3.8, 2024 ... (dates are removed first)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"[-+]?\$?\d[\d,]*(?:\.\d+)?[%BMKT]?")
_RATING = re.compile(r"\b\d(?:\.\d)? of (?:5|100)\b")
# bracketed ids and quoted names ('Nvidia RTX 5090'); an apostrophe inside a word (Apple's) opens no quote
_EVIDENCE_REF = re.compile(r"\[[^\]]*\]|(?<!\w)'[^']*'(?!\w)")


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


def ungrounded(text: str, allowed: set[str], years: set[int], strict: bool = False) -> list[str]:
    """Figures in `text` that no evidence supports. Years of the covered period and 'x of 5' ratings pass.

    strict: quoted and bracketed text is checked too (model output: nothing may hide in quotes).
    """
    clean = _DATE.sub(" ", text)
    clean = _RATING.sub(" ", re.sub(r"[\[\]']", " ", clean) if strict else _EVIDENCE_REF.sub(" ", clean))
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


def covered_years(evidence: Iterable[Evidence]) -> set[int]:
    dated = [e.date for e in evidence if e.date]
    return {d.year for d in dated} | {d.year - 1 for d in dated}


def check_points(points: Iterable[FrameworkPoint], evidence: list[Evidence]) -> list[str]:
    """One message per ungrounded figure, naming it and the sentence it sits in."""
    allowed = allowed_figures(evidence)
    years = covered_years(evidence)
    problems = []
    for p in points:
        for tok in ungrounded(p.text, allowed, years):
            problems.append(f"ungrounded figure {tok!r} in: {p.text}")
    return problems


def framework_texts(result: object) -> list[FrameworkPoint]:
    """Every text of a framework or synthesis result that may state a figure, as points to check."""
    from ..models import PESTEL, SWOT, BlueOcean, PorterFiveForces, Synthesis

    pts: list[FrameworkPoint] = []
    if isinstance(result, PorterFiveForces):
        pts = [p for f in result.forces for p in f.points]
        pts.append(FrameworkPoint(text=result.summary, confidence=result.confidence))
    elif isinstance(result, SWOT):
        pts = result.strengths + result.weaknesses + result.opportunities + result.threats
    elif isinstance(result, PESTEL):
        pts = (result.political + result.economic + result.social + result.technological + result.environmental
               + result.legal)
    elif isinstance(result, BlueOcean):
        pts = result.eliminate + result.reduce + result.raise_ + result.create
    elif isinstance(result, Synthesis):
        pts = result.key_findings + result.recommendations + result.risks
        pts.append(FrameworkPoint(text=result.executive_summary, confidence=result.confidence))
    else:
        raise TypeError(f"not a framework result: {type(result).__name__}")
    return list(pts)


def check_result(result: object, evidence: list[Evidence]) -> list[str]:
    """Ungrounded figures anywhere in a framework or synthesis result."""
    return check_points(framework_texts(result), evidence)
