"""Embedders behind one interface."""

from __future__ import annotations

import hashlib
import math
import re
from typing import Protocol

_TOKEN = re.compile(r"[a-z0-9]+")


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, texts: list[str]) -> list[list[float]]: ...


class LexicalHashEmbedder:
    """Dependency-free fallback: hashed word and bigram counts, L2-normalised.

    It captures shared vocabulary only, not meaning, and is labelled 'lexical' wherever it is used.
    """

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
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]


def make_embedder(kind: str = "auto") -> Embedder:
    if kind in ("auto", "lexical"):
        return LexicalHashEmbedder()
    raise ValueError(f"unknown embedder {kind!r}: use auto or lexical")
