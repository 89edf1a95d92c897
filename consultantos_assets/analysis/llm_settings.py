"""The LLM analyst's settings: model per framework, thinking level, output limit, sampling, prices and
budget, read from CONSULTANTOS_LLM_* (pure: the caller hands in the environment)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .prompts import ASSET_OF

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
