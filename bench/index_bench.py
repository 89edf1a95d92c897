"""Research-index benchmark: exact vs approximate top-10 search at 10k and 100k chunks, and embedding
throughput. Prints a table with ratios and writes bench/index_results.json.

    .venv/bin/python bench/index_bench.py [--sizes 10000 100000] [--queries 200]

The tables hold synthetic but realistic vectors: real embeddings by the default local embedder (the
static model distilled from all-MiniLM-L6-v2) of template research sentences (companies x metrics x
topics), each stored row a normalised mix of two of them plus noise, so the data has the anisotropy
and cluster structure of real embeddings. Queries are embeddings of held-out question texts. Recall@10 is measured against exact (flat) search
through the same ChunkStore code path the application uses.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consultantos_assets.index.embedders import LexicalHashEmbedder, StaticEmbedder  # noqa: E402
from consultantos_assets.index.store import ChunkStore  # noqa: E402
from consultantos_assets.index.tables import schema_for, text_hash  # noqa: E402

COMPANIES = ["Apple", "Nvidia", "Microsoft", "Alphabet", "Tesla", "Amazon", "Meta", "Netflix", "Intel", "AMD",
             "Oracle", "Salesforce", "Adobe", "Qualcomm", "Broadcom", "Cisco"]
METRICS = ["revenue", "gross margin", "operating income", "net income", "free cash flow", "long-term debt",
           "research and development spending", "share buybacks", "capital expenditure", "inventory"]
TOPICS = ["supply chain disruptions in Asia", "antitrust investigations in Europe", "demand for data centre chips",
          "subscription services growth", "smartphone sales in China", "electric vehicle price cuts",
          "cloud computing competition", "advertising market slowdown", "tariffs on imported components",
          "artificial intelligence investments", "labour costs and unionisation", "currency headwinds",
          "a new product launch cycle", "patent litigation", "energy prices and data centre power",
          "interest rates and consumer spending", "privacy regulation", "a large acquisition"]
VERBS = ["rose sharply", "fell", "was flat", "beat expectations", "missed guidance", "reached a record",
         "was pressured by", "benefited from"]
QUESTIONS = ["How exposed is {c} to {t}?", "What drove {c}'s {m} last year?", "Is {c}'s {m} improving?",
             "What risks does {c} face from {t}?", "How does {t} affect {c}'s {m}?"]


def sentences(n: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(n):
        c, m, t, v = rng.choice(COMPANIES), rng.choice(METRICS), rng.choice(TOPICS), rng.choice(VERBS)
        out.append(f"{c}'s {m} {v} in fiscal {rng.randint(2019, 2025)} as management cited {t}; "
                   f"the filing notes {rng.choice(TOPICS)} as a further factor.")
    return out


def questions(n: int, rng: random.Random) -> list[str]:
    return [rng.choice(QUESTIONS).format(c=rng.choice(COMPANIES), m=rng.choice(METRICS), t=rng.choice(TOPICS))
            for _ in range(n)]


def throughput(embedder, texts: list[str]) -> float:
    embedder.embed(texts[:16])  # warm-up (model load, caches)
    start = time.perf_counter()
    embedder.embed(texts)
    return len(texts) / (time.perf_counter() - start)


def synth_vectors(base: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
    alpha = rng.uniform(0.0, 0.6, (n, 1)).astype(np.float32)
    v = base[i] + alpha * base[j] + rng.normal(0, 0.5 / np.sqrt(base.shape[1]), base[i].shape).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def build_table(uri: str, embedder, vectors: np.ndarray, texts: list[str]) -> ChunkStore:
    import lancedb

    store = ChunkStore(uri, embedder)
    db = lancedb.connect(uri)
    schema = schema_for(embedder)
    table = db.create_table(store.table_name, schema=schema)
    n = len(vectors)
    for start in range(0, n, 25_000):
        end = min(n, start + 25_000)
        rows = {
            "id": [f"c{k:07d}" for k in range(start, end)],
            "ticker": [COMPANIES[k % len(COMPANIES)].upper()[:4] for k in range(start, end)],
            "scope": ["research"] * (end - start),
            "kind": ["news"] * (end - start),
            "source": ["bench"] * (end - start),
            "evidence_id": [f"doc:{k}" for k in range(start, end)],
            "date": ["2024-01-01"] * (end - start),
            "text": [texts[k % len(texts)] for k in range(start, end)],
            "text_hash": [text_hash(str(k)) for k in range(start, end)],
            "row_hash": [""] * (end - start),
            "embedder": [embedder.name] * (end - start),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors[start:end].reshape(-1)), vectors.shape[1]),
        }
        table.add(pa.table(rows, schema=schema))
    return store


def timed_search(store: ChunkStore, queries: np.ndarray, exact: bool) -> tuple[list[float], list[list[str]]]:
    lat, ids = [], []
    store.vector_search(queries[0], k=10, exact=exact)  # warm caches
    for q in queries:
        start = time.perf_counter()
        hits = store.vector_search(q, k=10, exact=exact)
        lat.append((time.perf_counter() - start) * 1000)
        ids.append([r["id"] for r, _ in hits])
    return lat, ids


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def recall(approx: list[list[str]], exact: list[list[str]]) -> float:
    return statistics.fmean(len(set(a) & set(e)) / max(1, len(e)) for a, e in zip(approx, exact, strict=True))


# (index type, nprobes, refine_factor, ef) tried in order; the first meeting recall >= 0.95 is the pick
CONFIGS = [
    ("IVF_HNSW_SQ", 10, None, 64),
    ("IVF_HNSW_SQ", 20, None, 100),
    ("IVF_HNSW_SQ", 20, 5, 100),
    ("IVF_PQ", 20, 10, None),
    ("IVF_PQ", 40, 20, None),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--out", default=str(Path(__file__).with_name("index_results.json")))
    args = ap.parse_args()
    rng = random.Random(7)
    embedder, lexical = StaticEmbedder(), LexicalHashEmbedder()
    corpus = sentences(2_000, rng)
    print("embedding throughput ...", flush=True)
    tp = {"static": throughput(embedder, corpus), "lexical": throughput(lexical, corpus)}
    base = np.asarray(embedder.embed(corpus), dtype=np.float32)
    qvecs = np.asarray(embedder.embed(questions(args.queries, rng)), dtype=np.float32)
    results: dict[str, object] = {
        "embedding_chunks_per_s": {k: round(v, 1) for k, v in tp.items()},
        "queries": args.queries, "k": 10, "tables": [],
    }
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="index_bench_") as tmp:
            print(f"building {size:,} rows ...", flush=True)
            store = build_table(tmp, embedder, synth_vectors(base, size, seed=size), corpus)
            exact_lat, exact_ids = timed_search(store, qvecs, exact=True)
            built: str | None = None
            rows = []
            for index_type, nprobes, refine, ef in CONFIGS:
                store.index_type, store.nprobes, store.refine_factor, store.ef = index_type, nprobes, refine, ef
                build_s = None
                if built != index_type:
                    start = time.perf_counter()
                    store.build_vector_index()
                    build_s = time.perf_counter() - start
                    built = index_type
                lat, ids = timed_search(store, qvecs, exact=False)
                rows.append({
                    "index": index_type, "nprobes": nprobes, "refine_factor": refine, "ef": ef,
                    "build_s": round(build_s, 1) if build_s is not None else None,
                    "p50_ms": round(pct(lat, 50), 2), "p95_ms": round(pct(lat, 95), 2),
                    "recall_at_10": round(recall(ids, exact_ids), 4),
                })
                print(f"  {index_type:<12} nprobes={nprobes:<3} refine={refine!s:<4} ef={ef!s:<4} "
                      f"p50 {rows[-1]['p50_ms']:6.2f} ms  recall@10 {rows[-1]['recall_at_10']:.3f}", flush=True)
            results["tables"].append({
                "rows": size,
                "exact": {"p50_ms": round(pct(exact_lat, 50), 2), "p95_ms": round(pct(exact_lat, 95), 2)},
                "approximate": rows,
            })
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")

    print()
    print(f"top-10 vector search, {args.queries} queries, cosine; recall@10 of ANN vs exact")
    head = f"{'rows':>8}  {'search':<34} {'p50 ms':>8} {'p95 ms':>8} {'recall@10':>9} {'p50 speed-up':>12}"
    print(head)
    print("-" * len(head))
    for t in results["tables"]:
        ex = t["exact"]
        print(f"{t['rows']:>8,}  {'exact (flat)':<34} {ex['p50_ms']:>8.2f} {ex['p95_ms']:>8.2f} {1.0:>9.3f} {1.0:>11.1f}x")
        for r in t["approximate"]:
            name = f"{r['index']} np={r['nprobes']} rf={r['refine_factor'] or '-'} ef={r['ef'] or '-'}"
            print(f"{'':>8}  {name:<34} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['recall_at_10']:>9.3f} "
                  f"{ex['p50_ms'] / r['p50_ms']:>11.1f}x")
    print()
    print(f"embedding throughput: static {tp['static']:,.0f} chunks/s, lexical {tp['lexical']:,.0f} chunks/s "
          "(bench/embedder_bench.py compares the local embedders)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
