"""API keys never leave the environment: a whole report run with distinctive keys, one model call
failing with a body that echoes the key, then every byte the run left behind is searched for them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from consultantos_assets.report import pdf_text

from .fake_gemini import FakeGemini, Step
from .test_pipeline import run_captured

GEMINI_KEY = "AIzaFAKE-gemini-7Qx93kLmN0pRsTuV"
TAVILY_KEY = "tvly-FAKE-tavily-Zq81HcYe44Wn"
KEYS = (GEMINI_KEY, TAVILY_KEY)

LOGGED_CLI = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, filename=sys.argv[1], format="%(name)s %(levelname)s %(message)s")
from consultantos_assets.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _leaks(data: bytes) -> list[str]:
    return [k for k in KEYS if k.encode() in data or k.encode("utf-16-le") in data]


def _sqlite_values(path: Path) -> str:
    """Every value of every table, decoded (event bodies, run configs, tags, snapshots)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = []
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in con.execute(f'SELECT * FROM "{table}"'):
                out.extend(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row)
        return "\n".join(out)
    finally:
        con.close()


@pytest.fixture
def gemini():
    fake = FakeGemini().start()
    yield fake
    fake.stop()


def test_no_key_anywhere_after_a_run_with_a_failing_call(tmp_path, gemini):
    home = tmp_path / "home"
    # the first model call fails with a body that quotes the request's key, as some gateways do (a server
    # error, so the analyst falls back and the run completes; a refused key would fail the step)
    gemini.push(Step("status", 500, body={"error": {"code": 500, "status": "INTERNAL", "message":
                f"upstream failed: x-goog-api-key={GEMINI_KEY} url={gemini.url}/v1beta/models?key={GEMINI_KEY}"}}))
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CONSULTANTOS_SNAPSHOT_DIR",
                                                            "GOOGLE_API_KEY", "CONSULTANTOS_ANALYST")}
    env.update(CONSULTANTOS_HOME=str(home), CONSULTANTOS_MODE="offline", GEMINI_API_KEY=GEMINI_KEY,
               GOOGLE_GEMINI_BASE_URL=gemini.url, TAVILY_API_KEY=TAVILY_KEY,
               EDGAR_IDENTITY="Test Analyst test@example.com", CONSULTANTOS_LLM_HTTP_ATTEMPTS="1",
               CONSULTANTOS_LLM_BACKOFF_S="0")
    log_file = tmp_path / "python-logging.txt"
    proc = run_captured([sys.executable, "-c", LOGGED_CLI, str(log_file), "report", "AAPL"], env)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # the keys were really used, and the failing answer really carried one
    assert gemini.requests and all(r.headers.get("x-goog-api-key") == GEMINI_KEY for r in gemini.requests)
    assert len(gemini.requests) >= 5
    from consultantos_assets.llm_store import DuckDBLedger

    rows = DuckDBLedger(home / "llm" / "ledger.duckdb").query("SELECT outcome, detail FROM llm_calls")
    fell = [r for r in rows if r["outcome"] == "fallback"]
    assert fell and all("***" in (r["detail"] or "") for r in fell), rows

    found: dict[str, list[str]] = {}
    for name, text in (("stdout", proc.stdout), ("stderr", proc.stderr), ("python logging", log_file.read_text())):
        if _leaks(text.encode()):
            found[name] = _leaks(text.encode())
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files) and any(p.suffix == ".lance" for p in files)
    assert any(p.suffix == ".duckdb" for p in files) and any(p.suffix == ".pdf" for p in files)
    assert any(p.suffix == ".pptx" for p in files) and any(p.suffix == ".xlsx" for p in files)
    for p in files:
        data = p.read_bytes()
        if _leaks(data):
            found[str(p.relative_to(home))] = _leaks(data)
        if p.suffix == ".db":
            if _leaks(_sqlite_values(p).encode()):
                found[f"{p.name} (values)"] = _leaks(_sqlite_values(p).encode())
        if p.suffix == ".pdf":
            _, text = pdf_text(p)
            if _leaks(text.encode()):
                found[f"{p.name} (text)"] = _leaks(text.encode())
        if p.suffix in (".pptx", ".xlsx"):  # Office files are zips: search their parts uncompressed
            import zipfile

            with zipfile.ZipFile(p) as z:
                for part in z.namelist():
                    if _leaks(z.read(part)):
                        found[f"{p.name}:{part}"] = _leaks(z.read(part))
        if p.suffix == ".duckdb":
            import duckdb

            con = duckdb.connect(str(p), read_only=True)
            try:
                dump = json.dumps(con.execute("SELECT * FROM llm_calls").fetchall(), default=str)
            finally:
                con.close()
            if _leaks(dump.encode()):
                found[f"{p.name} (rows)"] = _leaks(dump.encode())
    pdfs = [p for p in files if p.suffix == ".pdf"]
    if subprocess.run(["which", "pdftotext"], capture_output=True).returncode == 0:
        for p in pdfs:
            text = subprocess.run(["pdftotext", str(p), "-"], capture_output=True).stdout
            if _leaks(text):
                found[f"{p.name} (pdftotext)"] = _leaks(text)
    assert not found, f"key found in: {found}"
    # the scan can see a key: the same search finds it in a file that holds one
    canary = tmp_path / "canary.bin"
    canary.write_bytes(b"\x00" + GEMINI_KEY.encode() + b"\x00")
    assert _leaks(canary.read_bytes()) == [GEMINI_KEY]


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers every request with 400 and a body quoting the request line and headers."""

    def log_message(self, *args) -> None:
        return None

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        quoted = f"Authorization: {self.headers.get('Authorization')}; path {self.path}; headers {dict(self.headers)}"
        body = json.dumps({"detail": {"error": f"bad request, {quoted}"}}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_tavily_error_echoing_the_key_is_masked(caplog):
    from consultantos_assets.models import CompanyProfile
    from consultantos_assets.sources.base import SourceError
    from consultantos_assets.sources.research import TavilyResearch

    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        provider = TavilyResearch(TAVILY_KEY, api_base_url=f"http://127.0.0.1:{server.server_address[1]}")
        profile = CompanyProfile(ticker="ACME", name="Acme Corp.")
        caplog.set_level("DEBUG")
        with pytest.raises(SourceError) as caught:
            provider.research(profile, [])
    finally:
        server.shutdown()
        server.server_close()
    text = f"{caught.value} {caught.value!r} {provider!r} {caplog.text}"
    assert "Authorization: Bearer ***" in str(caught.value)     # the echo arrived, masked
    assert TAVILY_KEY not in text
