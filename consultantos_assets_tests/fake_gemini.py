"""A fake Gemini API on 127.0.0.1 speaking the REST protocol google-genai uses, and keeping its contract.

POST /{v1,v1beta}/models/{model}:generateContent -> candidates[].content.parts[].text (JSON answer),
finishReason, usageMetadata (with thoughtsTokenCount) and modelVersion. It reads the response schema's
title to know which answer is wanted and the prompt's EVIDENCE list to cite real ids and copy real
figures, so a well-behaved answer passes validation.
POST /{v1,v1beta}/models/{model}:batchEmbedContents -> embeddings[].values.

What the real service refuses, the fake refuses too (each rule cites its source where it is enforced):
requests ending with a model turn, unknown or retired models, schema keywords outside the SDK's Schema
type, schemas whose maxItems add up past the serving limit, thinking settings a family does not take, and
an output limit too small for the thinking it asked for (MAX_TOKENS with no text).
Misbehaviour is scripted per request: malformed JSON, unknown evidence ids, invented figures, HTTP
errors with headers (RetryInfo included), hangs, MAX_TOKENS, SAFETY, RECITATION, a blocked prompt, empty
candidates, and short or malformed embedding batches.

    python -m consultantos_assets_tests.fake_gemini --port 8765     # serve until interrupted
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 1000
OUTPUT_TOKENS = 200
THOUGHT_TOKENS = 50  # at thinking level "low"
# thoughts spent per thinking level; a request without a thinking setting thinks like the model's default,
# "high" for Gemini 3 (https://ai.google.dev/gemini-api/docs/thinking: "If you don't specify a thinking
# level, Gemini will use the model's default dynamic thinking level, high")
THOUGHTS_AT = {"MINIMAL": 0, "LOW": THOUGHT_TOKENS, "MEDIUM": 400, "HIGH": 1500}

# Models the fake serves, and the modelVersion each answers with. An id not listed (retired ones such as
# gemini-2.0-flash and gemini-1.5-*, https://ai.google.dev/gemini-api/docs/deprecations, or a typo) gets
# Google's 404 NOT_FOUND. "-latest" aliases answer with the model they point to.
MODELS = {
    "gemini-3.8-flash": "gemini-3.8-flash", "gemini-3.5-flash": "gemini-3.5-flash",
    "gemini-3.5-flash-lite": "gemini-3.5-flash-lite", "gemini-3.1-pro-preview": "gemini-3.1-pro-preview",
    "gemini-3.1-flash-lite": "gemini-3.1-flash-lite", "gemini-3-flash-preview": "gemini-3-flash-preview",
    "gemini-2.5-pro": "gemini-2.5-pro", "gemini-2.5-flash": "gemini-2.5-flash",
    "gemini-2.5-flash-lite": "gemini-2.5-flash-lite", "gemini-flash-latest": "gemini-3.8-flash",
    "gemini-embedding-001": "gemini-embedding-001",
}
# python-genai#2170: INVALID_ARGUMENT once the maxItems of a schema add up past about 960
MAX_ITEMS_SUM = 960


def _schema_keywords() -> frozenset[str]:
    """The keywords google-genai's `types.Schema` declares, in both spellings: the SDK serialises a pydantic
    response model with snake_case keys (min_items) and the API's proto JSON reads either spelling."""
    from google.genai import types

    names = set()
    for name, f in types.Schema.model_fields.items():
        names.add(name)
        names.add(f.alias or name)
        parts = name.split("_")
        names.add(parts[0] + "".join(p.title() for p in parts[1:]))
    return frozenset(names | {"$ref", "$defs"})


SCHEMA_KEYWORDS = _schema_keywords()

_PATH = re.compile(r"^/(?:v1|v1beta|v1alpha)/models/([^/:]+):(generateContent|batchEmbedContents)$")
_EVIDENCE_LINE = re.compile(r"^\[([^\]]+)\] \((\w+)(?:, \w+)?(?:; [\d-]+)?\) (.*)$", re.MULTILINE)  # [id] (kind, basis; date)
_FIGURE = re.compile(r"\$\d[\d,]*(?:\.\d+)?[BMKT]?|[-+]?\d+\.\d%")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
FORCES = ["competitive_rivalry", "supplier_power", "buyer_power", "threat_of_substitutes", "threat_of_new_entrants"]


@dataclass
class Step:
    """What to do with one request: 'valid', 'malformed', 'unknown_id', 'invented', 'status', 'hang',
    'max_tokens', 'safety', 'recitation', 'blocked', 'empty' (generateContent) or 'embed_short',
    'embed_malformed' (batchEmbedContents)."""

    kind: str = "valid"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    seconds: float = 0.0


@dataclass
class Request:
    path: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def text(self) -> str:
        return json.dumps(self.body)

    @property
    def generation_config(self) -> dict[str, Any]:
        return either(self.body, "generationConfig") or {}

    @property
    def answer_title(self) -> str:
        return (either(self.generation_config, "responseSchema") or {}).get("title", "")

    @property
    def roles(self) -> list[str]:
        return [c.get("role", "") for c in self.body.get("contents", [])]


def _error(code: int, status: str, message: str, details: list | None = None) -> dict[str, Any]:
    """Google's error envelope (https://ai.google.dev/api/rest: google.rpc.Status in an "error" object)."""
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        err["details"] = details
    return {"error": err}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def either(obj: dict[str, Any], name: str, default: Any = None) -> Any:
    """A request field in either spelling: proto JSON parsing (which the API does) accepts the lowerCamel
    name and the original snake_case one, and google-genai sends nested SDK objects in snake_case
    (thinkingConfig as {"thinking_level": ...}, schemas with min_items)."""
    if name in obj:
        return obj[name]
    return obj.get(_snake(name), default)


def _walk(schema: Any):
    if isinstance(schema, dict):
        yield schema
        for key in ("properties", "$defs", "defs"):
            for sub in (schema.get(key) or {}).values():
                yield from _walk(sub)
        for key in ("items", "additionalProperties", "additional_properties"):
            if isinstance(schema.get(key), dict):
                yield from _walk(schema[key])
        for key in ("anyOf", "any_of"):
            for sub in schema.get(key) or []:
                yield from _walk(sub)


def _hash_vector(text: str, dim: int) -> list[float]:
    seed = sum(text.encode())
    return [((seed * (j + 7)) % 97) / 97.0 - 0.5 for j in range(dim)]


def refusal(req: Request) -> tuple[int, dict[str, Any]] | None:
    """The error the real service gives for this generateContent request, or None when it accepts it."""
    if req.model not in MODELS:
        # the API's answer for an unknown or retired model id, as captured in google/adk-python#200
        # (gemini-2.0-flash-live-001) and swuecho/chat#597 (gemini-2.0-pro)
        return 404, _error(404, "NOT_FOUND", f"models/{req.model} is not found for API version v1beta, or is not "
                           "supported for generateContent. Call ListModels to see the list of available models "
                           "and their supported methods.")
    if req.roles and req.roles[-1] == "model":
        # instructor#2631 (captured 400 on every Gemini model): a request must end with a user turn
        return 400, _error(400, "INVALID_ARGUMENT", "Requests ending with a model turn are not supported.")
    schema = either(req.generation_config, "responseSchema") or {}
    unknown = sorted({k for node in _walk(schema) for k in node if k not in SCHEMA_KEYWORDS})
    if unknown:
        # the API parses responseSchema into its Schema message and refuses a field it does not declare
        # (QuantumNous/new-api#1037: 'Unknown name "$schema" at generation_config.response_schema')
        return 400, _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name "
                           + ", ".join(f'"{k}"' for k in unknown) + " at 'generation_config.response_schema': "
                           "Cannot find field.")
    total = sum(int(either(node, "maxItems", 0) or 0) for node in _walk(schema))
    if total > MAX_ITEMS_SUM:
        # python-genai#2170 and vercel/ai#21192: bare INVALID_ARGUMENT past a cumulative maxItems budget
        return 400, _error(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
    thinking = either(req.generation_config, "thinkingConfig") or {}
    level, budget = either(thinking, "thinkingLevel"), either(thinking, "thinkingBudget")
    if level is not None and budget is not None:
        # https://ai.google.dev/gemini-api/docs/gemini-3: thinking_level and thinking_budget together are a 400
        return 400, _error(400, "INVALID_ARGUMENT", "You can only set one of thinking budget and thinking level.")
    if level is not None and MODELS[req.model].startswith("gemini-2"):
        # https://ai.google.dev/gemini-api/docs/thinking: Gemini 2.5 models take thinkingBudget, not thinkingLevel
        return 400, _error(400, "INVALID_ARGUMENT", "Thinking level is not supported for this model.")
    return None


def thoughts_for(req: Request) -> int:
    thinking = either(req.generation_config, "thinkingConfig") or {}
    budget = either(thinking, "thinkingBudget")
    if budget is not None:
        return THOUGHTS_AT["MEDIUM"] if int(budget) < 0 else min(int(budget), THOUGHTS_AT["HIGH"])
    level = str(either(thinking, "thinkingLevel") or "HIGH").upper()
    return THOUGHTS_AT.get(level, THOUGHTS_AT["HIGH"])


def _facts(prompt: str) -> list[tuple[str, str]]:
    """(evidence id, a figure printed in its text) for evidence lines that print a figure."""
    out = []
    for m in _EVIDENCE_LINE.finditer(prompt):
        eid, kind, text = m.groups()
        if kind not in ("financial", "price"):
            continue
        fig = _FIGURE.search(_DATE.sub(" ", text))
        if fig:
            out.append((eid, fig.group(0)))
    return out


def _point(facts: list[tuple[str, str]], i: int, kind: str) -> dict[str, Any]:
    eid, fig = facts[i % len(facts)] if facts else ("unknown", "")
    if kind == "unknown_id":
        return {"text": f"The figure {fig} shapes this judgement.", "evidence": ["fin:made_up:FY1999"]}
    if kind == "invented":
        return {"text": "Revenue reached $999.9B with a margin of 77.7%.", "evidence": [eid]}
    return {"text": f"The evidence shows {fig}, which shapes this judgement.", "evidence": [eid]}


def answer_for(title: str, prompt: str, kind: str = "valid") -> dict[str, Any]:
    facts = _facts(prompt)

    def pts(n: int, start: int = 0) -> list[dict[str, Any]]:
        # only the first point misbehaves, so a re-ask that fixes it is a different answer
        return [_point(facts, start + i, kind if i == 0 else "valid") for i in range(n)]

    if title == "PorterAnswer":
        return {"forces": [{"name": f, "rating": 2.0 + i * 0.5, "points": pts(1, i)} for i, f in enumerate(FORCES)],
                "summary": "Competitive intensity is 3.0 of 5 overall, led by the threat of new entrants."}
    if title == "SWOTAnswer":
        return {k: pts(2, i * 2) for i, k in enumerate(["strengths", "weaknesses", "opportunities", "threats"])}
    if title == "PESTELAnswer":
        return {k: pts(1, i) for i, k in enumerate(["political", "economic", "social", "technological",
                                                       "environmental", "legal"])}
    if title == "BlueOceanAnswer":
        return {k: pts(1, i) for i, k in enumerate(["eliminate", "reduce", "raise", "create"])}
    if title == "SynthesisAnswer":
        fig = facts[0][1] if facts else ""
        return {"executive_summary": f"The company is strong: the evidence shows {fig}. Its position is durable.",
                "key_findings": pts(2), "recommendations": pts(2, 2), "risks": pts(1, 4)}
    return {"text": "unknown answer type"}


class FakeGemini:
    """Thread-served fake; `script` holds Steps consumed one per request (then 'valid'); `by_title` holds
    Steps for requests asking for one answer type (e.g. "PESTELAnswer"), consumed before `script`.

    count_tokens=True counts tokens the way Google describes them ("a token is about 4 characters",
    https://ai.google.dev/gemini-api/docs/tokens) instead of the fixed PROMPT_TOKENS / OUTPUT_TOKENS.
    key: when set, a request without that x-goog-api-key gets Google's invalid-key answer.
    embed: (text, dimension) -> vector for batchEmbedContents (default: a deterministic hash vector)."""

    def __init__(self, port: int = 0, count_tokens: bool = False, key: str | None = None,
                 embed: Callable[[str, int], list[float]] | None = None):
        self.script: deque[Step] = deque()
        self.by_title: dict[str, deque[Step]] = {}
        self.count_tokens = count_tokens
        self.key = key
        self.embed = embed or _hash_vector
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                m = _PATH.match(self.path.split("?")[0])
                if not m:
                    self._send(404, _error(404, "NOT_FOUND", f"no route {self.path}"))
                    return
                body = json.loads(raw or b"{}")
                req = Request(self.path, m.group(1), {k.lower(): v for k, v in self.headers.items()}, body)
                if fake.key is not None and req.headers.get("x-goog-api-key") != fake.key:
                    # Google's answer to a wrong key: 400 INVALID_ARGUMENT with ErrorInfo API_KEY_INVALID
                    # (captured in continuedev/continue#8516 and google-gemini/gemini-cli#25198)
                    self._send(400, _error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                                           [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                             "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                                             "metadata": {"service": "generativelanguage.googleapis.com"}}]))
                    return
                with fake._lock:
                    fake.requests.append(req)
                    titled = fake.by_title.get(req.answer_title)
                    step = titled.popleft() if titled else fake.script.popleft() if fake.script else Step()
                if step.kind == "hang":
                    time.sleep(step.seconds)
                    self.close_connection = True
                    return
                if step.kind == "status":
                    status_name = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                                   404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                                   503: "UNAVAILABLE"}.get(step.status, "UNKNOWN")
                    self._send(step.status, step.body or _error(step.status, status_name, "scripted failure"),
                               step.headers)
                    return
                if m.group(2) == "batchEmbedContents":
                    self._embed(req, step)
                    return
                refused = refusal(req)
                if refused:
                    self._send(*refused)
                    return
                self._generate(req, step)

            def _embed(self, req: Request, step: Step) -> None:
                if req.model not in MODELS:
                    self._send(404, _error(404, "NOT_FOUND", f"models/{req.model} is not found for API version "
                                           "v1beta, or is not supported for embedContent."))
                    return
                items = req.body.get("requests", [])
                vectors = []
                for item in items:
                    dim = int(item.get("outputDimensionality") or 3072)
                    text = "".join(p.get("text", "") for p in item.get("content", {}).get("parts", []))
                    vectors.append({"values": fake.embed(text, dim)})
                if step.kind == "embed_short":  # fewer embeddings than texts
                    vectors = vectors[: max(0, len(vectors) - 1)]
                elif step.kind == "embed_malformed":  # vectors of the wrong length
                    vectors = [{"values": v["values"][:3]} for v in vectors]
                self._send(200, {"embeddings": vectors})

            def _generate(self, req: Request, step: Step) -> None:
                body = req.body
                prompt = "\n".join(p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", []))
                thoughts = thoughts_for(req)
                limit = int(either(req.generation_config, "maxOutputTokens") or 65536)
                if step.kind == "malformed":
                    text = '{"forces": [ {"name": "competitive_rivalry", "rating": 3.0, "points": [ '
                else:
                    text = json.dumps(answer_for(req.answer_title, prompt, step.kind))
                system = "".join(p.get("text", "") for p in (either(body, "systemInstruction") or {}).get("parts", []))
                prompt_tokens = -(-len(prompt + system) // 4) if fake.count_tokens else PROMPT_TOKENS
                output_tokens = -(-len(text) // 4) if fake.count_tokens else OUTPUT_TOKENS
                usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": output_tokens,
                         "thoughtsTokenCount": thoughts, "totalTokenCount": prompt_tokens + output_tokens + thoughts}
                version = MODELS[req.model]
                # https://ai.google.dev/api/generate-content#FinishReason; thinking counts against maxOutputTokens,
                # so a limit the thoughts use up ends MAX_TOKENS with no answer text
                if step.kind == "max_tokens" or thoughts + output_tokens > limit:
                    spent = min(limit, thoughts) if step.kind != "max_tokens" else limit
                    self._send(200, {"candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS",
                                                     "index": 0}],
                                     "usageMetadata": {"promptTokenCount": prompt_tokens, "thoughtsTokenCount": spent,
                                                       "totalTokenCount": prompt_tokens + spent},
                                     "modelVersion": version})
                    return
                if step.kind in ("safety", "recitation"):
                    ratings = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]
                    self._send(200, {"candidates": [{"finishReason": step.kind.upper(), "index": 0,
                                                     **({"safetyRatings": ratings} if step.kind == "safety" else {})}],
                                     "usageMetadata": {**usage, "candidatesTokenCount": 0}, "modelVersion": version})
                    return
                if step.kind == "blocked":  # https://ai.google.dev/api/generate-content#PromptFeedback
                    self._send(200, {"promptFeedback": {"blockReason": "SAFETY"},
                                     "usageMetadata": {"promptTokenCount": prompt_tokens,
                                                       "totalTokenCount": prompt_tokens},
                                     "modelVersion": version})
                    return
                if step.kind == "empty":
                    self._send(200, {"candidates": [], "usageMetadata": {"promptTokenCount": prompt_tokens},
                                     "modelVersion": version})
                    return
                self._send(200, {
                    "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": usage,
                    "modelVersion": version,
                })

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeGemini:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def push(self, *steps: Step | str) -> None:
        for s in steps:
            self.script.append(Step(s) if isinstance(s, str) else s)

    def push_for(self, title: str, *steps: Step | str) -> None:
        queue = self.by_title.setdefault(title, deque())
        for s in steps:
            queue.append(Step(s) if isinstance(s, str) else s)

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def generations(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(":generateContent")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--count-tokens", action="store_true", help="count tokens as characters / 4")
    args = ap.parse_args()
    fake = FakeGemini(args.port, count_tokens=args.count_tokens).start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(5)
            print(f"requests so far: {fake.count()}", flush=True)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
