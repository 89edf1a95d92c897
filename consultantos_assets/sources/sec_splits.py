"""One share basis: stock splits inferred from restatements (corroborated by SEC's split-ratio facts where
filed), and per-share values and share counts restated to the latest basis."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import replace

from ..models import StockSplit
from .sec_facts import SPLIT_EVIDENCE_CONCEPTS, SPLIT_RATIO, SecFact

SPLIT_TOLERANCE = 0.03  # a ratio within 3% of a whole number (EPS is rounded to cents)


SPLIT_MIN, SPLIT_MAX = 1.5, 50.0


def _split_ratio(old: float, new: float, unit: str) -> float | None:
    """New shares per old share implied by a restatement, when it is a whole-number split."""
    if old <= 0 or new <= 0:
        return None
    ratio = old / new if unit == "USD/shares" else new / old
    inverse = ratio < 1
    r = 1 / ratio if inverse else ratio
    if not SPLIT_MIN <= r <= SPLIT_MAX:
        return None
    whole = round(r)
    if whole < 2 or abs(r - whole) / whole > SPLIT_TOLERANCE:
        return None
    return 1 / whole if inverse else float(whole)


def detect_splits(facts: list[SecFact]) -> list[StockSplit]:
    """Splits inferred from per-share figures and share counts restated by a later filing.

    For each period of EPS (basic, diluted) and diluted weighted shares, consecutive filings whose
    values differ by a whole-number ratio give a candidate (ratio, newest old-basis filing, first
    new-basis filing). Candidates of one ratio whose filing windows overlap are one split; it needs
    two candidates, or one with SEC's own split-ratio fact filed in its window.
    """
    by_period: dict[tuple[str, str, dt.date | None, dt.date], list[SecFact]] = defaultdict(list)
    ratio_facts = [f for f in facts if f.concept == SPLIT_RATIO and f.value > 0]
    for f in facts:
        if f.concept in SPLIT_EVIDENCE_CONCEPTS and f.unit in ("USD/shares", "shares"):
            by_period[(f.concept, f.unit, f.start, f.end)].append(f)
    candidates: list[tuple[float, dt.date, dt.date, str]] = []
    for (concept, unit, start, end), group in by_period.items():
        values: dict[dt.date, SecFact] = {}
        for f in sorted(group, key=lambda f: (f.filed, f.accession)):
            values.setdefault(f.filed, f)
        ordered = list(values.values())
        for old, new in zip(ordered, ordered[1:], strict=False):
            factor = _split_ratio(old.value, new.value, unit)
            if factor is not None:
                span = f"{start.isoformat()} to {end.isoformat()}" if start else f"at {end.isoformat()}"
                candidates.append((factor, old.filed, new.filed,
                                   f"{concept} {span}: {old.value:,.4g} in {old.accession} ({old.filed}) "
                                   f"restated to {new.value:,.4g} in {new.accession} ({new.filed})"))
    splits: list[StockSplit] = []
    for factor in sorted({c[0] for c in candidates}):
        same = sorted((c for c in candidates if c[0] == factor), key=lambda c: c[2])
        clusters: list[list[tuple[float, dt.date, dt.date, str]]] = []
        for c in same:
            cluster = clusters[-1] if clusters else None
            if cluster and c[1] < min(x[2] for x in cluster) and c[2] > max(x[1] for x in cluster):
                cluster.append(c)
            else:
                clusters.append([c])
        for cluster in clusters:
            last_old = max(c[1] for c in cluster)
            first_new = min(c[2] for c in cluster)
            sec_facts = [f for f in ratio_facts if last_old <= f.filed <= first_new + dt.timedelta(days=400)
                         and abs(f.value - (factor if factor >= 1 else 1 / factor)) < 1e-6]
            if len(cluster) < 2 and not sec_facts:
                continue
            evidence = [c[3] for c in sorted(cluster, key=lambda c: c[3])[:4]]
            if len(cluster) > 4:
                evidence.append(f"... and {len(cluster) - 4} more restatements at the same ratio")
            if sec_facts:
                f = min(sec_facts, key=lambda f: (f.filed, f.accession))
                evidence.append(f"{SPLIT_RATIO} = {f.value:g} in {f.accession} ({f.filed})")
            splits.append(StockSplit(factor=factor, last_old_filing=last_old, first_new_filing=first_new,
                                     evidence=evidence))
    return sorted(splits, key=lambda s: s.first_new_filing)


def restate_to_latest_basis(facts: list[SecFact], splits: list[StockSplit]) -> list[SecFact]:
    """Per-share values and share counts filed before a split, restated by its factor."""
    if not splits:
        return facts
    out = []
    for f in facts:
        if f.unit not in ("USD/shares", "shares"):
            out.append(f)
            continue
        factor = 1.0
        for split in splits:
            if f.filed < split.first_new_filing:
                factor *= split.factor
        if factor == 1.0:
            out.append(f)
        else:
            value = f.value / factor if f.unit == "USD/shares" else f.value * factor
            out.append(replace(f, value=value, factor=factor if f.unit == "shares" else 1 / factor))
    return out
