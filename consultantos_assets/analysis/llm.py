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

import datetime as dt
import email.utils
import hashlib
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from ..models import PESTEL, SWOT, BlueOcean, PorterFiveForces, Synthesis
from . import llm_answers as answers
from .analyst import Analyst, EvidencePack, Frameworks
from .canvas import blue_ocean_gaps, strategy_canvas
from .coverage import FALLBACK_PENALTY
from .data_gaps import data_gaps
from .prompts import ASSET_OF, FRAMEWORKS, LABEL_OF, PROMPT_VERSION, messages_for
from .signals import Signals

log = logging.getLogger(__name__)

# The SDK's own examples (google-genai 3.6.1: chats.py, batches.py) use gemini-3.8-flash; gemini-2.5-flash is
# on Google's deprecation list (https://ai.google.dev/gemini-api/docs/deprecations).
DEFAULT_MODEL = "gemini-3.8-flash"
# USD per million tokens (input, output; thinking tokens bill as output), standard tier, prompts up to 200k
# tokens, from https://ai.google.dev/gemini-api/docs/pricing. Override or add rows with
# CONSULTANTOS_LLM_PRICES='{"model": [input, output], ...}'.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gemini-3.8-flash": (0.75, 3.75),  # introductory price through 2026-12-31 (PRICE_CHANGES)
    "gemini-3.5-flash": (1.50, 9.00),
    "gemini-3.5-flash-lite": (0.30, 2.50),
    "gemini-3.1-pro-preview": (2.00, 12.00),
    "gemini-3-flash-preview": (0.50, 3.00),
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
}
# dated changes of a default row (the pricing page: gemini-3.8-flash "$1.50 / $7.50 starting January 1, 2027")
PRICE_CHANGES: dict[str, list[tuple[dt.date, tuple[float, float]]]] = {
    "gemini-3.8-flash": [(dt.date(2027, 1, 1), (1.50, 7.50))],
}
THINKING_LEVELS = ("minimal", "low", "medium", "high")
DEFAULT_THINKING = "low"  # grounded extraction from a given evidence list needs little reasoning
# thinking tokens a call is expected to spend at each level (budget estimate and output room); a numeric
# budget is expected to be spent in full, a dynamic one (-1) like "medium"
EXPECTED_THINKING = {"minimal": 256, "low": 1024, "medium": 4096, "high": 8192}
MAX_OUTPUT_LIMIT = 65536  # Gemini 3 models' output limit (model pages: "Maximum output tokens 65,536")
# Families that take sampling parameters from us. Google's Gemini 3 guide recommends leaving temperature at
# its default for Gemini 3, and its changelog of 2026-07-21 deprecates temperature/top_p/top_k for newer
# models, so only older families receive CONSULTANTOS_LLM_TEMPERATURE unless configured otherwise.
DEFAULT_SAMPLING_FAMILIES = ("gemini-2.", "gemini-1.")
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
    temperature: float | None = 0.2  # sent only to models of `sampling_families`
    sampling_families: tuple[str, ...] = DEFAULT_SAMPLING_FAMILIES  # model-name prefixes
    thinking: str = DEFAULT_THINKING  # minimal | low | medium | high, or a token budget (-1 dynamic, 0 off)
    thinking_by_framework: Mapping[str, str] = field(default_factory=dict)
    safety: tuple[tuple[str, str], ...] = ()  # (category, threshold); empty = the API's defaults
    max_output_tokens: int = 16384  # at least; raised to leave room for the thinking budget
    expected_output_tokens: int = 2500  # answer tokens per call (budget estimate)

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
                                 '{"gemini-3.8-flash": [0.75, 3.75]} (USD per million input, output tokens)'
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

        thinking = {fw: check_thinking(env[f"CONSULTANTOS_LLM_THINKING_{fw.upper()}"],
                                       f"CONSULTANTOS_LLM_THINKING_{fw.upper()}")
                    for fw in ASSET_OF if env.get(f"CONSULTANTOS_LLM_THINKING_{fw.upper()}")}
        raw_temp = env.get("CONSULTANTOS_LLM_TEMPERATURE")
        temperature = None if raw_temp is not None and raw_temp.strip().lower() in ("", "none") else \
            num("CONSULTANTOS_LLM_TEMPERATURE", 0.2)
        families = env.get("CONSULTANTOS_LLM_SAMPLING_FAMILIES")
        raw_safety = env.get("CONSULTANTOS_LLM_SAFETY")
        safety: tuple[tuple[str, str], ...] = ()
        if raw_safety:
            try:
                safety = tuple((str(k).upper(), str(v).upper()) for k, v in json.loads(raw_safety).items())
            except (ValueError, AttributeError) as exc:
                raise ValueError("CONSULTANTOS_LLM_SAFETY must be JSON like "
                                 '{"HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH"}') from exc
        return cls(
            default_model=env.get("CONSULTANTOS_GEMINI_MODEL") or DEFAULT_MODEL,
            models=models, prices=prices, budget_scope=scope, temperature=temperature,
            sampling_families=tuple(f.strip() for f in families.split(",") if f.strip())
            if families is not None else DEFAULT_SAMPLING_FAMILIES,
            thinking=check_thinking(env.get("CONSULTANTOS_LLM_THINKING") or DEFAULT_THINKING,
                                    "CONSULTANTOS_LLM_THINKING"),
            thinking_by_framework=thinking, safety=safety,
            max_output_tokens=int(num("CONSULTANTOS_LLM_MAX_OUTPUT_TOKENS", 16384)),
            budget_usd=num("CONSULTANTOS_LLM_BUDGET_USD", 0.50),
            validation_retries=int(num("CONSULTANTOS_LLM_VALIDATION_RETRIES", 2)),
            http_attempts=max(1, int(num("CONSULTANTOS_LLM_HTTP_ATTEMPTS", 4))),
            backoff_base_s=num("CONSULTANTOS_LLM_BACKOFF_S", 1.0),
            backoff_max_s=num("CONSULTANTOS_LLM_BACKOFF_MAX_S", 30.0),
            timeout_s=num("CONSULTANTOS_LLM_TIMEOUT_S", 60.0),
        )

    def model_for(self, framework: str) -> str:
        return self.models.get(framework) or self.default_model

    def model_setting(self, framework: str) -> str:
        """The environment variable that chose `framework`'s model."""
        return f"CONSULTANTOS_GEMINI_MODEL_{framework.upper()}" if self.models.get(framework) \
            else "CONSULTANTOS_GEMINI_MODEL"

    def thinking_for(self, framework: str) -> str:
        return self.thinking_by_framework.get(framework) or self.thinking

    def samples(self, model: str) -> bool:
        """Whether `model`'s family takes the configured sampling parameters."""
        name = model.removeprefix("models/")
        return self.temperature is not None and any(name.startswith(f) for f in self.sampling_families)

    def output_limit(self, thinking: str) -> int:
        """maxOutputTokens: thinking tokens count against it, so it leaves room for the expected thinking."""
        room = self.expected_output_tokens + expected_thinking(thinking) + 2048
        return min(MAX_OUTPUT_LIMIT, max(self.max_output_tokens, room))

    def _row(self, model: str) -> str | None:
        if model in self.prices:
            return model
        # versioned names (gemini-2.5-flash-001, models/gemini-2.5-flash) use their family's price
        name = model.removeprefix("models/")
        return next((k for k in sorted(self.prices, key=len, reverse=True) if name.startswith(k)), None)

    def has_price(self, model: str) -> bool:
        return self._row(model) is not None

    def price(self, model: str, on: dt.date | None = None) -> tuple[float, float]:
        row = self._row(model)
        if row is None:
            return self.fallback_price()
        price = self.prices[row]
        if price == DEFAULT_PRICES.get(row):  # a configured price is taken as given
            day = on or dt.datetime.now(dt.UTC).date()
            for since, later in PRICE_CHANGES.get(row, []):
                if day >= since:
                    price = later
        return price

    def fallback_price(self) -> tuple[float, float]:
        """An unknown model is costed conservatively: the dearest input and output prices listed."""
        return (max(p[0] for p in self.prices.values()), max(p[1] for p in self.prices.values()))

    def cost(self, model: str, input_tokens: int, output_tokens: int, thinking_tokens: int = 0) -> float:
        p_in, p_out = self.price(model)
        return (input_tokens * p_in + (output_tokens + thinking_tokens) * p_out) / 1e6


def check_thinking(value: str, name: str) -> str:
    """A thinking setting: a level word or an integer token budget (-1 dynamic, 0 off)."""
    v = value.strip().lower()
    if v in THINKING_LEVELS or re.fullmatch(r"-1|\d+", v):
        return v
    raise ValueError(f"{name}={value!r} is not one of {', '.join(THINKING_LEVELS)} or a token budget "
                     "(an integer; -1 lets the model decide, 0 turns thinking off where the model allows)")


def expected_thinking(thinking: str) -> int:
    if thinking in EXPECTED_THINKING:
        return EXPECTED_THINKING[thinking]
    budget = int(thinking)
    return EXPECTED_THINKING["medium"] if budget < 0 else budget


def generation(model: str) -> int | None:
    """The Gemini generation of a model id (3 for gemini-3.8-flash), None when it is not a Gemini id."""
    m = re.match(r"(?:models/)?gemini-(\d+)", model)
    return int(m.group(1)) if m else None


def thinking_config(model: str, thinking: str):
    """The ThinkingConfig for `model`: Gemini 3 takes thinking_level, Gemini 2.5 thinking_budget
    (https://ai.google.dev/gemini-api/docs/thinking); a numeric setting is sent as a budget either way.
    None for models outside the Gemini 2.5+ families (no thinking setting is sent)."""
    from google.genai import types

    gen = generation(model)
    if gen is None or (gen < 3 and not model.removeprefix("models/").startswith("gemini-2.5")):
        return None
    if thinking in THINKING_LEVELS:
        if gen >= 3:
            return types.ThinkingConfig(thinking_level=thinking.upper())
        # 2.5 has no levels: the level's expected spend as a budget (2.5 Pro cannot go below 128)
        budget = 0 if thinking == "minimal" else EXPECTED_THINKING[thinking]
        if "pro" in model:
            budget = max(budget, 128)
        return types.ThinkingConfig(thinking_budget=budget)
    return types.ThinkingConfig(thinking_budget=int(thinking))


def less_thinking(thinking: str) -> str:
    """One step less thinking, for the retry after MAX_TOKENS."""
    if thinking in THINKING_LEVELS:
        return THINKING_LEVELS[max(0, THINKING_LEVELS.index(thinking) - 1)]
    budget = int(thinking)
    return str(EXPECTED_THINKING["low"]) if budget < 0 else str(budget // 2)


# ------------------------------------------------------------------------------------------ injected I/O
@dataclass
class CallRecord:
    """One framework answer for one company: a row of the cost ledger."""

    run_id: str
    asset: str
    ticker: str
    framework: str
    model: str  # the model asked for
    prompt_version: str
    cache_key: str
    outcome: str  # model | cache | fallback | budget | error (a configuration error failed the step)
    calls: int = 0  # requests sent to the model (re-asks and HTTP retries included)
    input_tokens: int = 0
    output_tokens: int = 0  # answer (candidates) tokens
    latency_s: float = 0.0
    cost_usd: float = 0.0
    invalid_answers: int = 0  # answers rejected by validation (each one re-asked while retries remain)
    http_retries: int = 0
    detail: str = ""
    thinking_tokens: int = 0  # billed as output
    model_version: str = ""  # the model that answered (the response's modelVersion)
    finish_reason: str = ""  # of the last answer (STOP, MAX_TOKENS, SAFETY, ...; BLOCKED:<reason> for a prompt)
    reason: str = ""  # why the outcome is not "model": cache, budget, rate_limited, max_tokens, safety, ...
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


class LLMConfigError(Exception):
    """A setting must change before the model can answer (unknown model, refused key): the framework
    step fails with this message, which names the setting; falling back would hide it."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _error_body(exc: BaseException) -> dict[str, Any]:
    details = getattr(exc, "details", None)
    err = details.get("error", details) if isinstance(details, dict) else None
    return err if isinstance(err, dict) else {}


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
    for item in _error_body(exc).get("details", []) or []:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(item.get("retryDelay", ""))) if isinstance(item, dict) else None
        if m:
            return float(m.group(1))
    return None


def _key_refused(exc: BaseException) -> bool:
    """Google answers a bad key with 400 INVALID_ARGUMENT and ErrorInfo reason API_KEY_INVALID."""
    body = _error_body(exc)
    reasons = {str(d.get("reason", "")) for d in body.get("details", []) or [] if isinstance(d, dict)}
    return "API_KEY_INVALID" in reasons or "API key not valid" in str(body.get("message", ""))


def classify(exc: BaseException) -> tuple[str, float | None]:
    """('rate_limited'|'server_error'|'timeout'|'network'|'invalid_output'|'model_not_found'|'key_refused'|
    'http_<code>'|'error', retry-after seconds)."""
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
            if code == 404:
                return "model_not_found", None
            if code in (401, 403) or (code == 400 and _key_refused(e)):
                return "key_refused", None
            return f"http_{code}", None
        if isinstance(e, httpx.TimeoutException | TimeoutError):
            return "timeout", None
        if isinstance(e, httpx.TransportError | ConnectionError):
            return "network", None
        if isinstance(e, ValidationError | json.JSONDecodeError):
            return "invalid_output", None
    return "error", None


TRANSIENT_KINDS = frozenset({"rate_limited", "server_error", "timeout", "network"})
CONFIG_KINDS = frozenset({"model_not_found", "key_refused"})
GAP_TEXT = {
    "rate_limited": "the model service kept rate-limiting requests",
    "server_error": "the model service kept failing with server errors",
    "timeout": "the model service kept timing out",
    "network": "the model service could not be reached",
    "invalid_output": "the model kept returning answers that failed validation (unknown evidence ids, "
                      "ungrounded figures or malformed JSON)",
    "budget": "the company's LLM budget would have been exceeded",
    "max_tokens": "the model ran out of output tokens, also when asked again with more room",
    "safety": "the model stopped its answer on a safety filter",
    "recitation": "the model stopped its answer because it resembled published text (recitation)",
    "blocked": "the model service blocked the prompt",
    "empty": "the model service returned no answer",
    "stopped": "the model stopped its answer early",
}
# finishReason values (google.genai.types.FinishReason) that end an answer for a reason a re-ask cannot fix
_STOP_KINDS = {"SAFETY": "safety", "IMAGE_SAFETY": "safety", "PROHIBITED_CONTENT": "safety", "BLOCKLIST": "safety",
               "SPII": "safety", "RECITATION": "recitation", "IMAGE_RECITATION": "recitation"}
FALLBACK_NOTE = "LLM analyst unavailable for the {label}: {gap}; the rule-based analysis is shown and its " \
                "confidence lowered."


def _enum_name(value: Any) -> str:
    return str(getattr(value, "name", value) or "")


def _stop(response: Any) -> tuple[str, str]:
    """(finish reason as recorded, failure kind or '' when the answer ended normally)."""
    if response is None:
        return "", ""
    feedback = getattr(response, "prompt_feedback", None)
    blocked = _enum_name(getattr(feedback, "block_reason", None))
    if blocked and blocked != "BLOCKED_REASON_UNSPECIFIED":
        return f"BLOCKED:{blocked}", "blocked"
    candidates = getattr(response, "candidates", None) or []
    if not candidates:
        return "NO_CANDIDATES", "empty"
    finish = _enum_name(getattr(candidates[0], "finish_reason", None))
    if finish in ("", "STOP", "FINISH_REASON_UNSPECIFIED"):
        return finish, ""
    if finish == "MAX_TOKENS":
        return finish, "max_tokens"
    return finish, _STOP_KINDS.get(finish, "stopped")


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
        self.cache = cache or _NoCache()
        self.ledger = ledger or _MemoryLedger()
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
            finish, kind = _stop(response)
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
                                 f"{self._redact(_describe(error))}" if error else "invalid output",
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
                last_kind, last_detail = kind, self._redact(_describe(exc))
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
    rec.finish_reason = _stop(response)[0]
    usage = getattr(response, "usage_metadata", None)
    if usage is None:
        return
    rec.input_tokens += int(getattr(usage, "prompt_token_count", 0) or 0)
    rec.output_tokens += int(getattr(usage, "candidates_token_count", 0) or 0)
    rec.thinking_tokens += int(getattr(usage, "thoughts_token_count", 0) or 0)


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
    """Asset metadata: what the model calls behind one asset cost, who answered and how it ended."""
    if not records:
        return {}

    def joined(values) -> str:
        return ", ".join(dict.fromkeys(v for v in values if v)) or "none"

    return {
        "llm_outcome": joined(x.outcome for x in records),
        "llm_reason": joined(x.reason for x in records),
        "llm_model": joined(x.model for x in records),
        "llm_model_answered": joined(x.model_version for x in records),
        "llm_finish_reason": joined(x.finish_reason for x in records),
        "llm_calls": sum(x.calls for x in records),
        "llm_input_tokens": sum(x.input_tokens for x in records),
        "llm_output_tokens": sum(x.output_tokens for x in records),
        "llm_thinking_tokens": sum(x.thinking_tokens for x in records),
        "llm_latency_s": round(sum(x.latency_s for x in records), 3),
        "llm_cost_usd": round(sum(x.cost_usd for x in records), 8),
        "llm_invalid_answers": sum(x.invalid_answers for x in records),
        "llm_http_retries": sum(x.http_retries for x in records),
        "llm_prompt_version": PROMPT_VERSION,
        "llm_cache_key": records[-1].cache_key[:16],
        "llm_detail": "; ".join(dict.fromkeys(x.detail for x in records if x.detail)),
    }


def fallbacks(results: Sequence[Any]) -> list[tuple[str, str]]:
    """(framework label, why) for each of the results (Porter, SWOT, PESTEL, Blue Ocean, synthesis, in that
    order) that the rule-based analyst wrote in place of the model; read from the results themselves, so a
    stored value says it too."""
    out = []
    for framework, result in zip(FRAMEWORKS, results, strict=False):
        if "(fallback from " not in (getattr(result, "analyst", "") or ""):
            continue
        head = FALLBACK_NOTE.split("{gap}")[0].format(label=LABEL_OF[framework])
        gap = next((g[len(head):] for g in result.data_gaps if g.startswith(head)), "")
        out.append((LABEL_OF[framework], gap.split("; the rule-based analysis")[0] or "the model did not answer"))
    return out


def fallback_line(results: Sequence[Any]) -> str:
    """One sentence for the cover, the report metadata and the CLI; '' when the model wrote every analysis."""
    notes = fallbacks(results)
    if not notes:
        return ""
    return (f"{len(notes)} of {len(results)} analyses came from the rule-based analyst because the Gemini "
            "analyst could not answer them: " + "; ".join(f"{label} ({why})" for label, why in notes) + ".")
