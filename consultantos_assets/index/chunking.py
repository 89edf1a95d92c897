"""Split evidence into retrievable chunks (pure: models in, chunks out).

Chunks respect paragraphs and a token budget: paragraphs are packed together up to the budget; a
paragraph longer than the budget is split at sentence ends with a few sentences of overlap; a
sentence longer than the budget is windowed by words with overlap. The budget counts word and
punctuation pieces, a close (slightly low) estimate of MiniLM's word pieces, and stays under the
model's 256-piece input with room for the title prefix.
"""

from __future__ import annotations

import hashlib
import re

from ..models import FORCE_LABELS, PESTEL_FACTORS, Chunk, CompanyResearch, Evidence
from ..models.frameworks import PESTEL, SWOT, BlueOcean, FrameworkPoint, PorterFiveForces, Synthesis

_PIECE = re.compile(r"\w+|[^\w\s]")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"\S+")

MAX_TOKENS = 200
OVERLAP_TOKENS = 40
FRAMEWORK_POINT = "framework_point"


def count_tokens(text: str) -> int:
    """Word and punctuation pieces: the budget's unit."""
    return len(_PIECE.findall(text))


def chunk_id(ticker: str, evidence_id: str, text: str) -> str:
    """Content hash: the same text for the same company and evidence always gets the same id."""
    return hashlib.sha256(f"{ticker}\x1f{evidence_id}\x1f{text}".encode()).hexdigest()[:24]


def _window_words(text: str, max_tokens: int, overlap: int) -> list[str]:
    words = _WORD.findall(text)
    out: list[str] = []
    start = 0
    while start < len(words):
        end, size = start, 0
        while end < len(words) and (size + count_tokens(words[end]) <= max_tokens or end == start):
            size += count_tokens(words[end])
            end += 1
        out.append(" ".join(words[start:end]))
        if end >= len(words):
            break
        back, kept = end, 0
        while back > start + 1 and kept + count_tokens(words[back - 1]) <= overlap:
            back -= 1
            kept += count_tokens(words[back])
        start = back
    return out


def _split_long_paragraph(para: str, max_tokens: int, overlap: int) -> list[str]:
    sentences = [s.strip() for s in _SENTENCE_END.split(para) if s.strip()]
    pieces: list[str] = []
    for s in sentences:
        pieces.extend(_window_words(s, max_tokens, overlap) if count_tokens(s) > max_tokens else [s])
    out: list[str] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        n = count_tokens(piece)
        if current and size + n > max_tokens:
            out.append(" ".join(current))
            # carry the last sentences (up to `overlap` tokens) into the next chunk
            carry: list[str] = []
            kept = 0
            for prev in reversed(current):
                m = count_tokens(prev)
                if kept + m > overlap or kept + m + n > max_tokens:
                    break
                carry.insert(0, prev)
                kept += m
            current, size = carry, kept
        current.append(piece)
        size += n
    if current:
        out.append(" ".join(current))
    return out


def split_text(text: str, max_tokens: int = MAX_TOKENS, overlap: int = OVERLAP_TOKENS) -> list[str]:
    """Paragraph-respecting chunks of at most `max_tokens` tokens; long paragraphs split with overlap."""
    if overlap >= max_tokens:
        raise ValueError("overlap must be smaller than the token budget")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for para in paragraphs:
        n = count_tokens(para)
        if n > max_tokens:
            if current:
                chunks.append("\n\n".join(current))
                current, size = [], 0
            chunks.extend(_split_long_paragraph(para, max_tokens, overlap))
            continue
        if current and size + n > max_tokens:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(para)
        size += n
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def _dedupe(chunks: list[Chunk]) -> list[Chunk]:
    unique: dict[str, Chunk] = {}
    for c in chunks:
        unique.setdefault(c.id, c)
    return list(unique.values())


def research_chunks(research: CompanyResearch, evidence: list[Evidence]) -> list[Chunk]:
    """Documents (chunked), and the evidence set's financial facts, ratios, multiples, peer medians and
    price statistics (one sentence each, as the analysts cite them)."""
    out: list[Chunk] = []
    t = research.ticker
    for doc in research.documents:
        for piece in split_text(doc.text):
            text = f"{doc.title}\n{piece}"
            out.append(Chunk(id=chunk_id(t, doc.id, text), ticker=t, kind=doc.kind, source=doc.source,
                             evidence_id=doc.id, date=doc.published, text=text))
    name = research.profile.name
    for ev in evidence:
        if ev.kind == "financial":
            text = f"{name} ({t}): {ev.text}"
            kind = "financial_fact"
        elif ev.kind == "price":
            text = f"{name} ({t}) share price: {ev.text}"
            kind = "price_fact"
        else:
            continue
        out.append(Chunk(id=chunk_id(t, ev.id, text), ticker=t, kind=kind, source=ev.source,
                         evidence_id=ev.id, date=ev.date, text=text))
    return _dedupe(out)


def _point_chunks(ticker: str, framework: str, section: str, label: str, analyst: str,
                  points: list[FrameworkPoint]) -> list[Chunk]:
    out = []
    for i, p in enumerate(points, 1):
        cites = f" (evidence: {', '.join(p.evidence)})" if p.evidence else ""
        text = f"{label}: {p.text}{cites}"
        eid = f"{framework}:{section}:{i}"
        out.append(Chunk(id=chunk_id(ticker, eid, text), ticker=ticker, kind=FRAMEWORK_POINT,
                         source=f"{framework} ({analyst})", evidence_id=eid, date=None, text=text))
    return out


def insight_chunks(porter: PorterFiveForces, swot: SWOT, pestel: PESTEL, blue_ocean: BlueOcean,
                   synthesis: Synthesis) -> list[Chunk]:
    """Every framework and synthesis point as a `framework_point` chunk citing its evidence ids."""
    t = synthesis.ticker
    out: list[Chunk] = []
    for force in porter.forces:
        label = f"Porter's five forces, {FORCE_LABELS[force.name].lower()} (rated {force.rating:g} of 5)"
        out += _point_chunks(t, "porter", force.name, label, porter.analyst, force.points)
    for section, label in (("strengths", "strength"), ("weaknesses", "weakness"),
                           ("opportunities", "opportunity"), ("threats", "threat")):
        out += _point_chunks(t, "swot", section, f"SWOT {label}", swot.analyst, getattr(swot, section))
    for factor in PESTEL_FACTORS:
        out += _point_chunks(t, "pestel", factor, f"PESTEL {factor} factor", pestel.analyst, getattr(pestel, factor))
    for section, attr in (("eliminate", "eliminate"), ("reduce", "reduce"), ("raise", "raise_"), ("create", "create")):
        out += _point_chunks(t, "blue_ocean", section, f"Blue Ocean, {section}", blue_ocean.analyst,
                             getattr(blue_ocean, attr))
    for section, label in (("key_findings", "Key finding"), ("recommendations", "Recommendation"), ("risks", "Risk")):
        out += _point_chunks(t, "synthesis", section, label, synthesis.analyst, getattr(synthesis, section))
    return _dedupe(out)
