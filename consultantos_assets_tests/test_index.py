"""The research index: real LanceDB on temp dirs, the real local embedders (the shipped static model
and MiniLM's int8 ONNX export), Gemini through google-genai against a fake server on 127.0.0.1,
writers in two processes."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import textwrap

import pytest

from consultantos_assets.index.chunking import FRAMEWORK_POINT, chunk_id, count_tokens, split_text
from consultantos_assets.index.embedders import (
    EmbedderError,
    GeminiEmbedder,
    LexicalHashEmbedder,
    OnnxMiniLMEmbedder,
    StaticEmbedder,
    expected_kind,
    make_embedder,
    resolve_kind,
)
from consultantos_assets.index.retrieval import framework_questions, retrieve, retrieve_for_framework
from consultantos_assets.index.store import ChunkStore, reciprocal_rank_fusion
from consultantos_assets.index.tables import IndexMismatch, table_name_for
from consultantos_assets.models import Chunk

from .conftest import REPO
from .fake_gemini import FakeGemini


def mk(ticker: str, eid: str, text: str, kind: str = "profile", date: str | None = "2024-06-01",
       source: str = "test") -> Chunk:
    return Chunk(id=chunk_id(ticker, eid, text), ticker=ticker, kind=kind, source=source, evidence_id=eid,
                 date=dt.date.fromisoformat(date) if date else None, text=text)


CORPUS = [
    ("doc:phones", "Apple designs and sells the iPhone, a line of mobile phones.", "profile", "2024-01-10"),
    ("doc:distractor", "The company makes no comment on which smart thermostat it prefers.", "news", "2024-02-10"),
    ("doc:ledger", "Quarterly revenue rose on strong services sales and wearables.", "news", "2023-05-02"),
    ("doc:factory", "Contract manufacturers in Asia assemble most hardware; a plant outage could halt supply.",
     "filing", "2022-11-01"),
    ("doc:zeta", "The zirconium supply agreement was renewed with a regional vendor.", "filing", "2021-03-15"),
]


def corpus(ticker: str = "AAPL") -> list[Chunk]:
    return [mk(ticker, eid, text, kind, date) for eid, text, kind, date in CORPUS]


@pytest.fixture(scope="session")
def minilm() -> StaticEmbedder:
    """The default local embedder (the static model distilled from MiniLM)."""
    emb = StaticEmbedder()
    emb.embed(["warm up"])  # loads the table once for the session
    return emb


@pytest.fixture(scope="session")
def onnx_minilm() -> OnnxMiniLMEmbedder:
    emb = OnnxMiniLMEmbedder()
    emb.embed(["warm up"])
    return emb


@pytest.fixture(params=["static", "minilm"])
def local_embedder(request, minilm, onnx_minilm):
    return {"static": minilm, "minilm": onnx_minilm}[request.param]


@pytest.fixture
def lexical() -> LexicalHashEmbedder:
    return LexicalHashEmbedder()


def table_rows(store: ChunkStore, ticker: str | None = None) -> set[tuple[str, str, str]]:
    return {(r["ticker"], r["id"], r["text"]) for r in store.rows(ticker)}


# ------------------------------------------------------------------------------------------- chunking
def test_split_text_keeps_paragraphs_within_budget_and_overlaps_long_ones():
    short = ["First paragraph about revenue.", "Second paragraph about margins."]
    assert split_text("\n\n".join(short), max_tokens=50, overlap=10) == ["\n\n".join(short)]
    # paragraphs never merge past the budget, and a paragraph is never cut when it fits
    paras = [" ".join(f"p{i}w{j}" for j in range(30)) for i in range(3)]
    chunks = split_text("\n\n".join(paras), max_tokens=50, overlap=10)
    assert chunks == paras
    # a long paragraph is split at sentence ends with overlapping sentences
    sentences = [f"Sentence {i} says the company sold {i} units." for i in range(40)]
    long = split_text(" ".join(sentences), max_tokens=60, overlap=15)
    assert len(long) > 3
    assert all(count_tokens(c) <= 60 for c in long)
    for a, b in zip(long, long[1:], strict=False):
        assert a.split(". ")[-1].rstrip(".") in b  # the last sentence of a chunk opens the next
    assert all(s.rstrip(".") in " ".join(long) for s in sentences)
    # a sentence longer than the budget is windowed by words, still with overlap
    words = " ".join(f"w{i}" for i in range(200))
    windows = split_text(words, max_tokens=50, overlap=10)
    assert all(count_tokens(w) <= 50 for w in windows)
    assert windows[1].split()[0] in windows[0].split()
    assert windows[-1].split()[-1] == "w199"


def test_chunk_ids_are_content_hashes_per_company():
    a, b = mk("AAPL", "fin:revenue:FY2024", "x"), mk("NVDA", "fin:revenue:FY2024", "x")
    assert a.id == mk("AAPL", "fin:revenue:FY2024", "x").id
    assert a.id != b.id and a.id != mk("AAPL", "fin:revenue:FY2024", "y").id


# ------------------------------------------------------------------------------------------- embedders
def test_local_embedders_rank_the_semantic_match_above_a_lexical_distractor(tmp_path, local_embedder, lexical):
    query = "Which company makes smartphones?"
    ranked = {}
    for emb in (local_embedder, lexical):
        store = ChunkStore(tmp_path, emb)
        store.replace_company("AAPL", corpus())
        ranked[emb.name] = [c.evidence_id for c in store.search(query, k=5, mode="vector")]
    assert ranked[local_embedder.name][0] == "doc:phones"
    assert ranked[local_embedder.name].index("doc:phones") < ranked[local_embedder.name].index("doc:distractor")
    # the lexical fallback is fooled by shared words: the test distinguishes meaning from vocabulary
    assert ranked[lexical.name].index("doc:distractor") < ranked[lexical.name].index("doc:phones")


CONTENT_WORDS = re.compile(r"[a-z]{3,}")
STOP = {"the", "and", "are", "its", "which", "where", "who", "what", "how", "does", "did", "was", "were", "with",
        "for", "put", "could", "most", "one", "any"}


@pytest.mark.parametrize(("query", "expected"), [
    ("Is production dependent on overseas factories?", "doc:factory"),
    ("Did earnings increase?", "doc:ledger"),
])
def test_a_query_sharing_no_content_word_finds_its_document_first(tmp_path, local_embedder, query, expected):
    text = dict((eid, t) for eid, t, _, _ in CORPUS)[expected]
    words = lambda s: set(CONTENT_WORDS.findall(s.lower())) - STOP  # noqa: E731
    assert not words(query) & words(text), "the query must share no content word with its document"
    store = ChunkStore(tmp_path, local_embedder)
    store.replace_company("AAPL", corpus())
    assert store.search(query, k=1, mode="vector")[0].evidence_id == expected


def test_local_vectors_have_their_dimension_unit_length_and_are_identical_across_processes(local_embedder):
    texts = ["Apple reported revenue of $391.0B for fiscal 2024.", "", "GPUs " * 400]
    vecs = local_embedder.embed(texts)
    assert [len(v) for v in vecs] == [local_embedder.dimension] * 3
    assert local_embedder.dimension == (256 if local_embedder.kind == "static" else 384)
    for v in (vecs[0], vecs[2]):  # a text longer than the model's window is truncated, not refused
        assert math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-4)
    if local_embedder.kind == "static":  # no tokens: the zero vector, never noise
        assert not any(vecs[1])
    else:  # MiniLM still sees [CLS] [SEP], as sentence-transformers does
        assert math.isclose(math.fsum(x * x for x in vecs[1]), 1.0, rel_tol=1e-4)
    assert local_embedder.embed_query(texts[0]) == vecs[0]
    cls = type(local_embedder).__name__
    code = textwrap.dedent(f"""
        import json, sys
        from consultantos_assets.index.embedders import {cls}
        print(json.dumps({cls}().embed(json.loads(sys.argv[1]))))
    """)
    out = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], capture_output=True, text=True, check=True,
                         cwd=REPO)
    assert json.loads(out.stdout) == vecs  # bit for bit: the same text always gets the same vector


def test_make_embedder_choice(monkeypatch, gemini_server):
    for key in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "CONSULTANTOS_EMBEDDER", "CONSULTANTOS_MODE"):
        monkeypatch.delenv(key, raising=False)
    assert resolve_kind("auto") == "static" == expected_kind()
    assert isinstance(make_embedder("auto"), StaticEmbedder)
    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "minilm")
    assert isinstance(make_embedder("auto"), OnnxMiniLMEmbedder)
    assert expected_kind() == "minilm"
    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "lexical")
    emb = make_embedder("auto")
    assert isinstance(emb, LexicalHashEmbedder) and "lexical" in emb.name
    monkeypatch.delenv("CONSULTANTOS_EMBEDDER")
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")  # gemini_server set GOOGLE_GEMINI_BASE_URL: reachable
    assert isinstance(make_embedder("auto"), GeminiEmbedder)
    assert expected_kind() is None  # that depends on whether the host answers: not known without asking
    monkeypatch.setenv("CONSULTANTOS_MODE", "offline")
    assert resolve_kind("auto") == "static" == expected_kind()
    assert resolve_kind("gemini") == "gemini"
    with pytest.raises(EmbedderError, match="unknown embedder"):
        make_embedder("word2vec")
    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "word2vec")
    assert expected_kind() is None  # resolving refuses it, with its reason


def semantic_vector(text: str, dim: int) -> list[float]:
    """The stand-in's embedding for these tests: deterministic, unnormalised, 'phone' texts close together."""
    text = text.lower()
    vec = [float(sum(ord(ch) for ch in text if ord(ch) % dim == i) + 1) for i in range(dim)]
    if "phone" in text:
        vec[0] += 5000.0
    return vec


@pytest.fixture
def gemini_server(monkeypatch):
    """The Gemini stand-in (fake_gemini.py), answering only requests carrying the key "test-key"."""
    fake = FakeGemini(key="test-key", embed=semantic_vector).start()
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.url)
    yield fake
    fake.stop()


def test_gemini_embedder_through_the_real_client(tmp_path, gemini_server):
    emb = GeminiEmbedder("test-key", dimension=8)
    store = ChunkStore(tmp_path, emb)
    store.replace_company("AAPL", corpus())
    hits = store.search("phone maker", k=1, mode="vector")
    assert hits[0].evidence_id == "doc:phones"
    bodies = [r.body for r in gemini_server.requests]
    assert bodies[0]["requests"][0]["taskType"] == "RETRIEVAL_DOCUMENT"
    assert bodies[-1]["requests"][0]["taskType"] == "RETRIEVAL_QUERY"
    assert all(r["outputDimensionality"] == 8 and r["model"] == "models/gemini-embedding-001"
               for b in bodies for r in b["requests"])
    assert len(bodies[0]["requests"]) == len(CORPUS)
    v = emb.embed(["x"])[0]
    assert math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-9)
    with pytest.raises(EmbedderError, match="Gemini embeddings failed.*API key not valid"):
        GeminiEmbedder("wrong-key", dimension=8).embed(["x"])


# ------------------------------------------------------------------------------------------- writes
def test_reindex_is_idempotent_and_embeds_only_new_text(tmp_path, lexical):
    store = ChunkStore(tmp_path, lexical)
    first = store.replace_company("AAPL", corpus())
    assert (first.embedded, first.reused, first.inserted) == (len(CORPUS), 0, len(CORPUS))
    rows = table_rows(store)
    again = store.replace_company("AAPL", corpus())
    assert (again.embedded, again.reused, again.inserted, again.updated, again.deleted) == (0, len(CORPUS), 0, 0, 0)
    assert table_rows(store) == rows and store.count("AAPL") == len(CORPUS)
    # one changed document: only it is embedded; the old version of it is gone
    changed = corpus()
    changed[2] = mk("AAPL", "doc:ledger", "Quarterly revenue fell on weak services sales.", "news", "2023-05-02")
    third = store.replace_company("AAPL", changed)
    assert (third.embedded, third.reused, third.inserted, third.deleted) == (1, len(CORPUS) - 1, 1, 1)
    assert {r[2] for r in table_rows(store)} == {c.text for c in changed}


def test_replace_is_a_single_commit(tmp_path, lexical):
    import lancedb

    store = ChunkStore(tmp_path, lexical, ann_min_rows=10**9)
    store.replace_company("AAPL", corpus())
    store.build_fts_index()  # no index work inside the next write
    table = lancedb.connect(str(tmp_path)).open_table(store.table_name)
    before = table.version
    old_texts = {r["text"] for r in store.rows("AAPL")}
    new = corpus()[:2] + [mk("AAPL", "doc:new", "A brand new filing about buybacks.")]
    store.replace_company("AAPL", new)
    table.checkout_latest()
    assert table.version == before + 1  # insert, update and delete landed in one version
    table.checkout(before)
    assert {r["text"] for r in table.to_arrow().to_pylist()} == old_texts  # readers of `before` see old rows
    table.checkout_latest()
    assert {r["text"] for r in table.to_arrow().to_pylist()} == {c.text for c in new}


def test_no_cross_company_or_cross_scope_overwrite(tmp_path, lexical):
    store = ChunkStore(tmp_path, lexical)
    # the same evidence ids and texts for two companies must not collide
    store.replace_company("AAPL", corpus("AAPL"))
    store.replace_company("NVDA", corpus("NVDA"))
    assert store.count("AAPL") == store.count("NVDA") == len(CORPUS)
    nvda = table_rows(store, "NVDA")
    store.replace_company("AAPL", corpus("AAPL")[:2])
    assert store.count("AAPL") == 2 and table_rows(store, "NVDA") == nvda
    # framework points (insight scope) and evidence (research scope) replace independently
    points = [mk("AAPL", "swot:strengths:1", "SWOT strength: a loyal installed base.", FRAMEWORK_POINT, None)]
    store.replace_company("AAPL", points, scope="insight")
    assert store.count("AAPL") == 3
    store.replace_company("AAPL", corpus("AAPL"))
    assert store.count("AAPL", kind=FRAMEWORK_POINT) == 1 and store.count("AAPL") == len(CORPUS) + 1
    store.replace_company("AAPL", [], scope="insight")
    assert store.count("AAPL") == len(CORPUS) and table_rows(store, "NVDA") == nvda
    with pytest.raises(ValueError, match="NVDA"):
        store.replace_company("AAPL", corpus("NVDA"))


WRITER = textwrap.dedent("""
    import datetime as dt, os, sys, time
    from consultantos_assets.index.chunking import chunk_id
    from consultantos_assets.index.embedders import LexicalHashEmbedder
    from consultantos_assets.index.store import ChunkStore
    from consultantos_assets.models import Chunk

    uri, ticker, go = sys.argv[1], sys.argv[2], sys.argv[3]
    store = ChunkStore(uri, LexicalHashEmbedder(), ann_min_rows=10**9)
    while not os.path.exists(go):
        time.sleep(0.01)
    for round_ in range(6):
        n = 40 + 10 * round_
        chunks = [Chunk(id=chunk_id(ticker, f"doc:{i}", f"{ticker} round {round_} paragraph {i}"), ticker=ticker,
                        kind="news", source="test", evidence_id=f"doc:{i}", date=dt.date(2024, 1, 1),
                        text=f"{ticker} round {round_} paragraph {i}") for i in range(n)]
        store.replace_company(ticker, chunks)
    print("done", ticker)
""")


def test_two_processes_indexing_at_once_lose_no_rows(tmp_path):
    uri, go = tmp_path / "db", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(uri), t, str(go)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for t in ("AAPL", "NVDA")]
    go.touch()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    store = ChunkStore(uri, LexicalHashEmbedder())
    for t in ("AAPL", "NVDA"):
        texts = {r[2] for r in table_rows(store, t)}
        assert texts == {f"{t} round 5 paragraph {i}" for i in range(90)}
    assert store.count() == 180



LAZY_CLIENT = textwrap.dedent("""
    import sys
    from consultantos_assets.index.embedders import LexicalHashEmbedder
    from consultantos_assets.index.store import ChunkStore
    from consultantos_assets.index.chunking import chunk_id
    from consultantos_assets.models import Chunk

    store = ChunkStore(sys.argv[1], LexicalHashEmbedder())
    text = "Apple designs and sells the iPhone."
    store.replace_company("AAPL", [Chunk(id=chunk_id("AAPL", "doc:a", text), ticker="AAPL", kind="profile",
                                         source="test", evidence_id="doc:a", text=text)])
    hits = store.search("iPhone", ticker="AAPL", k=1, mode="hybrid")
    apis = sorted(m for m in sys.modules if m.startswith("lance_namespace_urllib3_client.api"))
    import lance_namespace_urllib3_client as client
    print(len(hits), hits[0].evidence_id, len(apis), client.TableApi.__name__, client.ApiClient.__name__)
""")


def test_a_local_index_does_not_load_the_rest_namespace_client_which_stays_importable(tmp_path):
    """ChunkStore imports lancedb without the REST client's API classes (a second of start-up) and the
    client's names still resolve on first use."""
    out = subprocess.run([sys.executable, "-c", LAZY_CLIENT, str(tmp_path / "db")], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120, check=True)
    assert out.stdout.split() == ["1", "doc:a", "0", "TableApi", "ApiClient"]

def test_switching_embedders_reembeds_into_its_own_table(tmp_path, lexical, minilm):
    lex_store = ChunkStore(tmp_path, lexical)
    lex_store.replace_company("AAPL", corpus())
    mini_store = ChunkStore(tmp_path, minilm)
    switched = mini_store.replace_company("AAPL", corpus())
    assert switched.embedded == len(CORPUS) and switched.reused == 0
    assert mini_store.table_name != lex_store.table_name == table_name_for(lexical.name)
    for store, emb in ((lex_store, lexical), (mini_store, minilm)):
        rows = store.rows()
        assert {r["embedder"] for r in rows} == {emb.name} and len(rows) == len(CORPUS)
    assert [t for t, _, _ in mini_store.other_tables()] == [lex_store.table_name]
    # switching back reuses the vectors still stored in the lexical table
    assert ChunkStore(tmp_path, lexical).replace_company("AAPL", corpus()).embedded == 0
    # a table is never written or searched with another embedder's vectors
    with pytest.raises(IndexMismatch, match="384-d vectors from lexical"):
        ChunkStore(tmp_path, GeminiEmbedder("k", dimension=8), table=lex_store.table_name).search("x")
    with pytest.raises(IndexMismatch):
        ChunkStore(tmp_path, minilm, table=lex_store.table_name).replace_company("AAPL", corpus())


# ------------------------------------------------------------------------------------------- search
def test_fts_and_hybrid_find_the_expected_document(tmp_path, minilm):
    store = ChunkStore(tmp_path, minilm)
    store.replace_company("AAPL", corpus())
    store.replace_company("NVDA", [mk("NVDA", "doc:gpu", "Data centre GPUs drove record revenue.")])
    fts = store.search("zirconium agreement", k=3, mode="fts")
    assert fts[0].evidence_id == "doc:zeta" and len(fts) == 1  # only rows containing the words match
    assert fts[0].score > 0
    hybrid = store.search("zirconium supplier contract", k=3, mode="hybrid")
    assert hybrid[0].evidence_id == "doc:zeta"
    assert hybrid[0].score == pytest.approx(2 / 61, abs=1e-6)  # first in both lists: 1/(60+1) twice
    semantic = store.search("Which firm builds cell phones?", k=2, mode="hybrid")
    assert semantic[0].evidence_id == "doc:phones"
    with pytest.raises(ValueError, match="mode"):
        store.search("x", mode="sparse")


def test_filters_by_ticker_kind_and_date(tmp_path, lexical):
    store = ChunkStore(tmp_path, lexical)
    store.replace_company("AAPL", corpus("AAPL"))
    store.replace_company("NVDA", corpus("NVDA"))
    for mode in ("vector", "fts", "hybrid"):
        hits = store.search("supply revenue phones", ticker="NVDA", k=10, mode=mode)
        assert hits and {h.ticker for h in hits} == {"NVDA"}
        kinds = store.search("supply revenue phones", k=10, mode=mode, kinds=["filing"])
        assert kinds and {h.kind for h in kinds} == {"filing"}
        dated = store.search("supply revenue phones", ticker="aapl", k=10, mode=mode,
                             date_from="2023-01-01", date_to=dt.date(2023, 12, 31))
        assert [h.evidence_id for h in dated] == ["doc:ledger"]


def test_rrf_fuses_ranks():
    a = [({"id": "x"}, 0.9), ({"id": "y"}, 0.8)]
    b = [({"id": "y"}, 7.0), ({"id": "z"}, 3.0)]
    fused = reciprocal_rank_fusion([a, b])
    assert [r["id"] for r, _ in fused] == ["y", "x", "z"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_approximate_index_built_when_large_and_rebuilt_on_drift(tmp_path, lexical):
    store = ChunkStore(tmp_path, lexical, ann_min_rows=300, drift_ratio=0.2, fts_drift_rows=50)
    small = [mk("AAPL", f"doc:{i}", f"apple filing paragraph {i} about topic {i % 17}") for i in range(200)]
    assert "vector" not in store.replace_company("AAPL", small).indexes
    assert store.index_state()["vector_index"] is None
    big = [mk("NVDA", f"doc:{i}", f"nvidia filing paragraph {i} about topic {i % 13}") for i in range(150)]
    assert store.replace_company("NVDA", big).indexes["vector"] == "built"
    state = store.index_state()
    assert state["vector_index"]["indexed"] == 350 and state["vector_index"]["unindexed"] == 0
    # a small change stays below the drift threshold; the unindexed rows are still searched
    store.replace_company("MSFT", [mk("MSFT", "doc:1", "microsoft cloud azure paragraph")])
    assert store.index_state()["vector_index"]["unindexed"] == 1
    assert store.search("microsoft cloud azure paragraph", k=1, mode="vector")[0].ticker == "MSFT"
    # past the threshold the index is rebuilt over every row
    more = [mk("MSFT", f"doc:{i}", f"microsoft filing paragraph {i} about topic {i % 11}") for i in range(100)]
    assert store.replace_company("MSFT", more).indexes["vector"].startswith("rebuilt")
    assert store.index_state()["vector_index"]["unindexed"] == 0
    exact = [h.id for h in store.search("nvidia filing paragraph 7", k=5, mode="vector", exact=True)]
    approx = [h.id for h in store.search("nvidia filing paragraph 7", k=5, mode="vector")]
    assert exact[0] == approx[0]


# ------------------------------------------------------------------------------------------- retrieval
def test_retrieve_returns_citable_evidence_but_not_framework_points(tmp_path, minilm):
    store = ChunkStore(tmp_path, minilm)
    store.replace_company("AAPL", corpus())
    store.replace_company("NVDA", corpus("NVDA"))
    store.replace_company("AAPL", [mk("AAPL", "swot:threats:1", "SWOT threat: supplier outages in Asia.",
                                      FRAMEWORK_POINT, None)], scope="insight")
    hits = retrieve(store, "How dependent is the company on outside manufacturers?", "AAPL", k=3)
    assert len(hits) == 3 and hits[0].evidence_id == "doc:factory"
    assert all(h.ticker == "AAPL" and h.kind != FRAMEWORK_POINT and h.evidence_id.startswith("doc:") for h in hits)
    assert retrieve(store, "anything", "MSFT") == []
    contexts = retrieve_for_framework(store, "porter_five_forces", "AAPL", k=2)
    assert [c.question for c in contexts] == framework_questions("porter_five_forces")
    assert all(len(c.chunks) == 2 for c in contexts)
    with pytest.raises(ValueError):
        framework_questions("bcg_matrix")
