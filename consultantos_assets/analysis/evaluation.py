"""How sound a report's judgements are, scored from its stored inputs (pure).

Measures, per report (each a count of points unless said otherwise):

    prior_only_share           points whose every cited item is an industry prior (prior:*), over all points
    contradictions             metrics (gross margin, operating margin, net margin, revenue growth, ...) that
                               one point calls above a benchmark and another below
    comparisons_without_basis  sentences comparing with peers, the sector, the industry or rivals that cite
                               neither a peer median (peer:<metric>:median) nor a labelled prior (prior:typical:*)
    low_base_trend_claims      points citing a search-interest series whose change is measured from a base
                               below trend_reading.MIN_BASE of 100
    ungrounded_figures         figures in any framework or synthesis text that no evidence holds (grounding.py)
"""

from __future__ import annotations

import re

from ..models import ReportInput
from ..models.evaluation import ReportScore
from .analyst import Frameworks
from .coverage import framework_points
from .grounding import check_result
from .signals import prior_only
from .trend_reading import MIN_BASE, read_series

METRIC_WORDS = {
    "gross margin": "gross_margin", "operating margin": "operating_margin", "net margin": "net_margin",
    "revenue growth": "revenue_growth", "growth": "revenue_growth", "revenue": "revenue",
    "free cash flow": "free_cash_flow", "valuation": "valuation", "p/e": "valuation",
}
_UP = re.compile(r"\b(above|ahead of|outpaces?|outgrow\w*|higher than|faster than|exceeds?)\b", re.I)
_DOWN = re.compile(r"\b(below|behind|trails?|lags?|lower than|slower than|under)\b", re.I)
_LEVEL = re.compile(r"\bin line with\b", re.I)
_BENCH = re.compile(r"\b(peers?|sector|industry|rivals?|competitors?|typical|median)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.;:])\s+")


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip()]


def _metric_in(sentence: str) -> str | None:
    low = sentence.lower()
    hits = [(low.find(w), m) for w, m in METRIC_WORDS.items() if w in low]
    return min(hits)[1] if hits else None


def _based(ids: list[str]) -> bool:
    return any(i.startswith("peer:") and i.endswith(":median") or i.startswith("prior:typical:") for i in ids)


def score_report(report: ReportInput, inputs_hash: str | None = None) -> ReportScore:
    fw = Frameworks(porter=report.porter, swot=report.swot, pestel=report.pestel, blue_ocean=report.blue_ocean)
    syn = report.synthesis
    points = framework_points(fw) + syn.key_findings + syn.recommendations + syn.risks
    ev = report.evidence_by_id()
    examples: list[str] = []

    prior_pts = [p for p in points if p.evidence and prior_only(p.evidence, ev)]
    examples += [f"prior only: {p.text}" for p in prior_pts[:3]]

    directions: dict[str, set[str]] = {}
    said: dict[tuple[str, str], str] = {}
    unbased = []
    for p in points:
        for sent in _sentences(p.text):
            if not _BENCH.search(sent):
                continue
            up, down = bool(_UP.search(sent)), bool(_DOWN.search(sent))
            if not (up or down or _LEVEL.search(sent)):
                continue
            if not _based(p.evidence):
                unbased.append(p.text)
            metric = _metric_in(sent)
            if metric and up != down:
                way = "up" if up else "down"
                directions.setdefault(metric, set()).add(way)
                said.setdefault((metric, way), p.text)
    contradicted = sorted(m for m, ways in directions.items() if len(ways) == 2)
    examples += [f"contradiction on {m}: '{said[(m, 'up')]}' / '{said[(m, 'down')]}'" for m in contradicted]
    examples += [f"comparison without basis: {t}" for t in dict.fromkeys(unbased)]

    series = {s.evidence_id: s for s in report.trends.series}
    low = []
    for p in points:
        for i in p.evidence:
            s = series.get(i)
            if s is None:
                continue
            r = read_series(s, report.as_of)
            base = r.base_yoy if "year on year" in p.text else r.base_momentum if "52-week" in p.text else min(
                (b for b in (r.base_yoy, r.base_momentum) if b is not None), default=None)
            if base is not None and base < MIN_BASE:
                low.append(p.text)
                break
    examples += [f"trend on a low base: {t}" for t in low]

    ungrounded = [m for result in (*fw.__dict__.values(), syn) for m in check_result(result, report.evidence)]
    examples += ungrounded
    n = len(points)
    return ReportScore(
        ticker=report.ticker, as_of=report.as_of, analyst=syn.analyst, inputs_hash=inputs_hash, points=n,
        prior_only=len(prior_pts), prior_only_share=round(len(prior_pts) / n, 4) if n else 0.0,
        contradictions=len(contradicted), comparisons_without_basis=len(set(unbased)),
        low_base_trend_claims=len(low), ungrounded_figures=len(ungrounded), confidence=syn.confidence,
        examples=examples,
    )
