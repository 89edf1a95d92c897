"""Split evidence text into retrievable chunks (pure)."""

from __future__ import annotations

import hashlib
import re

from ..analysis.evidence import _fact_evidence
from ..models import Chunk, CompanyResearch, Financials

_WORD = re.compile(r"\S+")


def chunk_id(ticker: str, evidence_id: str, text: str) -> str:
    """Content hash: the same text for the same company always gets the same id."""
    return hashlib.sha256(f"{ticker}\x1f{evidence_id}\x1f{text}".encode()).hexdigest()[:24]


def split_text(text: str, max_words: int = 180, overlap: int = 30) -> list[str]:
    """Paragraph-respecting chunks of at most `max_words` words, long paragraphs windowed with overlap."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for para in paragraphs:
        words = _WORD.findall(para)
        if len(words) > max_words:
            if current:
                chunks.append("\n\n".join(current))
                current, size = [], 0
            step = max(1, max_words - overlap)
            for start in range(0, len(words), step):
                chunks.append(" ".join(words[start : start + max_words]))
                if start + max_words >= len(words):
                    break
            continue
        if size + len(words) > max_words and current:
            chunks.append("\n\n".join(current))
            current, size = [], 0
        current.append(para)
        size += len(words)
    if current:
        chunks.append("\n\n".join(current))
    return chunks


def research_chunks(research: CompanyResearch, financials: Financials) -> list[Chunk]:
    out: list[Chunk] = []
    t = research.ticker
    for doc in research.documents:
        for piece in split_text(doc.text):
            text = f"{doc.title}\n{piece}"
            out.append(Chunk(id=chunk_id(t, doc.id, text), ticker=t, kind=doc.kind, source=doc.source,
                             evidence_id=doc.id, date=doc.published, text=text))
    for fact in financials.annual:
        ev = _fact_evidence(fact)
        out.append(Chunk(id=chunk_id(t, ev.id, ev.text), ticker=t, kind="financial_fact", source=ev.source,
                         evidence_id=ev.id, date=ev.date, text=ev.text))
    unique: dict[str, Chunk] = {}
    for c in out:
        unique.setdefault(c.id, c)
    return list(unique.values())
