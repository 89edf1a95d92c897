"""Gemini embeddings (gemini-embedding-001) over the Generative Language API, with its key and host."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from .embedder_base import EmbedderError, unit_normalise

GEMINI_HOST = "generativelanguage.googleapis.com"


# ------------------------------------------------------------------------------------------- Gemini
GEMINI_MODEL = "gemini-embedding-001"


def gemini_key() -> str | None:
    return os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY") or None


def gemini_host() -> tuple[str, int]:
    """The host the client will call: GOOGLE_GEMINI_BASE_URL when set (google-genai reads it too)."""
    base = os.environ.get("GOOGLE_GEMINI_BASE_URL")
    if base:
        u = urlparse(base)
        return u.hostname or GEMINI_HOST, u.port or (443 if u.scheme == "https" else 80)
    return GEMINI_HOST, 443


class GeminiEmbedder:
    """Gemini embeddings through google-genai; documents and queries use their retrieval task types."""

    kind = "gemini"
    batch_size = 100  # batchEmbedContents takes at most 100 requests

    def __init__(self, api_key: str, model: str = GEMINI_MODEL, dimension: int = 768):
        if not api_key:
            raise EmbedderError("the Gemini embedder needs GEMINI_API_KEY or GOOGLE_API_KEY")
        self.model = model
        self.dimension = dimension
        self.name = f"gemini-{model}-{dimension}"
        self._api_key = api_key
        self._client = None

    def _get_client(self):
        if self._client is None:
            from google import genai

            self._client = genai.Client(api_key=self._api_key)
        return self._client

    def _call(self, texts: list[str], task_type: str) -> list[list[float]]:
        from google.genai import types

        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            try:
                resp = self._get_client().models.embed_content(
                    model=self.model, contents=batch,
                    config=types.EmbedContentConfig(task_type=task_type, output_dimensionality=self.dimension),
                )
            except Exception as exc:  # google-genai raises APIError, httpx errors, ...
                raise EmbedderError(
                    f"Gemini embeddings failed ({type(exc).__name__}: {exc}); check the key and network, or set "
                    "CONSULTANTOS_EMBEDDER=minilm to embed locally"
                ) from exc
            embeddings = resp.embeddings or []
            if len(embeddings) != len(batch):
                raise EmbedderError(f"Gemini returned {len(embeddings)} embeddings for {len(batch)} texts")
            for e in embeddings:
                values = list(e.values or [])
                if len(values) != self.dimension:
                    raise EmbedderError(f"Gemini returned a {len(values)}-d vector; expected {self.dimension}")
                out.append(unit_normalise(values))
        return out

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self._call(list(texts), "RETRIEVAL_DOCUMENT") if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._call([text], "RETRIEVAL_QUERY")[0]
