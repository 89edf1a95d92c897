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
  4. instructor asks the model for the framework's response model; its validators reject unknown
     evidence ids and ungrounded figures and instructor re-asks with the error (validation_retries)
  5. 429 (honouring Retry-After / RetryInfo), 5xx, timeouts and connection errors are retried with
     bounded exponential backoff (http_attempts); after that, or on repeated invalid output, the
     rule-based analyst answers that framework, its confidence is lowered and the gap recorded
  6. every outcome is one ledger row: calls, tokens, latency, estimated cost
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from ..models import PESTEL, SWOT, BlueOcean, PorterFiveForces, Synthesis
from . import llm_answers as A
from .analyst import EvidencePack, Frameworks
from .coverage import FALLBACK_PENALTY
from .prompts import ASSET_OF, LABEL_OF, PROMPT_VERSION, messages_for
from .rules import RuleBasedAnalyst, data_gaps

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gemini-2.5-flash"
# USD per million tokens (input, output; thinking tokens bill as output). Override with
# CONSULTANTOS_LLM_PRICES='{"model": [input, output], ...}'. Prices for prompts up to 200k tokens.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
}
FALLBACK_PRICE = (1.25, 10.00)  # unknown models are priced like the dearest listed one
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


# ------------------------------------------------------------------------------------------ settings
@dataclass(frozen=True)
class LLMSettings:
    default_model: str = DEFAULT_MODEL
    models: Mapping[str, str] = field(default_factory=dict)  # framework -> model override
    prices: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    budget_usd: float = 0.50  # per company, within budget_scope
    budget_scope: str = "run"  # run | day | total
    validation_retries: int = 2  # re-asks after invalid output
    http_attempts: int = 4  # tries per call on 429 / 5xx / timeouts / connection errors
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0  # also the longest Retry-After honoured
    timeout_s: float = 60.0  # per HTTP request (applied by whoever builds the client)
    temperature: float = 0.2
    max_output_tokens: int = 8192
    expected_output_tokens: int = 2500  # budget estimate per call

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LLMSettings:
        """CONSULTANTOS_GEMINI_MODEL, CONSULTANTOS_GEMINI_MODEL_<FRAMEWORK>, CONSULTANTOS_LLM_*."""
        models = {fw: env[f"CONSULTANTOS_GEMINI_MODEL_{fw.upper()}"] for fw in ASSET_OF
                  if env.get(f"CONSULTANTOS_GEMINI_MODEL_{fw.upper()}")}
        prices = dict(DEFAULT_PRICES)
        raw = env.get("CONSULTANTOS_LLM_PRICES")
        if raw:
            try:
                prices.update({str(k): (float(v[0]), float(v[1])) for k, v in json.loads(raw).items()})
            except (ValueError, TypeError, IndexError, AttributeError) as exc:
                raise ValueError("CONSULTANTOS_LLM_PRICES must be JSON like "
                                 '{"gemini-2.5-flash": [0.30, 2.50]} (USD per million input, output tokens)'
                                 ) from exc
        scope = env.get("CONSULTANTOS_LLM_BUDGET_SCOPE", "run").strip().lower()
        if scope not in ("run", "day", "total"):
            raise ValueError(f"CONSULTANTOS_LLM_BUDGET_SCOPE={scope!r} is not one of run, day, total")

        def num(name: str, default: float) -> float:
            value = env.get(name)
            try:
                return float(value) if value not in (None, "") else default
            except ValueError as exc:
                raise ValueError(f"{name}={value!r} is not a number") from exc

        return cls(
            default_model=env.get("CONSULTANTOS_GEMINI_MODEL") or DEFAULT_MODEL,
            models=models, prices=prices, budget_scope=scope,
            budget_usd=num("CONSULTANTOS_LLM_BUDGET_USD", 0.50),
            validation_retries=int(num("CONSULTANTOS_LLM_VALIDATION_RETRIES", 2)),
            http_attempts=max(1, int(num("CONSULTANTOS_LLM_HTTP_ATTEMPTS", 4))),
            backoff_base_s=num("CONSULTANTOS_LLM_BACKOFF_S", 1.0),
            backoff_max_s=num("CONSULTANTOS_LLM_BACKOFF_MAX_S", 30.0),
            timeout_s=num("CONSULTANTOS_LLM_TIMEOUT_S", 60.0),
        )

    def model_for(self, framework: str) -> str:
        return self.models.get(framework) or self.default_model

    def price(self, model: str) -> tuple[float, float]:
        if model in self.prices:
            return self.prices[model]
        # versioned names (gemini-2.5-flash-001, models/gemini-2.5-flash) use their family's price
        name = model.removeprefix("models/")
        for known in sorted(self.prices, key=len, reverse=True):
            if name.startswith(known):
                return self.prices[known]
        return FALLBACK_PRICE

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> float:
        p_in, p_out = self.price(model)
        return (input_tokens * p_in + output_tokens * p_out) / 1e6


# ------------------------------------------------------------------------------------------ injected I/O
@dataclass
class CallRecord:
    """One framework answer for one company: a row of the cost ledger."""

    run_id: str
    asset: str
    ticker: str
    framework: str
    model: str
    prompt_version: str
    cache_key: str
    outcome: str  # model | cache | fallback | budget
    calls: int = 0  # requests sent to the model (re-asks and HTTP retries included)
    input_tokens: int = 0
    output_tokens: int = 0  # candidates + thinking tokens
    latency_s: float = 0.0
    cost_usd: float = 0.0
    invalid_answers: int = 0  # answers rejected by validation (each one re-asked while retries remain)
    http_retries: int = 0
    detail: str = ""
    recorded_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def as_row(self) -> dict[str, Any]:
        return asdict(self)


class AnswerCache(Protocol):
    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str, meta: dict[str, Any]) -> None: ...


class CostLedger(Protocol):
    def spent(self, ticker: str, scope: str, run_id: str) -> float: ...

    def record(self, row: CallRecord) -> None: ...


class _NoCache:
    def get(self, key: str) -> str | None:
        return None

    def put(self, key: str, value: str, meta: dict[str, Any]) -> None:
        return None


class _MemoryLedger:
    def __init__(self) -> None:
        self.rows: list[CallRecord] = []

    def spent(self, ticker: str, scope: str, run_id: str) -> float:
        return sum(r.cost_usd for r in self.rows if r.ticker == ticker and (scope != "run" or r.run_id == run_id))

    def record(self, row: CallRecord) -> None:
        self.rows.append(row)


# ------------------------------------------------------------------------------------------ failures
class LLMFailure(Exception):
    """The model could not give a usable answer; `kind` says why, `gap` says it without figures."""

    def __init__(self, kind: str, detail: str, gap: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.gap = gap


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait: Retry-After header (seconds or HTTP date) or Google RetryInfo."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    if value:
        value = value.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", value):
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - dt.datetime.now(when.tzinfo or dt.UTC)).total_seconds())
        except (TypeError, ValueError):
            pass
    details = getattr(exc, "details", None)
    err = details.get("error", details) if isinstance(details, dict) else None
    for item in (err or {}).get("details", []) if isinstance(err, dict) else []:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(item.get("retryDelay", ""))) if isinstance(item, dict) else None
        if m:
            return float(m.group(1))
    return None


def classify(exc: BaseException) -> tuple[str, float | None]:
    """('rate_limited'|'server_error'|'timeout'|'network'|'invalid_output'|'error', retry-after seconds)."""
    import httpx
    from google.genai import errors as genai_errors

    for e in _chain(exc):
        if isinstance(e, genai_errors.APIError):
            code = int(getattr(e, "code", 0) or 0)
            if code == 429:
                return "rate_limited", _retry_after(e)
            if code == 408:
                return "timeout", _retry_after(e)
            if code in TRANSIENT_STATUS:
                return "server_error", _retry_after(e)
            return f"http_{code}", None
        if isinstance(e, httpx.TimeoutException | TimeoutError):
            return "timeout", None
        if isinstance(e, httpx.TransportError | ConnectionError):
            return "network", None
        if isinstance(e, ValidationError | json.JSONDecodeError):
            return "invalid_output", None
    return "error", None


TRANSIENT_KINDS = frozenset({"rate_limited", "server_error", "timeout", "network"})
GAP_TEXT = {
    "rate_limited": "the model service kept rate-limiting requests",
    "server_error": "the model service kept failing with server errors",
    "timeout": "the model service kept timing out",
    "network": "the model service could not be reached",
    "invalid_output": "the model kept returning answers that failed validation (unknown evidence ids, "
                      "ungrounded figures or malformed JSON)",
    "budget": "the company's LLM budget would have been exceeded",
}


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
        fallback: RuleBasedAnalyst | None = None,
    ):
        self.client = client
        self.settings = settings or LLMSettings()
        self.cache = cache or _NoCache()
        self.ledger = ledger or _MemoryLedger()
        self.run_id = run_id
        self.secrets = tuple(s for s in secrets if s)
        self.sleep = sleep
        self.rules = fallback or RuleBasedAnalyst()
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
        return self._framework("porter", pack, lambda a, lbl: A.to_porter(a, pack, lbl, data_gaps(pack)))

    def swot(self, pack: EvidencePack) -> SWOT:
        return self._framework("swot", pack, lambda a, lbl: A.to_swot(a, pack, lbl, data_gaps(pack)))

    def pestel(self, pack: EvidencePack) -> PESTEL:
        return self._framework("pestel", pack, lambda a, lbl: A.to_pestel(a, pack, lbl, data_gaps(pack)))

    def blue_ocean(self, pack: EvidencePack) -> BlueOcean:
        def build(a, lbl):
            base = self.rules.blue_ocean(pack)  # canvas and gaps are computed, not asked for
            return A.to_blue_ocean(a, pack, lbl, base.data_gaps, base.canvas)

        return self._framework("blue_ocean", pack, build)

    def synthesis(self, pack: EvidencePack, frameworks: Frameworks) -> Synthesis:
        return self._framework("synthesis", pack, lambda a, lbl: A.to_synthesis(a, pack, frameworks, lbl),
                               frameworks)

    # --- machinery ---------------------------------------------------------------------------------
    def cache_key(self, framework: str, model: str, messages: list[dict[str, str]],
                  retrieval_key: str | None = None) -> str:
        """sha256 of model, prompt version, framework, response schema and the inputs as prompted.

        With lazy retrieval the retrieved passages are represented by the index state they come from
        (`retrieval_key`), so an identical re-run answers from the cache without searching the index.
        """
        schema = A.ANSWER_MODELS[framework].model_json_schema()
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
        answer_model = A.ANSWER_MODELS[framework]
        grounding = A.Grounding.of(pack.evidence)
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
                    rec.outcome = "cache"
                    rec.detail = "identical inputs answered from the LLM cache"
                    return build(answer, self.label(model))
            spent = self.ledger.spent(pack.ticker, s.budget_scope, self.run_id)
            estimate = s.cost(model, _estimate_tokens(messages), s.expected_output_tokens)
            if spent + estimate > s.budget_usd:
                rec.outcome = "budget"
                rec.detail = (f"budget {s.budget_usd:.2f} USD per company ({s.budget_scope}) would be exceeded: "
                              f"spent {spent:.4f}, next call estimated {estimate:.4f}")
                raise LLMFailure("budget", rec.detail, GAP_TEXT["budget"])
            if pack.retriever is not None:
                pack.ensure_retrieved()
                messages = messages_for(framework, pack, frameworks)
            answer = self._ask(model, messages, answer_model, grounding, rec)
            self.cache.put(key, answer.model_dump_json(by_alias=True),
                           {"model": model, "prompt_version": PROMPT_VERSION, "framework": framework,
                            "ticker": pack.ticker})
            rec.detail = rec.detail or "answered by the model"
            return build(answer, self.label(model))
        except LLMFailure as exc:
            if rec.outcome != "budget":
                rec.outcome = "fallback"
            rec.detail = self._redact(exc.detail)
            log.warning("LLM analyst fell back to rules for %s %s: %s", pack.ticker, framework, rec.detail)
            return self._fallback(framework, pack, frameworks, model, exc)
        finally:
            rec.latency_s = round(time.monotonic() - started, 3)
            rec.cost_usd = round(s.cost(model, rec.input_tokens, rec.output_tokens), 6)
            self.records.append(rec)
            self.ledger.record(rec)

    def _fallback(self, framework: str, pack: EvidencePack, frameworks: Frameworks | None, model: str,
                  exc: LLMFailure):
        method = getattr(self.rules, framework)
        result = method(pack, frameworks) if framework == "synthesis" else method(pack)
        result.analyst = f"{self.rules.name} (fallback from {model})"
        result.confidence = round(result.confidence * FALLBACK_PENALTY, 2)
        result.data_gaps.append(f"LLM analyst unavailable for the {LABEL_OF[framework]}: {exc.gap}; the "
                                "rule-based analysis is shown and its confidence lowered.")
        return result

    def _instructor_client(self):
        if self._instructor is None:
            import instructor

            # Mode.JSON on a genai client = Gemini structured outputs (response_schema), GENAI_STRUCTURED_OUTPUTS' successor
            self._instructor = instructor.from_genai(self.client, mode=instructor.Mode.JSON)
        return self._instructor

    def _ask(self, model: str, messages, answer_model: type[BaseModel], grounding: A.Grounding,
             rec: CallRecord) -> BaseModel:
        from instructor.v2.core.hooks import Hooks

        s = self.settings
        client = self._instructor_client()
        last_kind, last_detail = "error", ""
        for attempt in range(1, s.http_attempts + 1):
            hooks = Hooks()
            hooks.on("completion:kwargs", lambda *a, **k: _bump(rec, "calls"))
            hooks.on("completion:response", lambda response: _add_usage(rec, response))
            hooks.on("parse:error", lambda *a, **k: _bump(rec, "invalid_answers"))
            try:
                answer, _ = client.create_with_completion(
                    model=model, messages=messages, response_model=answer_model, context=grounding.context(),
                    max_retries=s.validation_retries, hooks=hooks, temperature=s.temperature,
                    max_tokens=s.max_output_tokens,
                )
                return answer
            except Exception as exc:  # classified below; anything unknown falls back
                kind, wait = classify(exc)
                last_kind, last_detail = kind, self._redact(_describe(exc))
                if kind not in TRANSIENT_KINDS:
                    if kind == "invalid_output":
                        raise LLMFailure(kind, f"invalid output after {s.validation_retries} re-asks: "
                                         f"{last_detail}", GAP_TEXT[kind]) from None
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

    def summary(self) -> dict[str, Any]:
        return summarize(self.records)


def _bump(rec: CallRecord, name: str) -> None:
    setattr(rec, name, getattr(rec, name) + 1)


def _add_usage(rec: CallRecord, response: Any) -> None:
    usage = getattr(response, "usage_metadata", None)
    if usage is None:
        return
    rec.input_tokens += int(getattr(usage, "prompt_token_count", 0) or 0)
    rec.output_tokens += int(getattr(usage, "candidates_token_count", 0) or 0)
    rec.output_tokens += int(getattr(usage, "thoughts_token_count", 0) or 0)


def _describe(exc: BaseException) -> str:
    parts = []
    for e in _chain(exc)[:3]:
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        parts.append(f"{type(e).__name__}: {text[:300]}" if text else type(e).__name__)
    return " <- ".join(parts)


def _backoff(s: LLMSettings, attempt: int) -> float:
    base = min(s.backoff_max_s, s.backoff_base_s * 2 ** (attempt - 1))
    return round(base * (0.5 + random.random() / 2), 3)


def _estimate_tokens(messages: list[dict[str, str]]) -> int:
    return math.ceil(sum(len(m["content"]) for m in messages) / 4)


def summarize(records: list[CallRecord]) -> dict[str, Any]:
    """Asset metadata: what the model calls behind one asset cost."""
    if not records:
        return {}
    r = records[-1] if len(records) == 1 else None
    total = {
        "llm_outcome": r.outcome if r else ", ".join(sorted({x.outcome for x in records})),
        "llm_model": ", ".join(sorted({x.model for x in records})),
        "llm_calls": sum(x.calls for x in records),
        "llm_input_tokens": sum(x.input_tokens for x in records),
        "llm_output_tokens": sum(x.output_tokens for x in records),
        "llm_latency_s": round(sum(x.latency_s for x in records), 3),
        "llm_cost_usd": round(sum(x.cost_usd for x in records), 6),
        "llm_invalid_answers": sum(x.invalid_answers for x in records),
        "llm_http_retries": sum(x.http_retries for x in records),
        "llm_prompt_version": PROMPT_VERSION,
        "llm_cache_key": records[-1].cache_key[:16],
        "llm_detail": "; ".join(dict.fromkeys(x.detail for x in records if x.detail)),
    }
    return total
