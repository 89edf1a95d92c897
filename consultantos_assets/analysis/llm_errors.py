"""How a model call failed: the service's errors and stop reasons sorted into kinds (retry, fall back, or
name the setting to fix), with the wait the server asked for and the gap text a report shows."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from typing import Any

from pydantic import ValidationError

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


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


def error_chain(exc: BaseException) -> list[BaseException]:
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

    for e in error_chain(exc):
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


def _enum_name(value: Any) -> str:
    return str(getattr(value, "name", value) or "")


def stop_reason(response: Any) -> tuple[str, str]:
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


def describe_error(exc: BaseException) -> str:
    parts = []
    for e in error_chain(exc)[:3]:
        text = str(e).strip().splitlines()[0] if str(e).strip() else ""
        parts.append(f"{type(e).__name__}: {text[:300]}" if text else type(e).__name__)
    return " <- ".join(parts)
