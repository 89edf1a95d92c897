"""The embedder interface, its error, and the lexical fallback that needs nothing installed."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Protocol

_TOKEN = re.compile(r"[a-z0-9]+")


class EmbedderError(RuntimeError):
    """An embedder cannot be built or failed to embed; the message says what to do."""


class Embedder(Protocol):
    name: str
    """Identifies the vector space: the same name always means comparable vectors."""
    dimension: int

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Vectors for documents (unit length)."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The vector for a search query, in the same space as `embed`."""
        ...


def unit_normalise(vec: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


class LexicalHashEmbedder:
    """Dependency-free fallback: hashed word and bigram counts, L2-normalised.

    It captures shared vocabulary only, not meaning, and is labelled 'lexical' wherever it is used.
    """

    kind = "lexical"

    def __init__(self, dimension: int = 384):
        self.dimension = dimension
        self.name = f"lexical-hash-{dimension}"

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dimension
        tokens = _TOKEN.findall(text.lower())
        grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            vec[h % self.dimension] += 1.0 if (h >> 63) == 0 else -1.0
        return unit_normalise(vec)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
