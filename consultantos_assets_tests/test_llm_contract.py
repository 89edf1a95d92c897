"""The Gemini analyst against the stand-in that keeps the real service's contract.

First what the stand-in refuses (the rules the real API enforces, each cited in fake_gemini.py), proven
with the real google-genai client and plain HTTP; then how the analyst behaves on each answer the real
service can give: re-asks that end with a user turn, MAX_TOKENS, SAFETY/RECITATION/blocked/empty answers,
unknown models and refused keys, unknown prices, thinking in the budget; and the embedder degrading.
"""

from __future__ import annotations

import httpx
import pytest
from google import genai
from google.genai import errors, types

from consultantos_assets.analysis.analyst import Frameworks
from consultantos_assets.analysis.llm_errors import LLMConfigError
from consultantos_assets.analysis.llm_fallbacks import fallback_line, fallbacks
from consultantos_assets.analysis.llm_settings import LLMSettings
from consultantos_assets.analysis.rules import RuleBasedAnalyst

from . import test_llm
from .fake_gemini import MAX_ITEMS_SUM, OUTPUT_TOKENS, PROMPT_TOKENS, THOUGHT_TOKENS, THOUGHTS_AT, Step
from .test_llm import KEY, analyst, pack_for, run_all

fake = test_llm.fake  # the stand-in fixture, shared


_CLIENTS: list[genai.Client] = []


def _client() -> genai.Client:
    """A real client on the stand-in (kept referenced: a collected client closes its connection pool)."""
    _CLIENTS.append(genai.Client(api_key=KEY, http_options=types.HttpOptions(timeout=5000)))
    return _CLIENTS[-1]


def _post(fake, model: str, body: dict) -> httpx.Response:
    return httpx.post(f"{fake.url}/v1beta/models/{model}:generateContent", json=body,
                      headers={"x-goog-api-key": KEY}, timeout=5)


USER = {"role": "user", "parts": [{"text": "Return a JSON object."}]}


# ------------------------------------------------------------------------------------------ the stand-in
def test_the_stand_in_refuses_a_request_ending_with_a_model_turn(fake):
    with pytest.raises(errors.ClientError) as err:
        _client().models.generate_content(
            model="gemini-3.8-flash",
            contents=[types.UserContent(parts=[types.Part.from_text(text="hi")]),
                      types.ModelContent(parts=[types.Part.from_text(text="Validation Error found")])])
    assert err.value.code == 400 and err.value.status == "INVALID_ARGUMENT"
    assert "Requests ending with a model turn are not supported." in str(err.value)


def test_instructors_own_genai_reask_is_refused(fake, tmp_path):
    """Why the analyst builds its re-asks itself: instructor 1.17 appends the complaint as a model turn."""
    import instructor

    from consultantos_assets.analysis.llm_answers import Grounding, SWOTAnswer

    pack = pack_for()
    fake.push("invented", "valid")
    client = instructor.from_genai(_client(), mode=instructor.Mode.JSON)
    with pytest.raises(Exception) as err:
        client.create(model="gemini-3.8-flash", response_model=SWOTAnswer, max_retries=1,
                      messages=[{"role": "user", "content": "EVIDENCE:\n" + "\n".join(
                          f"[{e.id}] ({e.kind}) {e.text}" for e in pack.evidence)}],
                      context=Grounding.of(pack.evidence).context())
    assert "Requests ending with a model turn are not supported" in str(err.value)
    assert fake.requests[1].roles == ["user", "model"]


@pytest.mark.parametrize("model", ["gemini-2.0-flash", "gemini-1.5-pro", "gemini-3.8-flahs"])
def test_the_stand_in_answers_404_for_unknown_or_retired_models(fake, model):
    with pytest.raises(errors.ClientError) as err:
        _client().models.generate_content(model=model, contents="hi")
    assert err.value.code == 404 and err.value.status == "NOT_FOUND"
    assert f"models/{model} is not found" in str(err.value)


def test_the_stand_in_reports_the_model_that_answered_and_thinking_tokens(fake):
    resp = _client().models.generate_content(
        model="gemini-flash-latest", contents="hi",
        config=types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_level="MEDIUM")))
    assert resp.model_version == "gemini-3.8-flash"
    assert resp.usage_metadata.thoughts_token_count == THOUGHTS_AT["MEDIUM"] == 400
    assert resp.candidates[0].finish_reason == types.FinishReason.STOP


def test_the_stand_in_checks_schemas_and_thinking_like_the_api(fake):
    ok = {"type": "OBJECT", "properties": {"a": {"type": "ARRAY", "items": {"type": "STRING"}, "min_items": 1}}}
    assert _post(fake, "gemini-3.8-flash", {"contents": [USER], "generationConfig": {
        "responseMimeType": "application/json", "responseSchema": ok}}).status_code == 200
    # a JSON-Schema keyword the SDK's Schema type does not declare
    bad = {**ok, "$schema": "http://json-schema.org/draft-07/schema#"}
    r = _post(fake, "gemini-3.8-flash", {"contents": [USER], "generationConfig": {"responseSchema": bad}})
    assert r.status_code == 400 and 'Unknown name "$schema"' in r.json()["error"]["message"]
    # maxItems adding up past the serving limit, in either spelling
    many = {"type": "OBJECT", "properties": {
        "a": {"type": "ARRAY", "items": {"type": "STRING"}, "maxItems": MAX_ITEMS_SUM // 2 + 1},
        "b": {"type": "ARRAY", "items": {"type": "STRING"}, "max_items": MAX_ITEMS_SUM // 2 + 1}}}
    r = _post(fake, "gemini-3.8-flash", {"contents": [USER], "generationConfig": {"responseSchema": many}})
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    many["properties"]["b"]["max_items"] = 10
    assert _post(fake, "gemini-3.8-flash", {"contents": [USER], "generationConfig": {
        "responseSchema": many}}).status_code == 200
    # thinking: level and budget together, or a level on Gemini 2.5
    both = {"thinkingConfig": {"thinkingLevel": "LOW", "thinking_budget": 128}}
    assert _post(fake, "gemini-3.8-flash", {"contents": [USER], "generationConfig": both}).status_code == 400
    level = {"thinkingConfig": {"thinking_level": "LOW"}}
    assert _post(fake, "gemini-2.5-flash", {"contents": [USER], "generationConfig": level}).status_code == 400
    # thinking counts against maxOutputTokens: too small a limit gives MAX_TOKENS and no text
    r = _post(fake, "gemini-3.8-flash", {"contents": [USER], "generationConfig": {"maxOutputTokens": 1000}})
    cand = r.json()["candidates"][0]
    assert cand["finishReason"] == "MAX_TOKENS" and "parts" not in cand["content"]


# ------------------------------------------------------------------------------------------ re-asks
def test_an_invented_figure_then_a_clean_answer_is_a_model_framework_in_two_calls(fake, tmp_path):
    fake.push("invented", "valid")
    a = analyst(tmp_path)
    pack = pack_for()
    result = a.swot(pack)
    assert fake.count() == 2
    assert result.analyst == "llm gemini-3.8-flash (llm-v2)"
    reask = fake.requests[1].body["contents"]
    assert [c["role"] for c in reask] == ["user", "model", "user"]
    assert "$999.9B" in reask[1]["parts"][0]["text"]  # the rejected answer, as the model wrote it
    assert "$999.9B" in reask[2]["parts"][0]["text"] and "does not appear in the EVIDENCE list" in \
        reask[2]["parts"][0]["text"]
    rec = a.records[0]
    assert (rec.outcome, rec.calls, rec.invalid_answers) == ("model", 2, 1)
    assert rec.input_tokens == 2 * PROMPT_TOKENS and rec.thinking_tokens == 2 * THOUGHT_TOKENS


def test_a_report_takes_five_calls_when_valid_and_ten_with_one_reask_each(fake, tmp_path):
    pack = pack_for()
    run_all(analyst(tmp_path / "a"), pack)
    assert fake.count() == 5
    for _ in range(5):
        fake.push("unknown_id", "valid")
    b = analyst(tmp_path / "b")
    fw, syn = run_all(b, pack)
    assert fake.count() == 15
    assert all(r.analyst.startswith("llm ") for r in (fw.porter, fw.swot, fw.pestel, fw.blue_ocean, syn))
    assert [r.calls for r in b.records] == [2] * 5


# ------------------------------------------------------------------------------------------ finish reasons
def test_max_tokens_is_asked_once_more_with_more_room_and_less_thinking(fake, tmp_path):
    fake.push("max_tokens", "valid")
    a = analyst(tmp_path, thinking="medium")
    result = a.pestel(pack_for())
    assert result.analyst.startswith("llm ") and fake.count() == 2
    first, second = (r.generation_config for r in fake.requests)
    assert first["thinkingConfig"] == {"thinking_level": "MEDIUM"}
    assert second["thinkingConfig"] == {"thinking_level": "LOW"}
    assert second["maxOutputTokens"] == 2 * first["maxOutputTokens"]
    rec = a.records[0]
    assert rec.finish_reason == "STOP" and "MAX_TOKENS" in rec.detail
    # the thinking tokens of the truncated answer are billed too (the stand-in spent the whole limit)
    assert rec.thinking_tokens == first["maxOutputTokens"] + THOUGHT_TOKENS

    fake.push("max_tokens", "max_tokens")
    b = analyst(tmp_path / "b")
    fell = b.pestel(pack_for())
    assert fake.count() == 4 and b.records[0].outcome == "fallback" and b.records[0].reason == "max_tokens"
    assert b.records[0].finish_reason == "MAX_TOKENS"
    assert any("ran out of output tokens" in g for g in fell.data_gaps)


@pytest.mark.parametrize("kind,finish,reason,gap", [
    ("safety", "SAFETY", "safety", "safety filter"),
    ("recitation", "RECITATION", "recitation", "recitation"),
    ("blocked", "BLOCKED:SAFETY", "blocked", "blocked the prompt"),
    ("empty", "NO_CANDIDATES", "empty", "returned no answer"),
])
def test_stopped_or_blocked_answers_fall_back_at_once_with_the_reason(fake, tmp_path, kind, finish, reason, gap):
    fake.push(kind)
    a = analyst(tmp_path)
    pack = pack_for()
    fell = a.porter(pack)
    assert fake.count() == 1, "a re-ask cannot fix a stop the service chose"
    rec = a.records[0]
    assert (rec.outcome, rec.reason, rec.finish_reason) == ("fallback", reason, finish)
    assert fell.analyst == "rule-based v2 (fallback from gemini-3.8-flash)"
    assert any(gap in g for g in fell.data_gaps)
    rules = RuleBasedAnalyst()
    fw = Frameworks(porter=fell, swot=rules.swot(pack), pestel=rules.pestel(pack), blue_ocean=rules.blue_ocean(pack))
    notes = fallbacks([fell, fw.swot, fw.pestel, fw.blue_ocean, rules.synthesis(pack, fw)])
    assert len(notes) == 1 and notes[0][0] == "Porter's five forces" and gap in notes[0][1]


def test_the_fallback_line_counts_and_says_why(fake, tmp_path):
    fake.push(Step("status", 503), Step("status", 503), "safety")
    a = analyst(tmp_path, http_attempts=2)
    fw, syn = run_all(a, pack_for())
    line = fallback_line([fw.porter, fw.swot, fw.pestel, fw.blue_ocean, syn])
    assert line.startswith("2 of 5 analyses came from the rule-based analyst")
    assert "Porter's five forces (the model service kept failing with server errors)" in line
    assert "SWOT analysis (the model stopped its answer on a safety filter)" in line


# ------------------------------------------------------------------------------------------ configuration
def test_an_unknown_model_fails_naming_the_setting(fake, tmp_path):
    a = analyst(tmp_path, models={"swot": "gemini-2.0-flash"})
    with pytest.raises(LLMConfigError, match="CONSULTANTOS_GEMINI_MODEL_SWOT") as err:
        a.swot(pack_for())
    assert "gemini-2.0-flash" in str(err.value) and fake.count() == 1
    assert a.records[0].outcome == "error" and a.records[0].reason == "model_not_found"
    b = analyst(tmp_path / "b", default_model="gemini-9-nonexistent")
    with pytest.raises(LLMConfigError, match=r"set CONSULTANTOS_GEMINI_MODEL to"):
        b.porter(pack_for())


def test_an_invalid_key_answered_with_400_fails_naming_the_key_variable(fake, tmp_path):
    # Google answers a malformed key with 400 INVALID_ARGUMENT and ErrorInfo reason API_KEY_INVALID
    fake.push(Step("status", 400, body={"error": {
        "code": 400, "status": "INVALID_ARGUMENT", "message": "API key not valid. Please pass a valid API key.",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                     "domain": "googleapis.com"}]}}))
    with pytest.raises(LLMConfigError, match="GEMINI_API_KEY"):
        analyst(tmp_path).porter(pack_for())
    assert fake.count() == 1


def test_an_unpriced_model_is_costed_at_the_dearest_row_with_a_warning(fake, tmp_path, caplog):
    a = analyst(tmp_path, default_model="gemini-3.1-flash-lite")
    a.porter(pack_for())
    rec = a.records[0]
    # the dearest rows of the table: gemini-3.1-pro-preview, $2.00 input / $12.00 output per million tokens
    assert rec.cost_usd == pytest.approx((PROMPT_TOKENS * 2.00 + (OUTPUT_TOKENS + THOUGHT_TOKENS) * 12.00) / 1e6)
    assert "no price row for gemini-3.1-flash-lite" in rec.detail and "CONSULTANTOS_LLM_PRICES" in rec.detail
    assert any("no price row" in m for m in caplog.messages)


def test_the_budget_estimate_counts_thinking(fake, tmp_path):
    pack = pack_for()
    low, high = analyst(tmp_path / "low", budget_usd=0.03), analyst(tmp_path / "high", budget_usd=0.03, thinking="high")
    low.swot(pack)
    high.swot(pack)
    assert [r.outcome for r in low.records + high.records] == ["model", "budget"] and fake.count() == 1
    # gemini-3.8-flash output price x the 8,192 thinking tokens expected at "high" alone is over 0.03 USD
    assert 8192 * 3.75 / 1e6 > 0.03 > 2500 * 3.75 / 1e6 + 1024 * 3.75 / 1e6


def test_thinking_and_sampling_settings_from_the_environment():
    s = LLMSettings.from_env({"CONSULTANTOS_LLM_THINKING": "medium", "CONSULTANTOS_LLM_THINKING_SYNTHESIS": "4096",
                              "CONSULTANTOS_LLM_TEMPERATURE": "", "CONSULTANTOS_LLM_SAFETY":
                              '{"harm_category_harassment": "block_only_high"}'})
    assert s.thinking_for("porter") == "medium" and s.thinking_for("synthesis") == "4096"
    assert s.temperature is None and not s.samples("gemini-2.5-flash")
    assert s.safety == (("HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"),)
    assert s.output_limit("4096") >= 2500 + 4096
    assert LLMSettings.from_env({}).samples("gemini-2.5-pro") and not LLMSettings.from_env({}).samples("gemini-3.8-flash")
    with pytest.raises(ValueError, match="CONSULTANTOS_LLM_THINKING_PORTER"):
        LLMSettings.from_env({"CONSULTANTOS_LLM_THINKING_PORTER": "lots"})


def test_configured_safety_settings_are_sent(fake, tmp_path):
    a = analyst(tmp_path, safety=(("HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"),))
    a.porter(pack_for())
    assert fake.requests[0].body["safetySettings"] == [{"category": "HARM_CATEGORY_HARASSMENT",
                                                        "threshold": "BLOCK_ONLY_HIGH"}]


# ------------------------------------------------------------------------------------------ embeddings
@pytest.mark.parametrize("kind,message", [("embed_short", "embeddings for"), ("embed_malformed", "-d vector")])
def test_a_short_or_malformed_embedding_batch_is_an_embedder_error(fake, kind, message):
    from consultantos_assets.index.embedders import EmbedderError, GeminiEmbedder

    e = GeminiEmbedder(KEY)
    assert len(e.embed(["one", "two"])) == 2
    fake.push(kind)
    with pytest.raises(EmbedderError, match=message):
        e.embed(["one", "two", "three"])


# ------------------------------------------------------------------------------------------ through Dagster
dagster_env = test_llm.dagster_env  # the offline instance fixture, shared


def test_through_dagster_embeddings_degrade_fallbacks_are_reported_and_config_errors_fail(
        fake, dagster_env, monkeypatch):
    """One graph run: Gemini embeddings answer short, so research_index indexes locally and says why; the
    PESTEL answer is stopped on a safety filter, so report_pdf counts one fallback and names it. Then an
    unknown model fails the framework step with a message naming the setting."""
    from consultantos_assets.defs.resources import build_resources

    home, instance = dagster_env
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "gemini")
    fake.push("embed_short")
    fake.push_for("PESTELAnswer", "safety")
    names = ("porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis", "report_pdf")
    result = test_llm._materialize(instance, build_resources(home), *names)
    assert result.success
    index = result.asset_materializations_for_node("research_index")[0].metadata
    assert "Gemini embeddings failed" in index["embedder_gap"].value
    assert not index["embedder"].value.startswith("gemini") and index["rows"].value > 0
    pestel = result.asset_materializations_for_node("pestel")[0].metadata
    assert (pestel["llm_outcome"].value, pestel["llm_reason"].value) == ("fallback", "safety")
    assert pestel["llm_finish_reason"].value == "SAFETY" and pestel["llm_fallback"].value is True
    report = result.asset_materializations_for_node("report_pdf")[0].metadata
    assert report["llm_fallbacks"].value == 1
    assert "PESTEL analysis: the model stopped its answer on a safety filter" in report["llm_fallback_reasons"].value
    assert len(fake.generations()) == 5
    # the frameworks retrieve from the table research_index wrote (the local embedder's), not from the
    # configured Gemini table, which holds nothing for the company
    assert all("Question: " in g.text and "(none retrieved)" not in g.text for g in fake.generations()[:4])

    monkeypatch.setenv("CONSULTANTOS_GEMINI_MODEL", "gemini-2.0-flash")
    failed = test_llm._materialize(instance, build_resources(home), "porter_five_forces")
    assert not failed.success
    failure = next(e for e in failed.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message if failure.step_failure_data.error else ""
    description = failure.step_failure_data.user_failure_data.description \
        if failure.step_failure_data.user_failure_data else message
    assert "CONSULTANTOS_GEMINI_MODEL" in description and "gemini-2.0-flash" in description
