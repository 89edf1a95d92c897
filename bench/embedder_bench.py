"""Local embedders compared: load time, chunks per second and retrieval quality (not a test).

Candidates: ``minilm`` (all-MiniLM-L6-v2, int8 ONNX export on onnxruntime, the default), ``static``
(model2vec distilled from the same weights, shipped in index/models/) and ``minilm-torch``
(sentence-transformers on torch, the optional extra; skipped when it is not installed).

- load: a fresh interpreter imports the embedder and embeds one text (median of 3 processes).
- throughput: chunks per second over 600 texts shaped like the index's chunks (one-sentence SEC
  facts and 80-200 word document paragraphs), after warm-up.
- quality: 16 questions over a 24-document corpus, each written to share no content word with the
  one document that answers it; top-1 accuracy and mean reciprocal rank, vector search only.
- agreement: the share of questions whose top document is the one minilm-torch ranks first.

Writes bench/embedder_results.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from consultantos_assets.index.local_embedders import LOCAL_KINDS  # noqa: E402

CANDIDATES = {kind: (cls, available) for kind, (cls, available, _needs) in LOCAL_KINDS.items()}

# question -> the document that answers it; no content word of a question occurs in its document
DOCS = {
    "phones": "Apple designs and sells the iPhone, a line of mobile phones.",
    "factory": "Contract manufacturers in Asia assemble most hardware; a plant outage could halt supply.",
    "dividend": "The board raised the quarterly cash payout to shareholders by four percent.",
    "buyback": "The company repurchased 120 million of its own shares during the year.",
    "lawsuit": "A federal jury found the firm liable for patent infringement and awarded damages.",
    "antitrust": "European regulators fined the group for abusing its dominant position in app distribution.",
    "layoffs": "Management cut roughly eight percent of staff to reduce operating costs.",
    "ceo": "The chief executive stepped down and the board named an interim successor.",
    "gpu": "Data centre accelerators for training neural networks drove record sales.",
    "tariff": "New import duties on goods made in China raise the cost of components.",
    "debt": "The company issued ten-year bonds to refinance notes maturing next spring.",
    "ev": "Deliveries of battery-powered cars rose as the new model ramped at the Texas plant.",
    "bank": "Net interest income grew as loan yields outpaced the rise in deposit costs.",
    "cloud": "Revenue from rented computing capacity and hosted software grew strongly.",
    "recall": "The automaker called back vehicles over a faulty airbag inflator.",
    "weather": "Storms in the Gulf disrupted refinery output for two weeks.",
    "distractor1": "The company makes no comment on which smart thermostat it prefers.",
    "distractor2": "Quarterly revenue rose on strong services sales and wearables.",
    "distractor3": "The zirconium supply agreement was renewed with a regional vendor.",
    "distractor4": "Its headquarters moved to a new campus with solar panels on every roof.",
    "distractor5": "The annual meeting will be held online in May.",
    "distractor6": "Analysts expect margins to stay flat next quarter.",
    "distractor7": "A new flagship store opened on Fifth Avenue.",
    "distractor8": "The firm sponsors a football club and a music festival.",
}
QUESTIONS = {
    "Which company makes smartphones?": "phones",
    "Where are the devices put together?": "factory",
    "Did investors get a bigger dividend?": "dividend",
    "Is it buying back stock?": "buyback",
    "Was there a court verdict over intellectual property?": "lawsuit",
    "Did competition authorities penalise it?": "antitrust",
    "Were jobs eliminated?": "layoffs",
    "Who leads the business after the boss resigned?": "ceo",
    "What powers artificial intelligence workloads?": "gpu",
    "How do trade barriers affect parts prices?": "tariff",
    "How is borrowing being rolled over?": "debt",
    "Are electric vehicle shipments growing?": "ev",
    "How is the lending spread developing?": "bank",
    "Is the infrastructure-as-a-service segment expanding?": "cloud",
    "Were automobiles withdrawn for safety defects?": "recall",
    "Did hurricanes hit petroleum processing?": "weather",
}


def workload(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    names = ["Apple Inc.", "NVIDIA Corp", "Tesla, Inc.", "Microsoft Corp", "JPMorgan Chase & Co."]
    concepts = ["revenue", "gross profit", "operating income", "net income", "total assets", "cash and equivalents"]
    words = ("the company reported that demand for its products rose in most regions while costs of components "
             "and logistics eased and management expects margins to remain stable as new products ship").split()
    out = []
    for i in range(n):
        if i % 3:
            out.append(f"{rng.choice(names)} reported {rng.choice(concepts)} of ${rng.uniform(1, 400):.1f}B for "
                       f"fiscal {rng.randint(2019, 2026)} (10-K, accession 0000320193-{rng.randint(10, 26)}-"
                       f"{rng.randint(100000, 999999)}).")
        else:
            out.append(" ".join(rng.choice(words) for _ in range(rng.randint(80, 200))) + ".")
    return out


def load_seconds(kind: str, runs: int = 3) -> float:
    cls = CANDIDATES[kind][0].__name__
    code = ("import time; t=time.perf_counter(); from consultantos_assets.index.embedders import " + cls +
            f"; {cls}().embed(['warm up']); print(time.perf_counter()-t)")
    times = []
    for _ in range(runs):
        res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
        times.append(float(res.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def quality(emb) -> tuple[float, float, list[str]]:
    ids = list(DOCS)
    doc_vecs = np.asarray(emb.embed([DOCS[i] for i in ids]), dtype=np.float32)
    hits, rr, tops = 0, 0.0, []
    for question, want in QUESTIONS.items():
        ranked = [ids[j] for j in np.argsort(-(doc_vecs @ np.asarray(emb.embed_query(question))))]
        tops.append(ranked[0])
        hits += ranked[0] == want
        rr += 1.0 / (ranked.index(want) + 1)
    return hits / len(QUESTIONS), rr / len(QUESTIONS), tops


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=600)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "embedder_results.json")
    args = ap.parse_args()
    texts = workload(args.texts)
    results: dict[str, dict] = {}
    for kind, (cls, available) in CANDIDATES.items():
        if not available():
            results[kind] = {"installed": False}
            continue
        emb = cls()
        emb.embed(texts[:8])
        t = time.perf_counter()
        emb.embed(texts)
        per_s = len(texts) / (time.perf_counter() - t)
        top1, mrr, tops = quality(emb)
        results[kind] = {"installed": True, "name": emb.name, "dimension": emb.dimension,
                         "load_s": round(load_seconds(kind), 3), "chunks_per_s": round(per_s, 1),
                         "top1": round(top1, 3), "mrr": round(mrr, 3), "tops": tops}
    ref = results.get("minilm-torch", {}).get("tops")
    print(f"{'embedder':<14}{'dim':>5}{'load s':>9}{'chunks/s':>11}{'top-1':>8}{'MRR':>7}{'= torch top':>13}")
    for kind, r in results.items():
        if not r["installed"]:
            print(f"{kind:<14}  not installed")
            continue
        agree = sum(a == b for a, b in zip(r["tops"], ref, strict=True)) / len(ref) if ref else None
        r["agrees_with_torch_top1"] = None if agree is None else round(agree, 3)
        print(f"{kind:<14}{r['dimension']:>5}{r['load_s']:>9.2f}{r['chunks_per_s']:>11,.0f}{r['top1']:>8.2f}"
              f"{r['mrr']:>7.2f}{'' if agree is None else f'{agree:.2f}':>13}")
    for r in results.values():
        r.pop("tops", None)
    args.out.write_text(json.dumps({"texts": args.texts, "questions": len(QUESTIONS), "documents": len(DOCS),
                                    "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
