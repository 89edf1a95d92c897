"""Live source faults: every service x {down, slow, 429 Retry-After, 503, malformed, empty} through the
real client libraries against a fake server on 127.0.0.1; the breaker; SEC identity and rate limit;
and the fallbacks through Dagster (last good value, gaps, nothing gathered)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from consultantos_assets.models import CompanyProfile
from consultantos_assets.sources.base import CircuitOpen, MalformedResponse, NoData, ServiceUnavailable
from consultantos_assets.sources.breaker import CircuitBreaker, JsonBreakerStore
from consultantos_assets.sources.retry import Guard, RetryPolicy

TIMEOUT = 0.4  # every request's timeout in these tests
SLOW = 1.0  # the fake server's delay when slow: past the timeout
RETRY_AFTER = 0.3  # seconds the fake server asks for on 429
ACME = CompanyProfile(ticker="ACME", name="Acme Widgets Corp.", cik=1045810, keywords=["Acme"])


class Fault(BaseHTTPRequestHandler):
    """Answers every service's paths; `mode` selects the fault, `calls` counts requests per path."""

    mode = "ok"
    calls: list[tuple[float, str]] = []
    bodies: dict[str, tuple[str, str]] = {}  # path prefix -> (content type, body) when ok/empty

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        path = self.path.split("?")[0]
        if self.command == "POST":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Fault.calls.append((time.monotonic(), path))
        if not _faulted(path):
            return self._send(200, *_body(path, "ok"))
        if Fault.mode == "slow":
            time.sleep(SLOW)
            return self._send(200, *_body(path, "ok"))
        if Fault.mode == "429":
            return self._send(429, "application/json", '{"detail": {"error": "rate limited"}}',
                              {"Retry-After": str(RETRY_AFTER)})
        if Fault.mode == "503":
            return self._send(503, "text/html", "<html>unavailable</html>")
        if Fault.mode == "malformed":
            return self._send(200, "application/json", "<html>this is not json")
        return self._send(200, *_body(path, Fault.mode))

    def _send(self, status: int, ctype: str, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    do_GET = do_POST = _answer  # noqa: N815


def _faulted(path: str) -> bool:
    """Cookie/crumb handshakes answer normally; the data requests carry the fault."""
    return not (path.startswith("/trends/explore") or path.startswith("/v1/test/getcrumb") or path == "/")


def _body(path: str, mode: str) -> tuple[str, str]:
    for prefix, (ctype, ok_body, empty_body) in BODIES.items():
        if path.startswith(prefix):
            return ctype, ok_body if mode == "ok" else empty_body
    if path.startswith("/api/xbrl/companyfacts/"):
        return "application/json", json.dumps({"cik": 1045810, "entityName": "ACME", "facts": {}})
    return "text/plain", "crumb"


TRENDS_WIDGETS = json.dumps({"widgets": [{"id": "TIMESERIES", "request": {"time": "today 5-y"}, "token": "t"}]})
BODIES = {
    "/search": ("application/json",
                json.dumps({"results": [{"title": "Acme", "url": "https://example.com/a", "content": "Acme sells."}]}),
                json.dumps({"results": []})),
    "/trends/api/explore": ("application/json", ")]}'" + TRENDS_WIDGETS, ")]}'" + TRENDS_WIDGETS),
    "/trends/api/widgetdata/multiline": (
        "application/json",
        ")]}',\n" + json.dumps({"default": {"timelineData": [
            {"time": str(int(datetime(2025, 1, 5, tzinfo=UTC).timestamp()) + 7 * 86400 * i), "value": [50 + i],
             "formattedValue": [str(50 + i)]} for i in range(10)]}}),
        ")]}',\n" + json.dumps({"default": {"timelineData": []}})),
    "/v8/finance/chart/": (
        "application/json",
        json.dumps({"chart": {"result": [{
            "meta": {"currency": "USD", "symbol": "ACME", "exchangeTimezoneName": "America/New_York",
                     "instrumentType": "EQUITY", "firstTradeDate": 1609459200, "gmtoffset": -18000,
                     "timezone": "EST", "dataGranularity": "1d", "regularMarketPrice": 12.0},
            "timestamp": [1736258400 + 86400 * i for i in range(5)],
            "indicators": {"quote": [{"open": [10.0] * 5, "high": [11.0] * 5, "low": [9.0] * 5,
                                      "close": [10.0, 10.5, 11.0, 11.5, 12.0], "volume": [1000] * 5}],
                           "adjclose": [{"adjclose": [10.0, 10.5, 11.0, 11.5, 12.0]}]}}], "error": None}}),
        json.dumps({"chart": {"result": None, "error": {"code": "Not Found",
                                                         "description": "No data found, symbol may be delisted"}}})),
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Fault)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the socket closes


class Redirect(requests.adapters.HTTPAdapter):
    """A requests transport sending every URL to one base (the fake server or a closed port)."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):  # type: ignore[override]
        from urllib.parse import urlsplit

        parts = urlsplit(request.url)
        request.url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def redirected_session(base: str) -> requests.Session:
    session = requests.Session()
    session.mount("https://", Redirect(base))
    session.mount("http://", Redirect(base))
    return session


def guard(service: str, sleeps: list[float], attempts: int = 3) -> Guard:
    policy = RetryPolicy(attempts=attempts, backoff_s=0.05, backoff_max_s=1.0, budget_s=10.0, timeout_s=TIMEOUT)
    return Guard(service, policy, sleep=lambda s: (sleeps.append(s), time.sleep(s)))


# ---- one call per service -------------------------------------------------------------------------------
def call_tavily(base: str, g: Guard) -> object:
    from consultantos_assets.sources.research import TavilyResearch

    return TavilyResearch("tvly-test", api_base_url=base, guard=g).web_documents(ACME)


def call_trends(base: str, g: Guard, monkeypatch: pytest.MonkeyPatch) -> object:
    import pytrends.request as pr

    from consultantos_assets.sources.search_interest import PyTrendsTrends

    monkeypatch.setattr(pr, "BASE_TRENDS_URL", f"{base}/trends")
    monkeypatch.setattr(pr.TrendReq, "GENERAL_URL", f"{base}/trends/api/explore")
    monkeypatch.setattr(pr.TrendReq, "INTEREST_OVER_TIME_URL", f"{base}/trends/api/widgetdata/multiline")
    return PyTrendsTrends(guard=g).trends("ACME", ["Acme"])


def call_yahoo(base: str, g: Guard, tmp_path: Path) -> object:
    import yfinance

    from consultantos_assets.sources.prices import YahooPrices

    yfinance.set_tz_cache_location(str(tmp_path / "yf-tz"))
    return YahooPrices(g, session=redirected_session(base)).daily_closes("ACME")


def call_sec(base: str, g: Guard, monkeypatch: pytest.MonkeyPatch) -> object:
    from consultantos_assets.sources.sec import EdgarFinancials
    from consultantos_assets.sources.sec_http import RateLimiter, SecClient

    monkeypatch.setenv("EDGAR_DATA_URL", base)
    client = SecClient("Jane Doe jane@example.com", g, RateLimiter(50))
    return EdgarFinancials("Jane Doe jane@example.com", client).financials(ACME)


SERVICES = {
    "Tavily": ("/search", lambda base, g, mp, tmp: call_tavily(base, g)),
    "Google Trends": ("/trends/api/", lambda base, g, mp, tmp: call_trends(base, g, mp)),
    "Yahoo Finance": ("/v8/finance/chart/", lambda base, g, mp, tmp: call_yahoo(base, g, tmp)),
    "SEC EDGAR": ("/api/xbrl/companyfacts/", lambda base, g, mp, tmp: call_sec(base, g, mp)),
}
# yfinance re-asks once itself on an HTTP error status (switching its cookie strategy) and may re-send
# a request that timed out, so one of our attempts can be up to two chart requests
REQUESTS_PER_ATTEMPT = {"Yahoo Finance": 2}


@pytest.mark.parametrize("service", list(SERVICES))
@pytest.mark.parametrize("mode", ["down", "slow", "429", "503", "malformed", "empty"])
def test_fault_matrix(service: str, mode: str, server: str, monkeypatch: pytest.MonkeyPatch,
                      tmp_path: Path) -> None:
    prefix, call = SERVICES[service]
    Fault.mode, Fault.calls = mode, []
    sleeps: list[float] = []
    g = guard(service, sleeps)
    base = closed_port() if mode == "down" else server
    start = time.monotonic()
    with pytest.raises(ServiceUnavailable if mode not in ("malformed", "empty") else Exception) as caught:
        call(base, g, monkeypatch, tmp_path)
    elapsed = time.monotonic() - start
    message = str(caught.value)
    data_calls = [p for _, p in Fault.calls if p.startswith(prefix)]
    if mode in ("down", "slow", "429", "503"):
        reason = {"down": "service unreachable", "slow": "timeout", "429": "HTTP 429", "503": "HTTP 503"}[mode]
        assert type(caught.value) is ServiceUnavailable
        assert message.startswith(f"{service}: {reason} after 3 attempts"), message
        assert g.attempts_made == 3 and len(sleeps) == 2
        if mode != "down":
            per = REQUESTS_PER_ATTEMPT.get(service, 1)
            assert 3 <= len(data_calls) <= 3 * per, data_calls
        if mode == "429":
            assert sleeps == [RETRY_AFTER, RETRY_AFTER]  # Retry-After honoured, not the backoff
        else:
            assert all(0.025 <= s <= 0.15 * 1.5 for s in sleeps)  # 0.05 then 0.1, +-50% jitter
        assert elapsed < 3 * (TIMEOUT + SLOW) + 1.5  # bounded: attempts x timeout + waits
    elif mode == "malformed":
        assert isinstance(caught.value, MalformedResponse), repr(caught.value)
        assert message.startswith(f"{service}: malformed response"), message
        assert g.attempts_made == 1 and sleeps == []  # never retried
    else:
        assert isinstance(caught.value, NoData), repr(caught.value)
        assert message.startswith(f"{service}: no data for this company"), message
        assert sleeps == []


def test_budget_stops_retries_before_the_attempts_run_out(server: str) -> None:
    Fault.mode, Fault.calls = "503", []
    sleeps: list[float] = []
    g = Guard("Tavily", RetryPolicy(attempts=10, backoff_s=0.2, backoff_max_s=0.2, budget_s=1.0, timeout_s=TIMEOUT),
              sleep=lambda s: (sleeps.append(s), time.sleep(s)))
    start = time.monotonic()
    with pytest.raises(ServiceUnavailable, match=r"Tavily: HTTP 503 after \d attempts"):
        call_tavily(server, g)
    assert g.attempts_made < 10 and time.monotonic() - start < 1.0 + TIMEOUT


def test_retry_after_is_capped(server: str) -> None:
    Fault.mode = "429"
    sleeps: list[float] = []
    g = Guard("Tavily", RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.1, budget_s=5, timeout_s=TIMEOUT),
              sleep=sleeps.append)
    with pytest.raises(ServiceUnavailable, match="HTTP 429 after 2 attempts"):
        call_tavily(server, g)
    assert sleeps == [0.1]  # the server asked for 0.3 s; the cap is 0.1


# ---- SEC identity and rate limit -----------------------------------------------------------------------
def test_sec_without_identity_is_missing_key() -> None:
    from consultantos_assets.sources.base import MissingKey
    from consultantos_assets.sources.sec import EdgarFinancials

    with pytest.raises(MissingKey, match=r"SEC EDGAR: missing key: .*EDGAR_IDENTITY"):
        EdgarFinancials(None).financials(ACME)


def test_sec_requests_carry_identity_and_respect_the_rate_limit() -> None:
    """SEC allows 10 requests per second (https://www.sec.gov/os/accessing-edgar-data). The limiter
    releases each request at its own slot, 1/rate apart: its schedule is checked exactly on its own
    clock, since the moments the threads wake up and reach the transport carry the machine's
    scheduling delay (a thread woken late shortens the gap after it, never the schedule)."""
    import httpx

    from consultantos_assets.sources.sec_http import RateLimiter, SecClient

    class RecordingLimiter(RateLimiter):
        """Records each acquisition's slot: the time it is released at, on the limiter's clock."""

        def __init__(self, per_second: float) -> None:
            super().__init__(per_second, clock=self._read_clock, sleep=self._sleep_until_slot)
            self.slots: list[float] = []
            self._read = threading.local()  # the clock reading each thread's slot was computed from

        def _read_clock(self) -> float:
            self._read.now = time.monotonic()
            return self._read.now

        def _sleep_until_slot(self, seconds: float) -> None:
            self.slots.append(self._read.now + seconds)
            time.sleep(seconds)

    stamps: list[float] = []
    agents: set[str] = set()

    def answer(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        agents.add(request.headers["User-Agent"])
        return httpx.Response(200, json={"filings": {"recent": {}}})

    limiter = RecordingLimiter(10)
    client = SecClient("Jane Doe jane@example.com", Guard("SEC EDGAR"), limiter, httpx.MockTransport(answer))
    threads = [threading.Thread(target=client.submissions, args=(320193,)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    assert agents == {"Jane Doe jane@example.com"} and len(stamps) == 12
    # every request but the first waited for its slot; the slots are 0.1 s apart, so at most 10 fall
    # in any one-second window
    slots = sorted(limiter.slots)
    assert len(slots) == 11
    assert all(abs((b - a) - 0.1) < 1e-9 for a, b in zip(slots, slots[1:], strict=False))
    # and the requests really waited: the last cannot reach the server before its slot
    assert stamps[-1] >= slots[-1] and stamps[-1] - stamps[0] >= 1.0


def test_sec_rate_limit_setting_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from consultantos_assets.settings import ConfigError, SourceFaultSettings

    assert SourceFaultSettings.from_env({"EDGAR_RATE_LIMIT_PER_SEC": "2"}).sec_rate_per_sec == 2
    with pytest.raises(ConfigError, match="10 requests per second"):
        SourceFaultSettings.from_env({"EDGAR_RATE_LIMIT_PER_SEC": "25"})


# ---- circuit breaker -----------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 14, 22, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_breaker_opens_skips_half_opens_and_closes(server: str, tmp_path: Path) -> None:
    clock = Clock()
    store = JsonBreakerStore(tmp_path / "state" / "breakers.json")

    def make() -> Guard:  # a fresh guard per "run", sharing only the store
        b = CircuitBreaker("Tavily", store, threshold=3, cooldown=timedelta(minutes=10), clock=clock)
        return Guard("Tavily", RetryPolicy(attempts=1, timeout_s=TIMEOUT), b)

    Fault.mode, Fault.calls = "503", []
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            call_tavily(server, make())
    assert len(Fault.calls) == 3
    g = make()
    with pytest.raises(CircuitOpen, match=r"Tavily: skipped, circuit breaker open until 14:32 UTC after 3 failures "
                                          r"\(HTTP 503\)"):
        call_tavily(server, g)
    assert len(Fault.calls) == 3  # skipped without a request
    clock.now += timedelta(minutes=10, seconds=1)
    Fault.mode = "ok"
    assert call_tavily(server, make())  # the half-open trial (first query) succeeds, the others follow
    assert len(Fault.calls) == 3 + 3 and store.states()["Tavily"].status(clock.now) == "closed"


def test_half_open_trial_failure_reopens(server: str, tmp_path: Path) -> None:
    clock = Clock()
    store = JsonBreakerStore(tmp_path / "breakers.json")
    b = CircuitBreaker("Tavily", store, threshold=1, cooldown=timedelta(minutes=10), clock=clock)
    g = Guard("Tavily", RetryPolicy(attempts=1, timeout_s=TIMEOUT), b)
    Fault.mode = "503"
    with pytest.raises(ServiceUnavailable):
        call_tavily(server, g)
    clock.now += timedelta(minutes=11)
    with pytest.raises(ServiceUnavailable, match="HTTP 503 after 1 attempt"):
        call_tavily(server, g)  # the trial
    assert store.states()["Tavily"].open_until == clock.now + timedelta(minutes=10)


def test_breaker_store_survives_concurrent_processes(tmp_path: Path) -> None:
    """Eight processes record 25 failures each on one store: every update lands, the file stays valid JSON."""
    import multiprocessing

    path = tmp_path / "breakers.json"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_record_failures, args=(str(path), 25)) for _ in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert JsonBreakerStore(path).states()["SEC EDGAR"].failures == 200


def _record_failures(path: str, n: int) -> None:
    from consultantos_assets.sources.breaker import BreakerState

    store = JsonBreakerStore(path)
    for _ in range(n):
        store.update("SEC EDGAR", lambda s: BreakerState(s.service, s.failures + 1, "HTTP 503"))


# ---- through Dagster -----------------------------------------------------------------------------------
@pytest.fixture
def dagster_env(offline_env: Path, server: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Auto mode with a Tavily key pointed at the fake server; everything else from the bundled snapshot."""
    monkeypatch.setenv("CONSULTANTOS_MODE", "auto")
    monkeypatch.setenv("TAVILY_API_KEY", "tvly-test")
    monkeypatch.setenv("CONSULTANTOS_EMBEDDER", "lexical")
    monkeypatch.setenv("CONSULTANTOS_ANALYST", "rules")
    monkeypatch.setenv("CONSULTANTOS_SOURCE_TIMEOUT_S", str(TIMEOUT))
    monkeypatch.setenv("CONSULTANTOS_SOURCE_ATTEMPTS", "2")
    monkeypatch.setenv("CONSULTANTOS_SOURCE_BACKOFF_S", "0.05")
    monkeypatch.setenv("CONSULTANTOS_BREAKER_FAILURES", "2")
    import consultantos_assets.sources.registry as registry
    import consultantos_assets.sources.research as research

    live_hosts = {"api.tavily.com", "trends.google.com"}
    monkeypatch.setattr(registry, "reachable", lambda host, port=443, timeout=1.5: host in live_hosts)
    import pytrends.request as pr

    monkeypatch.setattr(pr, "BASE_TRENDS_URL", f"{server}/trends")
    monkeypatch.setattr(pr.TrendReq, "GENERAL_URL", f"{server}/trends/api/explore")
    monkeypatch.setattr(pr.TrendReq, "INTEREST_OVER_TIME_URL", f"{server}/trends/api/widgetdata/multiline")
    original = research.TavilyResearch.__init__

    def to_fake(self, *args, **kwargs):
        kwargs["api_base_url"] = server
        original(self, *args, **kwargs)

    monkeypatch.setattr(research.TavilyResearch, "__init__", to_fake)
    from consultantos_assets.defs.resources import common as resources

    resources._serve_for.cache_clear()
    return offline_env


def _materialize(selection: list[str], ticker: str = "AAPL", raise_on_error: bool = True):
    import dagster as dg

    from consultantos_assets.cli import open_instance
    from consultantos_assets.defs import build_definitions
    from consultantos_assets.defs.partitions import add_companies

    instance = open_instance()
    add_companies(instance, [ticker])
    job = build_definitions().resolve_job_def("company_report")
    return job.execute_in_process(instance=instance, partition_key=ticker, raise_on_error=raise_on_error,
                                  asset_selection=[dg.AssetKey(a) for a in selection])


def _meta(result, asset: str) -> dict:
    [mat] = [m for m in result.asset_materializations_for_node(asset)]
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


ALL = ["company_profile", "company_research", "market_trends", "financials", "peers", "peer_figures", "evidence", "research_index",
       "porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis", "insight_index", "report_pdf"]


def _without_refresh_fault(stored: Path) -> dict:
    envelope = json.loads(stored.read_text(encoding="utf-8"))
    for key in ("refresh_fault", "refresh_failed_at"):
        envelope["value"]["provenance"].pop(key, None)
    return envelope


def test_refresh_faults_ride_on_the_value_outside_its_data_version() -> None:
    """A kept value carries its refresh fault on its provenance (the price part's on the price
    provenance); the data version ignores it, and the report turns it into a provenance note."""
    from consultantos_assets.defs.company_graph import VOLATILE
    from consultantos_assets.defs.report_assets import _with_refresh_notes
    from consultantos_assets.defs.source_assets import _with_refresh_fault
    from consultantos_assets.models import Financials, Provenance, content_hash
    from consultantos_assets.sources.collect import SourceOutcome

    stored = Financials(ticker="ACME", provenance=Provenance(provider="sec-edgar", mode="live"),
                        price_provenance=Provenance(provider="yfinance", mode="live"))
    fault = "Yahoo Finance: HTTP 429 after 4 attempts (38 s)"
    fresh = [SourceOutcome("SEC company facts", "live", "sec-edgar"), SourceOutcome("Share prices", "live", "yfinance", part="prices")]
    assert _with_refresh_fault(stored, fresh) is stored
    kept = _with_refresh_fault(stored, [SourceOutcome("SEC company facts", "live", "sec-edgar"),
                                        SourceOutcome("Share prices", "last_good", "last good value", fault, part="prices")])
    assert stored.provenance.refresh_fault is None  # the stored value itself is untouched
    assert kept.provenance.refresh_fault == kept.price_provenance.refresh_fault == fault
    assert content_hash(kept, exclude=VOLATILE) == content_hash(stored, exclude=VOLATILE)
    assert content_hash(stored) == content_hash(Financials.model_validate_json(stored.model_dump_json()))
    assert "refresh_fault" not in stored.model_dump(mode="json")["provenance"]  # unset: not serialized

    [noted] = _with_refresh_notes(Financials.model_validate_json(kept.model_dump_json()))
    when = kept.provenance.refresh_failed_at.strftime("%Y-%m-%d %H:%M UTC")
    note = f"refresh of {when} failed ({fault}); the last good value is shown"
    assert noted.provenance.notes == [note] and noted.price_provenance.notes == [note]
    sec_down = _with_refresh_fault(stored, [SourceOutcome("SEC company facts", "last_good", "last good value", "SEC"),
                                            SourceOutcome("Share prices", "live", "yfinance", part="prices")])
    assert sec_down.provenance.refresh_fault == "SEC" and sec_down.price_provenance.refresh_fault is None


def test_failed_refresh_keeps_last_good_value_and_breaker_skips_the_service(dagster_env: Path, server: str) -> None:
    from consultantos_assets.cli import main

    Fault.mode, Fault.calls = "ok", []
    first = _materialize(["company_profile", "company_research"])
    meta = _meta(first, "company_research")
    assert meta["served_from"] == "live" and meta["provider"] == "tavily" and meta["fault"] == "none"
    stored = dagster_env / "assets" / "company_research" / "AAPL.json"
    before = json.loads(stored.read_text(encoding="utf-8"))
    assert "refresh_fault" not in before["value"]["provenance"]

    Fault.mode, Fault.calls = "503", []
    second = _materialize(["company_research"])
    meta2 = _meta(second, "company_research")
    # a failed refresh never replaces good data: the value kept is the same, its provenance says why
    assert _without_refresh_fault(stored) == before
    kept = json.loads(stored.read_text(encoding="utf-8"))["value"]["provenance"]
    assert kept["refresh_fault"] == meta2["fault"] and kept["refresh_failed_at"]
    assert meta2["served_from"] == "last_good"
    assert meta2["fault"].startswith("Tavily: HTTP 503 after 2 attempts")
    assert meta2["data_version"] == meta["data_version"] and meta2["as_of"] == meta["as_of"]
    assert len(Fault.calls) == 2

    third = _materialize(["company_research"])  # second failure: the breaker opens (threshold 2)
    assert "open until" in _meta(third, "company_research")["breaker"]
    Fault.calls = []
    fourth = _materialize(["company_research"])  # skipped without a request
    meta4 = _meta(fourth, "company_research")
    assert Fault.calls == [] and meta4["served_from"] == "last_good"
    assert "circuit breaker open until" in meta4["fault"] and _without_refresh_fault(stored) == before
    assert json.loads(stored.read_text(encoding="utf-8"))["value"]["provenance"]["refresh_fault"] == meta4["fault"]
    assert main(["breakers"]) == 0
    assert main(["breakers", "--reset", "tavily"]) == 0


def test_a_failed_profile_lookup_keeps_the_stored_profile_and_without_one_fails_clearly(
        dagster_env: Path, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The company is looked up once per run (company_profile). When the live SEC directory fails, the
    profile the last run stored is kept exactly, its provenance says why and its data version stays, so
    nothing downstream reruns; with no stored profile the step fails naming the company and the fault."""
    import consultantos_assets.sources.registry as registry
    from consultantos_assets.defs.resources import common as resources
    from consultantos_assets.settings import BUNDLED_SNAPSHOT

    first = _materialize(["company_profile"])  # SEC unreachable in this fixture: the bundled snapshot
    meta = _meta(first, "company_profile")
    assert meta["served_from"] == "snapshot" and meta["company"] == "Apple Inc."
    stored = dagster_env / "assets" / "company_profile" / "AAPL.json"
    before = json.loads(stored.read_text(encoding="utf-8"))
    with open(BUNDLED_SNAPSHOT / "sec_edgar" / "submissions" / "CIK0000320193.json", encoding="utf-8") as f:
        submissions = json.load(f)  # SEC's own payload: the profile's CIK and name are SEC's
    assert before["value"]["profile"]["cik"] == int(submissions["cik"]) == 320193
    assert before["value"]["profile"]["name"].lower() == submissions["name"].lower()

    # the SEC directory live (identity set, host answering), pointed at the fake server answering 503
    monkeypatch.setenv("EDGAR_IDENTITY", "Jane Doe jane@example.com")
    monkeypatch.setenv("EDGAR_DATA_URL", server)
    monkeypatch.setenv("EDGAR_BASE_URL", server)
    monkeypatch.setattr(registry, "reachable", lambda host, port=443, timeout=1.5: True)
    resources._serve_for.cache_clear()
    Fault.mode, Fault.calls = "503", []
    second = _materialize(["company_profile"])
    meta2 = _meta(second, "company_profile")
    assert Fault.calls, "the live directory was asked"
    assert meta2["served_from"] == "last_good" and meta2["fault"].startswith("SEC EDGAR: HTTP 503 after 2 attempts")
    assert meta2["data_version"] == meta["data_version"]
    assert _without_refresh_fault(stored) == before  # the stored profile is kept as it was
    kept = json.loads(stored.read_text(encoding="utf-8"))["value"]["provenance"]
    assert kept["refresh_fault"] == meta2["fault"] and kept["refresh_failed_at"]

    # nothing stored (a new home) and live only: the step fails, saying which company and why
    other = tmp_path / "other-home"
    monkeypatch.setenv("CONSULTANTOS_MODE", "live")
    monkeypatch.setenv("CONSULTANTOS_HOME", str(other))
    monkeypatch.setenv("DAGSTER_HOME", str(other / "dagster"))
    resources._serve_for.cache_clear()
    failed = _materialize(["company_profile"], raise_on_error=False)
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith("AAPL: the company could not be looked up (SEC EDGAR: HTTP 503 after 2 attempts")
    assert not (other / "assets" / "company_profile" / "AAPL.json").exists()


def test_one_source_down_still_reports_the_gap_with_lower_confidence(dagster_env: Path, server: str,
                                                                     tmp_path: Path, monkeypatch) -> None:
    Fault.mode = "ok"
    healthy = _materialize(ALL)
    healthy_conf = _meta(healthy, "synthesis")["confidence"]

    import shutil

    from consultantos_assets.settings import BUNDLED_SNAPSHOT

    other = tmp_path / "other-home"  # nothing stored there, and a snapshot without search-interest data
    snapshot = tmp_path / "snapshot"
    shutil.copytree(BUNDLED_SNAPSHOT, snapshot, ignore=shutil.ignore_patterns("google_trends"))
    monkeypatch.setenv("CONSULTANTOS_SNAPSHOT_DIR", str(snapshot))
    monkeypatch.setenv("CONSULTANTOS_HOME", str(other))
    monkeypatch.setenv("DAGSTER_HOME", str(other / "dagster"))
    from consultantos_assets.defs.resources import common as resources

    resources._serve_for.cache_clear()
    Fault.mode = "503"
    degraded = _materialize(ALL)
    assert _meta(healthy, "market_trends")["served_from"] == "live"
    research = _meta(degraded, "company_research")  # auto mode: the snapshot stands in, the fault is named
    assert research["served_from"] == "snapshot" and research["fault"].startswith("Tavily: HTTP 503 after 2 attempts")
    trends = _meta(degraded, "market_trends")  # no stored value, no snapshot series: the gap
    assert trends["served_from"] == "none" and trends["fault"].startswith("Google Trends: HTTP 503 after 2 attempts")
    assert _meta(degraded, "synthesis")["confidence"] < healthy_conf
    markdown = (other / "reports" / "AAPL" / "AAPL_report.md").read_text()
    assert "Search-interest data unavailable: Google Trends: HTTP 503 after 2 attempts" in markdown


def test_nothing_gathered_fails_with_one_line_per_source() -> None:
    import dagster as dg

    from consultantos_assets.defs.evidence_assets import require_gathered
    from consultantos_assets.models import CompanyResearch, Financials, MarketTrends, Provenance

    research = CompanyResearch(ticker="ACME", profile=ACME, documents=[], provenance=Provenance(
        provider="none", mode="live", notes=["Web research unavailable: Tavily: HTTP 503 after 4 attempts (9 s)"]))
    trends = MarketTrends(ticker="ACME", keywords=["Acme"], missing=["Acme"], provenance=Provenance(
        provider="none", mode="live", notes=["Search-interest data unavailable: Google Trends: timeout after 4 "
                                             "attempts (80 s)"]))
    fin = Financials(ticker="ACME", gaps=["Share prices unavailable: Yahoo Finance: HTTP 429 after 4 attempts (38 s)"],
                     provenance=Provenance(provider="none", mode="live",
                                           notes=["SEC EDGAR: missing key: SEC requires an identity"]))
    with pytest.raises(dg.Failure) as caught:
        require_gathered(research, trends, fin)
    text = caught.value.description
    assert text.startswith("Nothing could be gathered for ACME")
    for line in ("- Web research: Web research unavailable: Tavily: HTTP 503",
                 "- Google Trends: Search-interest data unavailable: Google Trends: timeout",
                 "- SEC company facts: SEC EDGAR: missing key", "- Share prices: Share prices unavailable: Yahoo"):
        assert line in text
