"""Which analyses the rule-based analyst wrote in place of the model, read back from the results themselves
(so a stored value says it too): the note a fallback carries and the sentence the cover and CLI show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .prompts import FRAMEWORKS, LABEL_OF

FALLBACK_NOTE = "LLM analyst unavailable for the {label}: {gap}; the rule-based analysis is shown and its " \
                "confidence lowered."


def fallbacks(results: Sequence[Any]) -> list[tuple[str, str]]:
    """(framework label, why) for each of the results (Porter, SWOT, PESTEL, Blue Ocean, synthesis, in that
    order) that the rule-based analyst wrote in place of the model; read from the results themselves, so a
    stored value says it too."""
    out = []
    for framework, result in zip(FRAMEWORKS, results, strict=False):
        if "(fallback from " not in (getattr(result, "analyst", "") or ""):
            continue
        head = FALLBACK_NOTE.split("{gap}")[0].format(label=LABEL_OF[framework])
        gap = next((g[len(head):] for g in result.data_gaps if g.startswith(head)), "")
        out.append((LABEL_OF[framework], gap.split("; the rule-based analysis")[0] or "the model did not answer"))
    return out


def fallback_line(results: Sequence[Any]) -> str:
    """One sentence for the cover, the report metadata and the CLI; '' when the model wrote every analysis."""
    notes = fallbacks(results)
    if not notes:
        return ""
    return (f"{len(notes)} of {len(results)} analyses came from the rule-based analyst because the Gemini "
            "analyst could not answer them: " + "; ".join(f"{label} ({why})" for label, why in notes) + ".")
