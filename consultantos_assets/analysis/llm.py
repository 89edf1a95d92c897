"""The LLM analyst: Gemini through instructor over google-genai, grounded, cached, budgeted.

Pure of dagster and of I/O of its own: the network is reached only through the injected
`google.genai.Client` (whose base URL, key and timeout the caller chose; google-genai itself honours
GOOGLE_GEMINI_BASE_URL), answers are stored through the injected `AnswerCache`, and spending through
the injected `CostLedger`. Both are implemented outside analysis/ (consultantos_assets/llm_store.py).

Per framework call:
  1. prompt = evidence with ids + the chunks retrieved for that framework's questions (prompts.py)
  2. cache key = sha256(model, PROMPT_VERSION, framework, response schema, prompt); a hit is re-validated
     and used with zero model calls
  3. budget: the company's spend (ledger) plus this call's estimate must stay within the budget, else
     the rule-based analyst answers and the result says so
  4. instructor asks the model for the framework's response model (one attempt per request); its
     validators reject unknown evidence ids and ungrounded figures. The re-ask is built here, not by
     instructor: the rejected answer goes back as the model turn and the complaint as the next user
     turn, because Gemini refuses requests that end with a model turn (instructor's own genai re-ask
     does that: instructor issue #2631) (validation_retries)
  5. how the answer stopped decides what follows: MAX_TOKENS is asked once more with a larger output
     limit and less thinking; SAFETY, RECITATION, other stops and a blocked prompt are not re-asked
  6. 429 (honouring Retry-After / RetryInfo), 5xx, timeouts and connection errors are retried with
     bounded exponential backoff (http_attempts); after that, or on repeated invalid output, the
     rule-based analyst answers that framework, its confidence is lowered and the gap recorded.
     Configuration errors (unknown model, refused key) raise LLMConfigError naming the setting to fix
  7. every outcome is one ledger row: model asked and model that answered, outcome and reason, finish
     reason, calls, input/output/thinking tokens, latency, estimated cost
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from ..models import PESTEL, SWOT, BlueOcean, PorterFiveForces, Synthesis
from . import llm_answers as answers
from .analyst import Analyst, EvidencePack, Frameworks
from .canvas import blue_ocean_gaps, strategy_canvas
from .coverage import FALLBACK_PENALTY
from .data_gaps import data_gaps
from .llm_errors import (
    CONFIG_KINDS,
    GAP_TEXT,
    TRANSIENT_KINDS,
    LLMConfigError,
    LLMFailure,
    classify,
    describe_error,
    stop_reason,
)
from .llm_fallbacks import FALLBACK_NOTE, fallback_line, fallbacks
from .llm_records import AnswerCache, CallRecord, CostLedger, MemoryLedger, NoCache, summarize
from .llm_settings import (
    DEFAULT_MODEL,
    MAX_OUTPUT_LIMIT,
    LLMSettings,
    expected_thinking,
    less_thinking,
    thinking_config,
)
from .prompts import ASSET_OF, LABEL_OF, PROMPT_VERSION, messages_for
from .signals import Signals

log = logging.getLogger(__name__)

# the settings, records, errors and fallback notes live beside this module; the asset layer and the CLI
# import them from here
__all__ = ["CallRecord", "LLMAnalyst", "LLMConfigError", "LLMSettings", "fallback_line", "fallbacks", "summarize"]


def _reask_text(error: BaseException) -> str:
    return ("Your previous answer (above) was rejected by the validator:\n" + str(error).strip()
            + "\nReturn the whole answer again as JSON for the same schema, corrected: fix exactly what the "
            "errors name and keep every rule of the instructions.")


# ------------------------------------------------------------------------------------------ the analyst
class LLMAnalyst:
    """Analyst protocol over Gemini; falls back to the rule-based analyst per framework."""

    def __init__(
        self,
        client: Any,
        settings: LLMSettings | None = None,
        *,
        cache: AnswerCache | None = None,
        ledger: CostLedger | None = None,
        run_id: str = "",
        secrets: tuple[str, ...] = (),
        sleep: Callable[[float], None] = time.sleep,
        fallback: Analyst,
    ):
        self.client = client
        self.settings = settings or LLMSettings()
        self.cache = cache or NoCache()
        self.ledger = ledger or MemoryLedger()
        self.run_id = run_id
        self.secrets = tuple(s for s in secrets if s)
        self.sleep = sleep
        self.fallback = fallback  # answers a framework the model could not
        self.records: list[CallRecord] = []
        self._instructor = None

    @property
    def name(self) -> str:
        return self.label(self.settings.default_model)

    @staticmethod
    def label(model: str) -> str:
        return f"llm {model} ({PROMPT_VERSION})"

    # --- the Analyst protocol ----------------------------------------------------------------
    def porter(self, pack: EvidencePack) -> PorterFiveForces:
        return self._framework("porter", pack, lambda a, lbl: answers.to_porter(a, pack, lbl, data_gaps(pack)))

    def swot(self, pack: EvidencePack) -> SWOT:
        return self._framework("swot", pack, lambda a, lbl: answers.to_swot(a, pack, lbl, data_gaps(pack)))

    def pestel(self, pack: EvidencePack) -> PESTEL:
        return self._framework("pestel", pack, lambda a, lbl: answers.to_pestel(a, pack, lbl, data_gaps(pack)))

    def blue_ocean(self, pack: EvidencePack) -> BlueOcean:
        def build(a, lbl):
            s = Signals(pack)  # canvas and gaps are computed, not asked for
            return answers.to_blue_ocean(a, pack, lbl, blue_ocean_gaps(s), strategy_canvas(s))

        return self._framework("blue_ocean", pack, build)

    def synthesis(self, pack: EvidencePack, frameworks: Frameworks) -> Synthesis:
        return self._framework("synthesis", pack, lambda a, lbl: answers.to_synthesis(a, pack, frameworks, lbl),
                               frameworks)

    # --- machinery ---------------------------------------------------------------------------------
    def cache_key(self, framework: str, model: str, messages: list[dict[str, str]],
                  retrieval_key: str | None = None) -> str:
        """sha256 of model, prompt version, framework, response schema and the inputs as prompted.

        With lazy retrieval the retrieved passages are represented by the index state they come from
        (`retrieval_key`), so an identical re-run answers from the cache without searching the index.
        """
        schema = answers.ANSWER_MODELS[framework].model_json_schema()
        payload = {"model": model, "prompt_version": PROMPT_VERSION, "framework": framework,
                   "schema": schema, "messages": messages, "retrieval": retrieval_key}
        raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def _redact(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return text

    def _framework(self, framework: str, pack: EvidencePack, build, frameworks: Frameworks | None = None):
        s = self.settings
        model = s.model_for(framework)
        lazy = pack.retriever is not None and not pack.retrieved and bool(pack.retrieval_key)
        messages = messages_for(framework, pack, frameworks)
        key = self.cache_key(framework, model, messages, pack.retrieval_key if lazy else None)
        answer_model = answers.ANSWER_MODELS[framework]
        grounding = answers.Grounding.of(pack.evidence)
        rec = CallRecord(run_id=self.run_id, asset=ASSET_OF[framework], ticker=pack.ticker, framework=framework,
                         model=model, prompt_version=PROMPT_VERSION, cache_key=key, outcome="model")
        started = time.monotonic()
        try:
            cached = self.cache.get(key)
            if cached is not None:
                try:
                    answer = answer_model.model_validate_json(cached, context=grounding.context())
                except ValidationError:
                    log.warning("cached %s answer %s no longer validates; asking the model again", framework, key[:12])
                else:
                    rec.outcome = rec.reason = "cache"
                    rec.detail = "identical inputs answered from the LLM cache"
                    return build(answer, self.label(model))
            spent = self.ledger.spent(pack.ticker, s.budget_scope, self.run_id)
            thinking = s.thinking_for(framework)
            estimate = s.cost(model, _estimate_tokens(messages), s.expected_output_tokens, expected_thinking(thinking))
            if spent + estimate > s.budget_usd:
                rec.outcome = rec.reason = "budget"
                rec.detail = (f"budget {s.budget_usd:.2f} USD per company ({s.budget_scope}) would be exceeded: "
                              f"spent {spent:.4f}, next call estimated {estimate:.4f}")
                raise LLMFailure("budget", rec.detail, GAP_TEXT["budget"])
            if pack.retriever is not None:
                pack.ensure_retrieved()
                messages = messages_for(framework, pack, frameworks)
            answer = self._ask(framework, model, messages, answer_model, grounding, rec)
            self.cache.put(key, answer.model_dump_json(by_alias=True),
                           {"model": model, "model_version": rec.model_version, "prompt_version": PROMPT_VERSION,
                            "framework": framework, "ticker": pack.ticker})
            rec.detail = rec.detail or "answered by the model"
            return build(answer, self.label(model))
        except LLMFailure as exc:
            if rec.outcome != "budget":
                rec.outcome = "fallback"
                rec.reason = exc.kind
            rec.detail = self._redact(exc.detail)
            log.warning("LLM analyst fell back to rules for %s %s: %s", pack.ticker, framework, rec.detail)
            return self._fallback(framework, pack, frameworks, model, exc)
        except LLMConfigError as exc:
            rec.outcome, rec.reason, rec.detail = "error", exc.kind, self._redact(str(exc))
            raise
        finally:
            rec.latency_s = round(time.monotonic() - started, 3)
            billed = rec.model_version if rec.model_version and s.has_price(rec.model_version) else model
            rec.cost_usd = round(s.cost(billed, rec.input_tokens, rec.output_tokens, rec.thinking_tokens), 8)
            if (rec.input_tokens or rec.output_tokens) and not s.has_price(billed):
                p_in, p_out = s.fallback_price()
                note = (f"no price row for {billed}: cost estimated at {p_in:.2f}/{p_out:.2f} USD per million "
                        "input/output tokens (set CONSULTANTOS_LLM_PRICES)")
                log.warning(note)
                rec.detail = f"{rec.detail}; {note}" if rec.detail else note
            self.records.append(rec)
            self.ledger.record(rec)

    def _fallback(self, framework: str, pack: EvidencePack, frameworks: Frameworks | None, model: str,
                  exc: LLMFailure):
        method = getattr(self.fallback, framework)
        result = method(pack, frameworks) if framework == "synthesis" else method(pack)
        result.analyst = f"{self.fallback.name} (fallback from {model})"
        result.confidence = round(result.confidence * FALLBACK_PENALTY, 2)
        result.data_gaps.append(FALLBACK_NOTE.format(label=LABEL_OF[framework], gap=exc.gap))
        return result

    def _instructor_client(self):
        if self._instructor is None:
            import instructor

            # Mode.JSON on a genai client = Gemini structured outputs (response_schema), GENAI_STRUCTURED_OUTPUTS' successor
            self._instructor = instructor.from_genai(self.client, mode=instructor.Mode.JSON)
        return self._instructor

    def _ask(self, framework: str, model: str, messages: list[dict[str, str]], answer_model: type[BaseModel],
             grounding: answers.Grounding, rec: CallRecord) -> BaseModel:
        """Ask until a valid answer: re-asks after invalid answers (ending with a user turn), one more try
        after MAX_TOKENS with more room and less thinking; anything else is an LLMFailure or LLMConfigError."""
        s = self.settings
        thinking = s.thinking_for(framework)
        limit = s.output_limit(thinking)
        convo = list(messages)
        reasks, roomier = 0, False
        while True:
            answer, response, error = self._request(framework, model, convo, answer_model, grounding, rec,
                                                    thinking, limit)
            if answer is not None:
                return answer
            finish, kind = stop_reason(response)
            if kind == "max_tokens" and not roomier:
                roomier = True
                old = (limit, thinking)
                limit, thinking = min(MAX_OUTPUT_LIMIT, limit * 2), less_thinking(thinking)
                rec.detail = (f"MAX_TOKENS at {old[0]} output tokens (thinking {old[1]}); asked again with "
                              f"{limit} (thinking {thinking})")
                log.info("%s: %s", framework, rec.detail)
                continue
            if kind:
                what = f"finish reason {finish}" if not finish.startswith("BLOCKED") else f"prompt {finish.lower()}"
                raise LLMFailure(kind, f"{GAP_TEXT[kind]} ({what}; thinking {thinking}, output limit {limit})",
                                 GAP_TEXT[kind])
            rec.invalid_answers += 1
            text = getattr(response, "text", None) if response is not None else None
            if reasks >= s.validation_retries or not text:
                raise LLMFailure("invalid_output", f"invalid output after {reasks} re-ask(s): "
                                 f"{self._redact(describe_error(error))}" if error else "invalid output",
                                 GAP_TEXT["invalid_output"])
            reasks += 1
            convo = [*convo, {"role": "model", "content": text}, {"role": "user", "content": _reask_text(error)}]

    def _request(self, framework: str, model: str, convo: list[dict[str, str]], answer_model: type[BaseModel],
                 grounding: answers.Grounding, rec: CallRecord, thinking: str, limit: int):
        """One answer from the model (HTTP retries included): (answer, response, None) when it validates,
        (None, response, validation error) when it does not."""
        from instructor.core.exceptions import InstructorRetryException
        from instructor.v2.core.hooks import Hooks

        s = self.settings
        client = self._instructor_client()
        kwargs: dict[str, Any] = {"max_tokens": limit}
        if s.samples(model):
            kwargs["temperature"] = s.temperature
        config = thinking_config(model, thinking)
        if config is not None:
            kwargs["thinking_config"] = config
        # a list is passed through as the request's safetySettings; without one instructor turns every
        # category OFF (CIVIC_INTEGRITY included, which some models refuse)
        kwargs["safety_settings"] = [{"category": c, "threshold": t} for c, t in s.safety]
        last_kind, last_detail = "error", ""
        for attempt in range(1, s.http_attempts + 1):
            hooks = Hooks()
            hooks.on("completion:kwargs", lambda *a, **k: _bump(rec, "calls"))
            hooks.on("completion:response", lambda response: _observe(rec, response))
            try:
                answer, response = client.create_with_completion(
                    model=model, messages=convo, response_model=answer_model, context=grounding.context(),
                    max_retries=0, hooks=hooks, **kwargs,
                )
                return answer, response, None
            except Exception as exc:  # classified below; anything unknown falls back
                failed = getattr(exc, "failed_attempts", None) if isinstance(exc, InstructorRetryException) else None
                if failed:
                    return None, failed[-1].completion, failed[-1].exception
                kind, wait = classify(exc)
                last_kind, last_detail = kind, self._redact(describe_error(exc))
                if kind in CONFIG_KINDS:
                    raise self._config_error(framework, model, kind, last_detail) from None
                if kind not in TRANSIENT_KINDS:
                    raise LLMFailure(kind, f"model call failed ({kind}): {last_detail}",
                                     "the model call failed") from None
                if attempt == s.http_attempts:
                    break
                if wait is not None and wait > s.backoff_max_s:
                    last_detail += f"; server asked to wait {wait:.0f}s, more than the {s.backoff_max_s:.0f}s allowed"
                    break
                delay = wait if wait is not None else _backoff(s, attempt)
                rec.http_retries += 1
                log.info("model call %s (%s); retrying in %.1fs (attempt %d of %d)", kind, last_detail, delay,
                         attempt + 1, s.http_attempts)
                self.sleep(delay)
        raise LLMFailure(last_kind, f"{last_kind} after {rec.calls} request(s): {last_detail}",
                         GAP_TEXT.get(last_kind, "the model call failed"))

    def _config_error(self, framework: str, model: str, kind: str, detail: str) -> LLMConfigError:
        s = self.settings
        if kind == "model_not_found":
            return LLMConfigError(kind, f"the Gemini API does not know the model {model!r} (or it is retired) for "
                                  f"the {LABEL_OF[framework]}: set {s.model_setting(framework)} to a current model "
                                  f"such as {DEFAULT_MODEL} ({detail})")
        return LLMConfigError(kind, "the Gemini API refused the key: set GEMINI_API_KEY (or GOOGLE_API_KEY) to a "
                              f"valid key with the Gemini API enabled ({detail})")

    def summary(self) -> dict[str, Any]:
        return summarize(self.records)


def _bump(rec: CallRecord, name: str) -> None:
    setattr(rec, name, getattr(rec, name) + 1)


def _observe(rec: CallRecord, response: Any) -> None:
    """Tokens, the answering model and the finish reason of one response."""
    rec.model_version = str(getattr(response, "model_version", "") or rec.model_version)
    rec.finish_reason = stop_reason(response)[0]
    usage = getattr(response, "usage_metadata", None)
    if usage is None:
        return
    rec.input_tokens += int(getattr(usage, "prompt_token_count", 0) or 0)
    rec.output_tokens += int(getattr(usage, "candidates_token_count", 0) or 0)
    rec.thinking_tokens += int(getattr(usage, "thoughts_token_count", 0) or 0)


def _backoff(s: LLMSettings, attempt: int) -> float:
    base = min(s.backoff_max_s, s.backoff_base_s * 2 ** (attempt - 1))
    return round(base * (0.5 + random.random() / 2), 3)


def _estimate_tokens(messages: list[dict[str, str]]) -> int:
    return math.ceil(sum(len(m["content"]) for m in messages) / 4)
