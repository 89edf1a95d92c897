"""The Gemini analyst through the real google-genai client and instructor, against a fake Gemini server.

The fake (fake_gemini.py) speaks the REST protocol google-genai uses; the client finds it through
GOOGLE_GEMINI_BASE_URL, exactly as a gateway would be found.
"""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing
import time

import dagster as dg
import pytest
from google import genai
from google.genai import types

from consultantos_assets.analysis.analyst import EvidencePack, Frameworks
from consultantos_assets.analysis.evidence import build_evidence
from consultantos_assets.analysis.grounding import check_result, framework_texts
from consultantos_assets.analysis.llm import LLMAnalyst
from consultantos_assets.analysis.llm_errors import LLMConfigError
from consultantos_assets.analysis.llm_settings import LLMSettings
from consultantos_assets.analysis.rules import RuleBasedAnalyst
from consultantos_assets.llm_store import DuckDBLedger, JsonAnswerCache
from consultantos_assets.settings import BUNDLED_SNAPSHOT, Settings
from consultantos_assets.sources.collect import gather

from .fake_gemini import OUTPUT_TOKENS, PROMPT_TOKENS, THOUGHT_TOKENS, FakeGemini, Step

KEY = "test-secret-key-123"
# gemini-3.8-flash on https://ai.google.dev/gemini-api/docs/pricing: $0.75 / $3.75 per million input / output
# (thinking included) tokens through 2026-12-31, $1.50 / $7.50 from 2027-01-01
FLASH_PRICE = (0.75, 3.75) if dt.datetime.now(dt.UTC).date() < dt.date(2027, 1, 1) else (1.50, 7.50)
FLASH_CALL_COST = (PROMPT_TOKENS * FLASH_PRICE[0] + (OUTPUT_TOKENS + THOUGHT_TOKENS) * FLASH_PRICE[1]) / 1e6


@functools.cache
def _sources(ticker: str):
    return gather(Settings(mode="offline", snapshot_dir=BUNDLED_SNAPSHOT), ticker)


def pack_for(ticker: str = "AAPL") -> EvidencePack:
    research, trends, fin = (m.model_copy(deep=True) for m in _sources(ticker))
    return EvidencePack(research=research, trends=trends, financials=fin,
                        evidence=build_evidence(research, trends, fin))


@pytest.fixture
def fake(monkeypatch):
    server = FakeGemini().start()
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", server.url)
    yield server
    server.stop()


class Sleeps:
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def analyst(tmp_path, timeout_s: float = 5.0, sleep=None, **settings) -> LLMAnalyst:
    s = LLMSettings(timeout_s=timeout_s, **settings)
    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(timeout=int(timeout_s * 1000)))
    return LLMAnalyst(client, s, cache=JsonAnswerCache(tmp_path / "llm" / "cache"),
                      ledger=DuckDBLedger(tmp_path / "llm" / "ledger.duckdb"), run_id="run-1",
                      secrets=(KEY,), sleep=sleep or Sleeps(), fallback=RuleBasedAnalyst())


def run_all(a: LLMAnalyst, pack: EvidencePack):
    fw = Frameworks(porter=a.porter(pack), swot=a.swot(pack), pestel=a.pestel(pack), blue_ocean=a.blue_ocean(pack))
    return fw, a.synthesis(pack, fw)


# ------------------------------------------------------------------------------------------ well-behaved
def test_valid_answers_are_grounded_cited_costed_and_cached(fake, tmp_path):
    pack = pack_for()
    a = analyst(tmp_path, models={"swot": "gemini-2.5-pro"})
    fw, syn = run_all(a, pack)
    assert fake.count() == 5
    # the real client reached the fake through GOOGLE_GEMINI_BASE_URL with the key in a header only
    assert all(r.headers.get("x-goog-api-key") == KEY and KEY not in r.path for r in fake.requests)
    assert [r.answer_title for r in fake.requests] == ["PorterAnswer", "SWOTAnswer", "PESTELAnswer",
                                                        "BlueOceanAnswer", "SynthesisAnswer"]
    assert [r.model for r in fake.requests] == ["gemini-3.8-flash", "gemini-2.5-pro", "gemini-3.8-flash",
                                                "gemini-3.8-flash", "gemini-3.8-flash"]
    # per family: Gemini 3 gets a thinking level and no temperature, Gemini 2.5 a thinking budget and the
    # temperature; safety settings are left to the API (no category turned OFF)
    configs = [r.generation_config for r in fake.requests]
    assert configs[0]["thinkingConfig"] == {"thinking_level": "LOW"} and "temperature" not in configs[0]
    assert configs[1]["thinkingConfig"] == {"thinking_budget": 1024} and configs[1]["temperature"] == 0.2
    assert all(not r.body.get("safetySettings") for r in fake.requests)
    assert all(c["maxOutputTokens"] >= 2500 + 1024 for c in configs)
    # prompts carry evidence with ids; synthesis also carries the framework conclusions
    prompt = fake.requests[0].text
    assert "[fin:revenue:FY" in prompt and "[doc:AAPL:profile]" in prompt
    assert "FRAMEWORK CONCLUSIONS" in fake.requests[-1].text

    ids = {e.id for e in pack.evidence}
    for result in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean, syn):
        assert result.analyst.startswith(("llm gemini-3.8-flash", "llm gemini-2.5-pro")), result.analyst
        assert check_result(result, pack.evidence) == []
        for p in framework_texts(result)[:-1] if result in (fw.porter, syn) else framework_texts(result):
            assert p.evidence and set(p.evidence) <= ids
    # confidence is computed by code from coverage, never taken from the model
    assert syn.confidence == RuleBasedAnalyst().synthesis(pack, fw).confidence
    assert fw.porter.overall_intensity == 3.0
    assert fw.blue_ocean.canvas, "the canvas is computed, not asked for"

    rows = a.ledger.query("SELECT * FROM llm_calls ORDER BY recorded_at, asset")
    assert len(rows) == 5 and {r["outcome"] for r in rows} == {"model"}
    by_asset = {r["asset"]: r for r in rows}
    assert by_asset["porter_five_forces"]["input_tokens"] == PROMPT_TOKENS
    assert by_asset["porter_five_forces"]["output_tokens"] == OUTPUT_TOKENS
    assert by_asset["porter_five_forces"]["thinking_tokens"] == THOUGHT_TOKENS
    assert by_asset["porter_five_forces"]["model_version"] == "gemini-3.8-flash"
    assert by_asset["porter_five_forces"]["finish_reason"] == "STOP"
    assert by_asset["porter_five_forces"]["cost_usd"] == pytest.approx(FLASH_CALL_COST)
    # gemini-2.5-pro: $1.25 / $10.00; asked for a 1,024-token thinking budget, the stand-in spends it
    pro_cost = (PROMPT_TOKENS * 1.25 + (OUTPUT_TOKENS + 1024) * 10.0) / 1e6
    assert by_asset["swot"]["cost_usd"] == pytest.approx(pro_cost)
    assert a.ledger.spent("AAPL", "run", "run-1") == pytest.approx(4 * FLASH_CALL_COST + pro_cost)

    # identical inputs: zero model calls, identical results
    again = analyst(tmp_path, models={"swot": "gemini-2.5-pro"})
    started = time.monotonic()
    fw2, syn2 = run_all(again, pack)
    assert fake.count() == 5
    assert time.monotonic() - started < 2
    assert [r.outcome for r in again.records] == ["cache"] * 5
    assert (fw2.porter, fw2.swot, fw2.pestel, fw2.blue_ocean, syn2) == (fw.porter, fw.swot, fw.pestel,
                                                                          fw.blue_ocean, syn)
    # a changed input is a different key: one new call
    pack.evidence = [e for e in pack.evidence if e.id != "px:volatility"]
    again.porter(pack)
    assert fake.count() == 6


# ------------------------------------------------------------------------------------------ invalid output
def test_malformed_json_is_reasked(fake, tmp_path):
    fake.push("malformed", "valid")
    a = analyst(tmp_path)
    result = a.porter(pack_for())
    assert fake.count() == 2 and a.records[0].invalid_answers == 1
    # the re-ask ends with a user turn: the rejected answer as the model turn, the complaint after it
    assert fake.requests[1].roles == ["user", "model", "user"]
    assert "rejected by the validator" in fake.requests[1].text and "json_invalid" in fake.requests[1].text
    assert result.analyst.startswith("llm ")


def test_unknown_ids_are_reasked_then_fall_back(fake, tmp_path):
    fake.push("unknown_id", "valid")
    a = analyst(tmp_path)
    pack = pack_for()
    ok = a.swot(pack)
    assert ok.analyst.startswith("llm ") and fake.count() == 2
    assert "fin:made_up:FY1999" in fake.requests[1].text and "unknown evidence id" in fake.requests[1].text

    fake.push("unknown_id", "unknown_id", "unknown_id")
    b = analyst(tmp_path / "b", validation_retries=2)
    rules = RuleBasedAnalyst().pestel(pack)
    fell = b.pestel(pack)
    assert fake.count() == 5  # the first call and two re-asks
    assert b.records[0].outcome == "fallback" and b.records[0].invalid_answers == 3
    assert fell.analyst == "rule-based v2 (fallback from gemini-3.8-flash)"
    assert [len(r.roles) for r in fake.requests[2:]] == [1, 3, 5]  # each re-ask adds (model, user)
    assert fell.confidence == round(rules.confidence * 0.8, 2) < rules.confidence
    assert any("LLM analyst unavailable for the PESTEL analysis" in g and "failed validation" in g
               for g in fell.data_gaps)
    assert check_result(fell, pack.evidence) == []


def test_invented_figures_are_reasked_then_fall_back(fake, tmp_path):
    pack = pack_for()
    fake.push("invented", "valid")
    a = analyst(tmp_path)
    ok = a.blue_ocean(pack)
    assert fake.count() == 2 and ok.analyst.startswith("llm ")
    assert "$999.9B" in fake.requests[1].text and "does not appear in the EVIDENCE list" in fake.requests[1].text
    assert "$999.9B" not in " ".join(p.text for p in framework_texts(ok))

    fake.push(*["invented"] * 3)
    b = analyst(tmp_path / "b")
    fell = b.porter(pack)
    assert fake.count() == 5 and b.records[0].outcome == "fallback"
    assert fell.analyst.startswith("rule-based v2 (fallback")
    assert check_result(fell, pack.evidence) == []


# ------------------------------------------------------------------------------------------ HTTP failures
def test_429_honours_retry_after(fake, tmp_path):
    fake.push(Step("status", 429, {"Retry-After": "2"}), "valid")
    sleeps = Sleeps()
    a = analyst(tmp_path, sleep=sleeps)
    result = a.porter(pack_for())
    assert result.analyst.startswith("llm ") and fake.count() == 2
    assert sleeps.calls == [2.0]
    assert a.records[0].http_retries == 1 and a.records[0].calls == 2

    # Google's RetryInfo in the error body counts too; a wait longer than allowed gives up at once
    fake.push(Step("status", 429, body={"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota",
                                                   "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                                                "retryDelay": "3s"}]}}), "valid")
    b = analyst(tmp_path / "b", sleep=(s2 := Sleeps()))
    b.swot(pack_for())
    assert s2.calls == [3.0]
    fake.push(Step("status", 429, {"Retry-After": "3600"}))
    c = analyst(tmp_path / "c", sleep=(s3 := Sleeps()))
    fell = c.swot(pack_for())
    assert s3.calls == [] and c.records[0].outcome == "fallback" and "rate_limited" in c.records[0].detail
    assert any("rate-limiting" in g for g in fell.data_gaps)


def test_500_is_retried_with_bounded_backoff_then_falls_back(fake, tmp_path):
    fake.push(Step("status", 500), Step("status", 503), "valid")
    sleeps = Sleeps()
    a = analyst(tmp_path, sleep=sleeps, backoff_base_s=1.0, backoff_max_s=4.0)
    assert a.pestel(pack_for()).analyst.startswith("llm ")
    assert fake.count() == 3 and len(sleeps.calls) == 2

    fake.push(*[Step("status", 500)] * 4)
    sleeps = Sleeps()
    b = analyst(tmp_path / "b", sleep=sleeps, http_attempts=4, backoff_base_s=1.0, backoff_max_s=4.0)
    fell = b.pestel(pack_for())
    assert fake.count() == 7 and b.records[0].calls == 4 and b.records[0].outcome == "fallback"
    assert len(sleeps.calls) == 3 and all(0.5 <= s <= 4.0 for s in sleeps.calls)
    assert sleeps.calls[2] > sleeps.calls[0]  # exponential
    assert any("server errors" in g for g in fell.data_gaps)


def test_a_hang_past_the_timeout_is_retried(fake, tmp_path):
    fake.push(Step("hang", seconds=3.0), "valid")
    a = analyst(tmp_path, timeout_s=0.5)
    started = time.monotonic()
    result = a.swot(pack_for())
    assert time.monotonic() - started < 2.5
    assert result.analyst.startswith("llm ") and fake.count() == 2
    assert a.records[0].http_retries == 1

    fake.push(Step("hang", seconds=1.5), Step("hang", seconds=1.5))
    b = analyst(tmp_path / "b", timeout_s=0.3, http_attempts=2)
    fell = b.swot(pack_for())
    assert b.records[0].outcome == "fallback" and "timeout" in b.records[0].detail
    assert any("timing out" in g for g in fell.data_gaps)


def test_a_refused_key_fails_naming_the_setting_and_never_carries_the_key(fake, tmp_path):
    fake.push(Step("status", 403, body={"error": {"code": 403, "status": "PERMISSION_DENIED",
                                                   "message": f"API key {KEY} not valid"}}))
    a = analyst(tmp_path)
    with pytest.raises(LLMConfigError, match="GEMINI_API_KEY") as err:
        a.porter(pack_for())
    assert KEY not in str(err.value) and "***" in str(err.value)
    rec = a.records[0]
    assert rec.outcome == "error" and rec.reason == "key_refused" and fake.count() == 1
    assert KEY not in rec.detail
    assert all(KEY not in str(v) for r in a.ledger.query("SELECT * FROM llm_calls") for v in r.values())


# ------------------------------------------------------------------------------------------ budget, ledger
def test_budget_falls_back_and_says_so(fake, tmp_path):
    a = analyst(tmp_path, budget_usd=0.0001)
    fell = a.swot(pack_for())
    assert fake.count() == 0
    assert a.records[0].outcome == "budget" and "budget" in a.records[0].detail
    assert any("budget would have been exceeded" in g for g in fell.data_gaps)

    # spend already booked to the company in this run counts against it
    b = analyst(tmp_path / "b", budget_usd=0.05)
    b.porter(pack_for())
    assert fake.count() == 1
    b.ledger.record(type(b.records[0])(run_id="run-1", asset="x", ticker="AAPL", framework="x", model="m",
                                       prompt_version="p", cache_key="k", outcome="model", cost_usd=0.049))
    assert b.swot(pack_for()).analyst.startswith("rule-based") and fake.count() == 1


def _write_rows(path: str, n: int, worker: int) -> None:
    from consultantos_assets.analysis.llm_records import CallRecord

    ledger = DuckDBLedger(path)
    for i in range(n):
        ledger.record(CallRecord(run_id=f"r{worker}", asset="swot", ticker="AAPL", framework="swot", model="m",
                                 prompt_version="p", cache_key=f"{worker}-{i}", outcome="model", calls=1,
                                 cost_usd=0.001))
        ledger.spent("AAPL", "total", "")


def test_concurrent_ledger_writers_do_not_fail(tmp_path):
    path = str(tmp_path / "ledger.duckdb")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_rows, args=(path, 10, w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    ledger = DuckDBLedger(path)
    assert ledger.query("SELECT COUNT(*) AS n FROM llm_calls")[0]["n"] == 40
    assert ledger.spent("AAPL", "total", "") == pytest.approx(0.04)
    assert ledger.totals("AAPL")[0]["calls"] == 40


def test_settings_from_environment():
    assert LLMSettings.from_env({}).default_model == "gemini-3.8-flash"
    s = LLMSettings.from_env({"CONSULTANTOS_GEMINI_MODEL": "gemini-2.5-flash-lite",
                              "CONSULTANTOS_GEMINI_MODEL_SYNTHESIS": "gemini-2.5-pro",
                              "CONSULTANTOS_LLM_BUDGET_USD": "1.5",
                              "CONSULTANTOS_LLM_PRICES": '{"my-model": [1, 2]}'})
    assert s.model_for("porter") == "gemini-2.5-flash-lite" and s.model_for("synthesis") == "gemini-2.5-pro"
    assert s.budget_usd == 1.5 and s.cost("my-model", 1_000_000, 1_000_000) == 3.0
    assert s.price("gemini-2.5-flash-001") == (0.30, 2.50)
    with pytest.raises(ValueError, match="CONSULTANTOS_LLM_PRICES"):
        LLMSettings.from_env({"CONSULTANTOS_LLM_PRICES": "cheap"})


# ------------------------------------------------------------------------------------------ Dagster
def test_resource_selects_the_analyst():
    from consultantos_assets.defs.resources import AnalystResource

    assert not AnalystResource(kind="auto").use_llm()
    assert AnalystResource(kind="auto", gemini_api_key="k").use_llm()
    assert not AnalystResource(kind="rules", gemini_api_key="k").use_llm()
    assert isinstance(AnalystResource(kind="llm", gemini_api_key="k").get(), LLMAnalyst)
    with pytest.raises(ValueError, match="needs GEMINI_API_KEY"):
        AnalystResource(kind="llm").use_llm()


@pytest.fixture
def dagster_env(tmp_path, monkeypatch):
    home = tmp_path / "home"
    for k, v in {"CONSULTANTOS_HOME": str(home), "CONSULTANTOS_MODE": "offline",
                 "CONSULTANTOS_EMBEDDER": "lexical", "DAGSTER_HOME": str(home / "dagster")}.items():
        monkeypatch.setenv(k, v)
    for k in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "TAVILY_API_KEY", "CONSULTANTOS_ANALYST"):
        monkeypatch.delenv(k, raising=False)
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("companies", ["AAPL"])
    return home, instance


def _materialize(instance, resources, *names):
    """The sources, peers, evidence and index, and the named assets after them (found in whichever
    defs module defines them)."""
    from consultantos_assets.defs import (
        evidence_assets,
        framework_assets,
        index_assets,
        report_assets,
        source_assets,
    )

    def named(name: str):
        return next(getattr(m, name) for m in (framework_assets, report_assets, index_assets) if hasattr(m, name))

    selected = [source_assets.company_profile, source_assets.company_research, source_assets.market_trends,
                source_assets.financials, evidence_assets.peers, evidence_assets.peer_figures,
                evidence_assets.evidence, index_assets.research_index, *[named(n) for n in names]]
    return dg.materialize(selected, partition_key="AAPL", instance=instance, resources=resources,
                          raise_on_error=False)


def _checks(result) -> dict[str, list]:
    out: dict[str, list] = {}
    for e in result.get_asset_check_evaluations():
        out.setdefault(e.asset_key.to_user_string(), []).append(e)
    return out


def test_llm_path_through_dagster_caches_and_records(fake, dagster_env, monkeypatch):
    from consultantos_assets.defs.resources import build_resources

    home, instance = dagster_env
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    resources = build_resources(home)
    names = ("porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis")
    first = _materialize(instance, resources, *names)
    assert first.success
    assert fake.count() == 5
    meta = {n: first.asset_materializations_for_node(n)[0].metadata for n in names}
    assert all(m["llm_calls"].value == 1 and m["llm_outcome"].value == "model" for m in meta.values())
    assert all(m["llm_model_answered"].value == "gemini-3.8-flash" and m["llm_finish_reason"].value == "STOP"
               and m["llm_thinking_tokens"].value == THOUGHT_TOKENS for m in meta.values())
    assert meta["swot"]["llm_input_tokens"].value == PROMPT_TOKENS
    assert meta["synthesis"]["llm_company_spend_usd"].value == pytest.approx(5 * FLASH_CALL_COST)
    assert meta["porter_five_forces"]["retrieved_chunks"].value > 0
    assert all(KEY not in str(v.value) for m in meta.values() for v in m.values())
    checks = _checks(first)
    assert all(checks[n][0].passed for n in names)

    second = _materialize(instance, resources, *names)
    assert second.success and fake.count() == 5
    assert all(second.asset_materializations_for_node(n)[0].metadata["llm_outcome"].value == "cache"
               for n in names)
    ledger = DuckDBLedger(home / "llm" / "ledger.duckdb")
    totals = {r["asset"]: r for r in ledger.totals("AAPL")}
    assert totals["swot"]["answers"] == 2 and totals["swot"]["calls"] == 1 and totals["swot"]["cache_hits"] == 1


def test_grounding_check_blocks_an_invented_figure(dagster_env):
    from consultantos_assets.defs.resources import AnalystResource, build_resources
    from consultantos_assets.models import FrameworkPoint

    class Inventing(RuleBasedAnalyst):
        def porter(self, pack):
            result = super().porter(pack)
            result.forces[0].points.append(FrameworkPoint(text="Revenue reached $999.9B last year.",
                                                          evidence=["doc:AAPL:profile"], confidence=0.5))
            return result

    class InventingResource(AnalystResource):
        def get(self, run_id: str = ""):
            return Inventing()

    home, instance = dagster_env
    resources = {**build_resources(home), "analyst": InventingResource()}
    result = _materialize(instance, resources, "porter_five_forces", "swot")
    assert not result.success
    check = _checks(result)["porter_five_forces"][0]
    assert not check.passed
    assert "$999.9B" in check.description and "$999.9B" in check.metadata["ungrounded_figures"].value
    assert _checks(result)["swot"][0].passed


def test_retrieved_passages_reach_the_prompt_and_a_cached_answer_needs_no_retrieval(fake, tmp_path):
    from consultantos_assets.models import Chunk

    calls = []

    def retriever():
        calls.append(1)
        return {"Who are the main competitors?": [Chunk(
            id="c1", ticker="AAPL", kind="profile", source="SEC EDGAR", evidence_id="doc:AAPL:profile",
            text="Apple Inc. (AAPL): company profile. Apple competes in smartphones and personal computers.")]}

    def lazy_pack():
        pack = pack_for()
        pack.retriever, pack.retrieval_key = retriever, "research_index:AAPL:v1:porter_five_forces"
        return pack

    analyst(tmp_path).porter(lazy_pack())
    assert calls == [1] and fake.count() == 1
    prompt = fake.requests[0].text
    assert "Question: Who are the main competitors?" in prompt and "Apple competes in smartphones" in prompt
    again = analyst(tmp_path)
    again.porter(lazy_pack())
    assert calls == [1] and fake.count() == 1 and again.records[0].outcome == "cache"
