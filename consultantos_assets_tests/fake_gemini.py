"""A fake Gemini API on 127.0.0.1 speaking the REST protocol google-genai uses.

POST /{v1,v1beta}/models/{model}:generateContent -> candidates[].content.parts[].text (JSON answer) and
usageMetadata. It reads the response schema's title to know which answer is wanted and the prompt's
EVIDENCE list to cite real ids and copy real figures, so a well-behaved answer passes validation.
Misbehaviour is scripted per request: malformed JSON, unknown evidence ids, invented figures, HTTP
errors with headers, and hangs.

    python -m consultantos_assets_tests.fake_gemini --port 8765     # serve until interrupted
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 1000
OUTPUT_TOKENS = 200
THOUGHT_TOKENS = 50

_PATH = re.compile(r"^/(?:v1|v1beta|v1alpha)/models/([^/:]+):generateContent$")
_EVIDENCE_LINE = re.compile(r"^\[([^\]]+)\] \((\w+)(?:; [\d-]+)?\) (.*)$", re.MULTILINE)
_FIGURE = re.compile(r"\$\d[\d,]*(?:\.\d+)?[BMKT]?|[-+]?\d+\.\d%")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
FORCES = ["competitive_rivalry", "supplier_power", "buyer_power", "threat_of_substitutes", "threat_of_new_entrants"]


@dataclass
class Step:
    """What to do with one request: 'valid', 'malformed', 'unknown_id', 'invented', 'status', 'hang'."""

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
    def answer_title(self) -> str:
        schema = self.body.get("generationConfig", {}).get("responseSchema", {})
        return schema.get("title", "")


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
    """Thread-served fake; `script` holds Steps consumed one per request (then 'valid')."""

    def __init__(self, port: int = 0):
        self.script: deque[Step] = deque()
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
                    self._send(404, {"error": {"code": 404, "message": f"no route {self.path}",
                                               "status": "NOT_FOUND"}})
                    return
                body = json.loads(raw or b"{}")
                req = Request(self.path, m.group(1), {k.lower(): v for k, v in self.headers.items()}, body)
                with fake._lock:
                    fake.requests.append(req)
                    step = fake.script.popleft() if fake.script else Step()
                if step.kind == "hang":
                    time.sleep(step.seconds)
                    self.close_connection = True
                    return
                if step.kind == "status":
                    status_name = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE",
                                   403: "PERMISSION_DENIED"}.get(step.status, "UNKNOWN")
                    payload = step.body or {"error": {"code": step.status, "message": "scripted failure",
                                                      "status": status_name}}
                    self._send(step.status, payload, step.headers)
                    return
                prompt = "\n".join(p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", []))
                if step.kind == "malformed":
                    text = '{"forces": [ {"name": "competitive_rivalry", "rating": 3.0, "points": [ '
                else:
                    text = json.dumps(answer_for(req.answer_title, prompt, step.kind))
                self._send(200, {
                    "candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": PROMPT_TOKENS, "candidatesTokenCount": OUTPUT_TOKENS,
                                      "thoughtsTokenCount": THOUGHT_TOKENS,
                                      "totalTokenCount": PROMPT_TOKENS + OUTPUT_TOKENS + THOUGHT_TOKENS},
                    "modelVersion": req.model,
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

    def count(self) -> int:
        with self._lock:
            return len(self.requests)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    fake = FakeGemini(args.port).start()
    print(fake.url, flush=True)
    try:
        while True:
            time.sleep(5)
            print(f"requests so far: {fake.count()}", flush=True)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
