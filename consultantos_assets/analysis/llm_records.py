"""What the LLM analyst records: one CallRecord per framework answer, the injected answer cache and cost
ledger it writes through (implemented in consultantos_assets/llm_store.py), and the asset metadata
summed from the records."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .prompts import PROMPT_VERSION


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


class NoCache:
    def get(self, key: str) -> str | None:
        return None

    def put(self, key: str, value: str, meta: dict[str, Any]) -> None:
        return None


class MemoryLedger:
    def __init__(self) -> None:
        self.rows: list[CallRecord] = []

    def spent(self, ticker: str, scope: str, run_id: str) -> float:
        return sum(r.cost_usd for r in self.rows if r.ticker == ticker and (scope != "run" or r.run_id == run_id))

    def record(self, row: CallRecord) -> None:
        self.rows.append(row)


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
