"""Research documents: fact documents, the user's files, and Tavily through a fake server."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from consultantos_assets.models import CompanyProfile, Filing
from consultantos_assets.sources.base import MissingKey, ServiceUnavailable
from consultantos_assets.sources.companies import SnapshotDirectory
from consultantos_assets.sources.fact_documents import fact_documents
from consultantos_assets.sources.research import SnapshotResearch, TavilyResearch
from consultantos_assets.sources.user_documents import decode_text, sanitize_filename

SHARED = Path("/work/shared/data")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared real payloads not present")

ACME = CompanyProfile(
    ticker="ACME",
    name="Acme Widgets Corp.",
    cik=123,
    sic=3560,
    sic_description="General Industrial Machinery",
    fiscal_year_end="1231",
    exchanges=["NYSE"],
)
ACME_FILINGS = [
    Filing(form="8-K", filing_date=date(2025, 2, 3), accession="0000000123-25-000003"),
    Filing(form="10-Q", filing_date=date(2024, 11, 1), report_date=date(2024, 9, 30), accession="0000000123-24-000009"),
    Filing(
        form="10-K", filing_date=date(2024, 2, 20), report_date=date(2023, 12, 31), accession="0000000123-24-000002"
    ),
    Filing(form="4", filing_date=date(2024, 1, 5), accession="0000000123-24-000001"),
]


# ---- fact documents -------------------------------------------------------------------------


@needs_shared
def test_aapl_fact_documents_from_real_payloads() -> None:
    directory = SnapshotDirectory(SHARED)
    profile = directory.profile("AAPL")
    research = SnapshotResearch(SHARED, directory=directory).research(profile, directory.filings(profile))
    docs = {d.id: d for d in research.documents}
    assert set(docs) == {"doc:AAPL:profile", "doc:AAPL:filings", "doc:AAPL:8k"}
    assert "Electronic Computers" in docs["doc:AAPL:profile"].text
    assert "SIC 3571" in docs["doc:AAPL:profile"].text
    assert "September 26" in docs["doc:AAPL:profile"].text
    history = docs["doc:AAPL:filings"]
    assert "10-K filed on 2025-10-31" in history.text and "0000320193-25-000079" in history.text
    assert "In 2024 it filed 1 10-K, 3 10-Q, 9 8-K." in history.text
    assert history.kind == "filing_history" and history.published == date(2026, 2, 26)
    eight_k = docs["doc:AAPL:8k"]
    assert "Results of Operations and Financial Condition" in eight_k.text
    assert "2026-01-29" in eight_k.text and eight_k.published == date(2026, 2, 24)
    assert research.provenance.as_of == date(2026, 2, 26)
    assert research.warnings == []


def test_fact_documents_without_sec_data() -> None:
    bare = CompanyProfile(ticker="NEWCO", name="NewCo", sector="Energy")
    docs = fact_documents(bare, [])
    assert [d.id for d in docs] == ["doc:NEWCO:profile"]
    assert docs[0].source == "company metadata" and docs[0].published is None
    assert "Energy" in docs[0].text


def test_eight_k_items_translated() -> None:
    items = {"0000000123-25-000003": ["5.02", "1.01", "7.99"]}
    docs = {d.id: d for d in fact_documents(ACME, ACME_FILINGS, items)}
    text = docs["doc:ACME:8k"].text
    assert "Item 5.02 (Departure or Appointment of Directors or Certain Officers" in text
    assert "Item 1.01 (Entry into a Material Definitive Agreement)" in text
    assert "Item 7.99" in text  # unknown code kept as a number
    assert "an 8-K" in text
    history = docs["doc:ACME:filings"].text
    assert "quarterly report is a 10-Q filed on 2024-11-01" in history
    assert "In 2025 it filed 0 10-K, 0 10-Q, 1 8-K." in history


# ---- the user's documents -------------------------------------------------------------------


def _user_folder(root: Path, ticker: str = "ACME") -> Path:
    folder = root / "documents" / ticker
    folder.mkdir(parents=True)
    return folder


def test_user_documents_good_bad_and_huge(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = _user_folder(tmp_path)
    (folder / "notes.md").write_text("# Channel checks\nDemand looks firm in Ohio.\n", encoding="utf-8")
    (folder / "memo.txt").write_bytes("Caf\u00e9 visit: r\u00e9sum\u00e9 of pricing talks".encode("latin-1"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf \x00\x01")
    (folder / "huge.txt").write_bytes(b"x" * 5000)
    (folder / ".hidden.md").write_text("secret")
    (folder / "slides.docx").write_bytes(b"ignored")
    caplog.set_level(logging.WARNING)

    research = SnapshotResearch(tmp_path, max_document_bytes=4096).research(ACME, ACME_FILINGS)

    user = [d for d in research.documents if d.kind == "user"]
    assert [d.id for d in user] == ["doc:ACME:file:memo.txt", "doc:ACME:file:notes.md"]
    memo = user[0]
    assert "Caf\u00e9 visit" in memo.text and memo.source == "memo.txt" and memo.published is not None
    assert len(research.warnings) == 3
    assert any("memo.txt is not UTF-8: read it as cp1252" in w for w in research.warnings)
    assert any("broken.pdf" in w for w in research.warnings)
    assert any("huge.txt" in w and "limit" in w for w in research.warnings)
    assert "not UTF-8" in caplog.text  # the encoding fallback is logged
    assert {d.id for d in research.documents} >= {"doc:ACME:profile", "doc:ACME:filings", "doc:ACME:8k"}


def test_user_pdf_with_text(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    folder = _user_folder(tmp_path)
    pdf = canvas.Canvas(str(folder / "visit report.pdf"))
    pdf.drawString(72, 720, "Plant visit: three new presses installed")
    pdf.save()
    (folder / "empty.md").write_text("   \n")
    research = SnapshotResearch(tmp_path).research(ACME, [])
    user = [d for d in research.documents if d.kind == "user"]
    assert [d.id for d in user] == ["doc:ACME:file:visit_report.pdf"]
    assert "three new presses" in user[0].text
    assert research.warnings == ["skipped document empty.md: no text could be extracted"]


def test_hostile_names_cannot_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd.txt").write_text("root:x:0:0")
    folder = _user_folder(tmp_path / "snap")
    os.symlink(outside / "passwd.txt", folder / "passwd.txt")
    os.symlink("../../../outside/passwd.txt", folder / "escape.md")
    os.symlink("../../../outside/passwd.txt", folder / "..%2F..%2Fetc%2Fpasswd.md")  # hidden: ignored
    (folder / "<script>alert(1)<%2Fscript>.md").write_text("markup in the name only")

    research = SnapshotResearch(tmp_path / "snap").research(ACME, [])
    texts = " ".join(d.text for d in research.documents)
    assert "root:x" not in texts
    user = [d for d in research.documents if d.kind == "user"]
    assert len(user) == 1
    assert user[0].id == "doc:ACME:file:script_alert_1_2Fscript_.md"
    assert "<" not in user[0].title and "<" not in user[0].source
    assert len(research.warnings) == 2 and all("outside" in w for w in research.warnings)


def test_ticker_folder_outside_documents_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_text("do not read")
    (tmp_path / "snap" / "documents").mkdir(parents=True)
    os.symlink(outside, tmp_path / "snap" / "documents" / "ACME")
    evil = ACME.model_copy(update={"ticker": "../../elsewhere"})
    for profile in (ACME, evil):
        research = SnapshotResearch(tmp_path / "snap").research(profile, [])
        assert all(d.kind != "user" for d in research.documents)


def test_helpers() -> None:
    assert sanitize_filename("../../etc/passwd") == "etc_passwd"
    assert sanitize_filename("<b>x</b>.md") == "b_x_b_.md"
    assert decode_text("na\u00efve".encode()) == ("na\u00efve", None)
    assert decode_text(b"\x81\xe9") == ("\x81\u00e9", "latin-1")  # 0x81 is undefined in cp1252


# ---- Tavily through a fake server on 127.0.0.1 ----------------------------------------------

KEY = "tvly-test-SECRET-123"


class FakeTavily(BaseHTTPRequestHandler):
    mode = "ok"
    requests: list[dict[str, Any]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeTavily.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        if FakeTavily.mode == "401":
            return self._send(401, {"detail": {"error": "Unauthorized: missing or invalid API key."}})
        if FakeTavily.mode == "429":
            return self._send(429, {"detail": {"error": "Usage limit exceeded."}})
        if FakeTavily.mode == "500":
            return self._send(500, {"detail": {"error": "internal"}})
        self._send(200, _search_answer(body["query"]))


def _search_answer(query: str) -> dict[str, Any]:
    shared = {
        "title": "Acme in the widget market",
        "url": "https://www.example.com/acme-widgets",
        "content": "Acme sells widgets.",
        "score": 0.8,
    }
    results = [shared]
    if "risks" in query:
        results += [
            {
                "title": "Regulators look at widgets",
                "url": "https://news.example.org/r?id=7",
                "content": "A widget rule is proposed.",
                "score": 0.7,
                "published_date": "Tue, 04 Feb 2025 10:00:00 GMT",
            },
            {"title": "No url", "url": "", "content": "dropped", "score": 0.1},
        ]
    return {"query": query, "answer": None, "images": [], "results": results, "response_time": 0.1}


@pytest.fixture()
def tavily_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTavily)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FakeTavily.requests = []
    FakeTavily.mode = "ok"
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tavily_success(tavily_url: str) -> None:
    research = TavilyResearch(KEY, max_results=5, api_base_url=tavily_url).research(ACME, ACME_FILINGS)
    web = [d for d in research.documents if d.kind == "news"]
    assert [d.url for d in web] == ["https://www.example.com/acme-widgets", "https://news.example.org/r?id=7"]
    first = web[0]
    assert first.id == "doc:ACME:web:" + hashlib.sha1(first.url.encode()).hexdigest()[:10]
    assert first.source == "example.com" and first.published is None
    assert web[1].published == date(2025, 2, 4) and web[1].source == "news.example.org"
    assert {"doc:ACME:profile", "doc:ACME:filings", "doc:ACME:8k"} <= {d.id for d in research.documents}
    assert research.provenance.mode == "live" and research.provenance.provider == "tavily"
    sent = FakeTavily.requests
    assert len(sent) == 3 and all(r["path"] == "/search" for r in sent)
    assert all(r["auth"] == f"Bearer {KEY}" and r["max_results"] == 5 for r in sent)
    assert sent[0]["query"] == "Acme Widgets Corp. ACME competitive strategy"
    assert [r["topic"] for r in sent] == ["general", "general", "news"]


@pytest.mark.parametrize(
    ("mode", "error", "pattern"),
    [
        ("401", MissingKey, "Tavily: missing key: the key was rejected"),
        ("429", ServiceUnavailable, r"Tavily: HTTP 429 after 2 attempts"),
        ("500", ServiceUnavailable, r"Tavily: HTTP 500 after 2 attempts"),
    ],
)
def test_tavily_errors(tavily_url: str, mode: str, error: type[Exception], pattern: str) -> None:
    from consultantos_assets.sources.retry import Guard, RetryPolicy

    FakeTavily.mode = mode
    guard = Guard("Tavily", RetryPolicy(attempts=2, backoff_s=0.01, timeout_s=5))
    with pytest.raises(error, match=pattern) as caught:
        TavilyResearch(KEY, api_base_url=tavily_url, guard=guard).research(ACME, [])
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)


def test_tavily_without_key() -> None:
    with pytest.raises(MissingKey, match="Tavily: missing key: set TAVILY_API_KEY"):
        TavilyResearch(None).research(ACME, [])
    assert KEY not in repr(TavilyResearch(KEY))
