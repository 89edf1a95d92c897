"""Local receivers for alert tests: an SMTP server (aiosmtpd) and a Slack incoming-webhook stand-in,
both on 127.0.0.1. Each keeps the contract of the real service it stands for, rule by rule."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

WEBHOOK_PATH = "/services/T000TEST/B000TEST/abcdefghijklmnopqrstuvwx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Mailbox:
    def __init__(self):
        self.messages: list = []
        self.tempfail = 0      # answer this many DATA commands with 451 first

    async def handle_DATA(self, server, session, envelope):
        # RFC 5321 section 4.2.1/4.2.2: 451 "local error in processing" is a transient (4yz) reply,
        # the client may try again; 250 accepts the message
        if self.tempfail > 0:
            self.tempfail -= 1
            return "451 4.3.0 Temporary failure, try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 OK"


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 without TLS or login (the alert resource is set to security=none)."""

    def __init__(self):
        self.box = _Mailbox()
        self.port = free_port()
        self._ctl = Controller(self.box, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.box.messages

    def __enter__(self):
        self._ctl.start()
        return self

    def __exit__(self, *exc):
        self._ctl.stop()


class WebhookReceiver:
    """Slack's incoming webhook as documented (https://api.slack.com/messaging/webhooks,
    https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks,
    https://api.slack.com/docs/rate-limits):

    - POST only; the URL's path names the webhook: any other path is 404 `no_service`;
    - the body is JSON with `text` or `blocks`, else 400 `invalid_payload`;
    - success is 200 with the body `ok`;
    - rate limiting is 429 with a Retry-After header (seconds); a server fault is 500 `rollup_error`.

    `mode`: "ok"; "rate_limited_once" (429 with Retry-After: 1, then ok); "failing" (500 every time).
    """

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.requests: list[dict] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._answer(405, "invalid_method")

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.attempts += 1
                if self.path != WEBHOOK_PATH:
                    return self._answer(404, "no_service")
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._answer(400, "invalid_payload")
                if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
                    return self._answer(400, "invalid_payload")
                if receiver.mode == "failing":
                    return self._answer(500, "rollup_error")
                if receiver.mode == "rate_limited_once" and receiver.attempts == 1:
                    return self._answer(429, "rate_limited", {"Retry-After": "1"})
                receiver.requests.append(body)
                self._answer(200, "ok")

        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
