"""Prompts for the LLM analyst: evidence with ids in, cited points out (pure).

Bump PROMPT_VERSION whenever a prompt, a question or a response model changes: it is part of the LLM
cache key, so answers written for an older prompt are never reused.
"""

from __future__ import annotations

import re

from ..models import FORCE_LABELS, PESTEL_FACTORS, Chunk, Evidence
from .analyst import EvidencePack, Frameworks
from .coverage import as_of
from .signals import basis_of

PROMPT_VERSION = "llm-v2"

FRAMEWORKS = ("porter", "swot", "pestel", "blue_ocean", "synthesis")
ASSET_OF = {"porter": "porter_five_forces", "swot": "swot", "pestel": "pestel", "blue_ocean": "blue_ocean",
            "synthesis": "synthesis"}
LABEL_OF = {"porter": "Porter's five forces", "swot": "SWOT analysis", "pestel": "PESTEL analysis",
            "blue_ocean": "Blue Ocean analysis", "synthesis": "executive synthesis"}

SYSTEM = """You are a senior strategy consultant writing one section of a consulting report about a listed \
company. You work only from the EVIDENCE list and the RETRIEVED PASSAGES in the request.

Rules, all enforced by a validator that rejects the answer and asks again:
1. Every point cites between one and four evidence ids in its `evidence` array, copied exactly from the \
square brackets of the EVIDENCE list (for example fin:revenue:FY2024 or doc:AAPL:profile). Cite the items \
the point actually rests on. Never cite an id that is not listed.
2. Every number you write must appear in the EVIDENCE list exactly as printed there (for example $391.0B, \
46.2%, +5.1%, 1,234). Do not compute new numbers, do not round differently, do not change units, do not \
write ordinals or counts that the evidence does not print. Years of the covered period and ISO dates may be \
used. Ratings are written as 'N.N of 5'.
3. Points are one or two plain sentences, specific to this company, each a judgement followed by the fact \
that supports it. No markdown, no bullet characters, no square brackets in the text.
4. If the evidence is thin, say what is missing instead of guessing.

What a claim needs (a point that breaks one of these is wrong even when its figures are right):
5. A figure is not enough: the claim must be true for this company. Revenue size says nothing about \
supplier concentration and a high margin says nothing about how concentrated the customers are; where the \
evidence does not name suppliers or customers, say that it does not.
6. A comparison names its basis. Compare with peers only through a peer:<metric>:median item, naming the \
peers its text lists; without one, never write "above/below peers" or "above/below the sector". A \
prior:typical:* item may be cited only as what it is: "typical for the industry, a prior, not a measured peer \
figure". Never state a prior about a metric that has a peer median.
7. Items of kind prior (ids prior:*) are industry rules of thumb, not facts about the company. Label any \
point resting on them as a prior, keep them to at most one point in five, and never rank them above the \
company's own evidence; never present them as findings or recommendations.
8. Leverage is judged only from net debt to EBITDA and interest coverage (val:net_debt_ebitda, \
val:interest_coverage, fin:net_cash:*), never from liabilities to assets; for banks and insurers judge capital \
(equity to assets), not leverage.
9. A search-interest change is a signal only from a base of at least 10 of 100 (the trend item prints its \
base) and when no single week carries it; a series that ends well before the report's data date is stated \
with its end date. A share-price drawdown is stated with its dates and what followed, never as a story about \
the market's doubts.
10. A dated figure says its date or fiscal period where it is used; when the latest statements are old \
(fin:statements_age) say how old before drawing conclusions from them.
11. Recommendations name the metric they would move and, where the evidence gives one, the size of the gap \
(for example from a margin to the peer median); at most one recommendation may rest on search interest, \
and never the first."""

TASKS: dict[str, str] = {
    "porter": "Rate each of Porter's five forces for {name} from 1.0 (weak force, good for the company) to "
              "5.0 (strong force, bad for the company), with one to three points per force explaining the "
              "rating. Return all five forces exactly once: " + ", ".join(FORCE_LABELS) + ". Then a two-"
              "sentence summary naming the strongest and weakest force.",
    "swot": "Write a SWOT analysis of {name}: up to five points each for strengths, weaknesses, "
            "opportunities and threats; leave a quadrant empty rather than fill it with a prior.",
    "pestel": "Write a PESTEL analysis of {name}: up to three points for each of " + ", ".join(PESTEL_FACTORS)
              + " factors, drawing on what the documents discuss as well as the figures; leave a factor empty "
              "rather than fill it with a prior.",
    "blue_ocean": "Write the Blue Ocean ERRC grid for {name}: up to three points each for eliminate, reduce, "
                  "raise and create, judged against the named peers' medians (peer:*:median ids) where listed; "
                  "leave a move empty rather than fill it with a prior.",
    "synthesis": "Write the executive synthesis for {name}: an executive summary whose first sentences state the "
                 "two or three things that matter most for this company, each with its figures and their dates "
                 "(when the statements are old or missing, that comes first), followed by one to three sentences "
                 "of context; three to five key findings from the company's own evidence (no priors), three to "
                 "five recommendations and two to five risks. Build on the framework conclusions below; cite the "
                 "evidence ids they cite.",
}

_SPACE = re.compile(r"\s+")


def _clean(text: str, limit: int) -> str:
    t = _SPACE.sub(" ", text).strip().replace("[", "(").replace("]", ")")
    return t if len(t) <= limit else t[: limit - 1].rstrip() + "\u2026"


def render_evidence(evidence: list[Evidence], doc_chars: int = 400) -> str:
    lines = []
    for e in evidence:
        when = f"; {e.date.isoformat()}" if e.date else ""
        body = _clean(e.text, doc_chars if e.kind in ("document", "profile", "filing") else 600)
        lines.append(f"[{e.id}] ({e.kind}, {basis_of(e)}{when}) {body}")
    return "\n".join(lines)


def retrieved_for(pack: EvidencePack) -> list[tuple[str, list[Chunk]]]:
    """The chunks the asset layer retrieved for this framework's questions: each chunk once, citable
    evidence only, ordered by id within a question so ties in search ranking cannot change the prompt."""
    known = {e.id for e in pack.evidence}
    seen: set[str] = set()
    out = []
    for q, found in pack.retrieved.items():
        chunks = []
        for c in sorted(found, key=lambda c: c.id):
            if c.id in seen or c.evidence_id not in known:
                continue
            seen.add(c.id)
            chunks.append(c)
        if chunks:
            out.append((q, chunks))
    return out


def render_retrieved(pack: EvidencePack, chunk_chars: int = 700) -> str:
    parts = []
    for q, chunks in retrieved_for(pack):
        parts.append(f"Question: {q}")
        parts += [f"  [{c.evidence_id}] {_clean(c.text, chunk_chars)}" for c in chunks]
    return "\n".join(parts) or "(none retrieved)"


def render_frameworks(fw: Frameworks) -> str:
    parts = []
    porter = fw.porter
    parts.append(f"Porter's five forces ({porter.analyst}); overall intensity {porter.overall_intensity:.1f} of 5:")
    for f in porter.forces:
        parts.append(f"- {FORCE_LABELS[f.name]} {f.rating:.1f} of 5")
        parts += [f"  - {p.text} [{', '.join(p.evidence)}]" for p in f.points]
    for title, result, groups in (
        ("SWOT", fw.swot, ("strengths", "weaknesses", "opportunities", "threats")),
        ("PESTEL", fw.pestel, PESTEL_FACTORS),
        ("Blue Ocean", fw.blue_ocean, ("eliminate", "reduce", "raise_", "create")),
    ):
        parts.append(f"{title} ({result.analyst}):")
        for g in groups:
            for p in getattr(result, g):
                parts.append(f"- {g.rstrip('_')}: {p.text} [{', '.join(p.evidence)}]")
    return "\n".join(parts)


def messages_for(framework: str, pack: EvidencePack, fw: Frameworks | None = None) -> list[dict[str, str]]:
    """System and user messages; deterministic for identical inputs (the cache key hashes them)."""
    p = pack.research.profile
    head = [
        f"COMPANY: {p.name} ({p.ticker}); sector {p.sector or 'unknown'}; industry "
        f"{p.industry or p.sic_description or 'unknown'}.",
        f"TASK: {TASKS[framework].format(name=p.name)}",
        "",
        f"REPORT DATA DATE: {d.isoformat() if (d := as_of(pack)) else 'unknown'} (the newest data point used).",
        "",
        "EVIDENCE (cite these ids; each says its kind and basis: reported, market, derived, filing, document, "
        "trend or prior):",
        render_evidence(pack.evidence),
        "",
        "RETRIEVED PASSAGES from the research index (cite the id in brackets):",
        render_retrieved(pack),
    ]
    if framework == "synthesis" and fw is not None:
        head += ["", "FRAMEWORK CONCLUSIONS:", render_frameworks(fw)]
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(head)}]
