"""Live SEC EDGAR requests: identity, rate limit, timeout and retries in one place (no dagster).

SEC asks every client for a User-Agent naming a person or company and an e-mail address, and allows at
most 10 requests per second. Every live SEC request of this package (ticker map, submissions, company
facts) goes through `SecClient`: the User-Agent is EDGAR_IDENTITY, a process-wide limiter spaces
requests to EDGAR_RATE_LIMIT_PER_SEC (default 9; values above 10 are refused), and each request runs
under the shared retry policy and circuit breaker. The payloads are parsed by edgartools and by the same
code that reads a snapshot, so live and offline data take one path from the JSON on.

EDGAR_DATA_URL / EDGAR_BASE_URL point the client at a mirror (or a test server).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from .base import MalformedResponse, MissingKey, NoData
from .retry import Guard, http_transient, network_transient

SERVICE = "SEC EDGAR"


def check_identity(identity: str | None) -> str:
    """EDGAR_IDENTITY as SEC wants it ("Name email"), or MissingKey saying how to set it."""
    text = (identity or "").strip()
    if not text or "@" not in text or len(text.split()) < 2:
        raise MissingKey(
            f"{SERVICE}: missing key: SEC requires an identity; set EDGAR_IDENTITY to your name and e-mail "
            "address, e.g. EDGAR_IDENTITY='Jane Doe jane@example.com' (or run offline)",
            source=SERVICE,
        )
    return text


class RateLimiter:
    """At most `per_second` acquisitions per second in this process (evenly spaced, thread-safe)."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / per_second
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


_LIMITERS: dict[float, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def process_limiter(per_second: float) -> RateLimiter:
    """One limiter per rate per process, shared by every SecClient in it."""
    with _LIMITERS_LOCK:
        if per_second not in _LIMITERS:
            _LIMITERS[per_second] = RateLimiter(per_second)
        return _LIMITERS[per_second]


def data_url() -> str:
    return os.environ.get("EDGAR_DATA_URL", "https://data.sec.gov").rstrip("/")


def base_url() -> str:
    return os.environ.get("EDGAR_BASE_URL", "https://www.sec.gov").rstrip("/")


class SecClient:
    """GET JSON from SEC with identity, rate limit, timeout, retries and the breaker."""

    def __init__(self, identity: str | None, guard: Guard, limiter: RateLimiter, transport: Any = None):
        self.identity = (identity or "").strip() or None
        self.guard = guard
        self.limiter = limiter
        self.transport = transport  # an httpx transport (tests inject one); None = the network
        self._client: Any = None

    def _http(self) -> Any:
        import httpx

        if self._client is None:
            self._client = httpx.Client(
                transport=self.transport, follow_redirects=True,
                timeout=httpx.Timeout(self.guard.timeout),
                headers={"User-Agent": check_identity(self.identity), "Accept-Encoding": "gzip, deflate"},
            )
        return self._client

    def get_json(self, url: str, what: str) -> Any:
        """The JSON at `url`; NoData on 404, MalformedResponse on unreadable JSON."""
        client = self._http()

        def request() -> Any:
            self.limiter.acquire()
            try:
                response = client.get(url)
            except Exception as exc:  # noqa: BLE001 - classified below
                transient = network_transient(exc)
                if transient is None:
                    raise MalformedResponse(f"{SERVICE}: request for {what} failed ({type(exc).__name__}: "
                                            f"{str(exc)[:160]})", source=SERVICE) from None
                raise transient from None
            if response.status_code == 404:
                raise NoData(f"{SERVICE}: no data for this company ({what} not found)", source=SERVICE)
            transient = http_transient(response.status_code, response.headers)
            if transient is not None:
                raise transient
            if response.status_code in (401, 403):
                raise MissingKey(f"{SERVICE}: HTTP {response.status_code} refused the request; SEC blocks clients "
                                 "without a valid EDGAR_IDENTITY or above 10 requests/s", source=SERVICE)
            if response.status_code != 200:
                raise MalformedResponse(f"{SERVICE}: unexpected HTTP {response.status_code} for {what}",
                                        source=SERVICE)
            try:
                return response.json()
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                raise MalformedResponse(f"{SERVICE}: malformed response for {what} (not JSON)",
                                        source=SERVICE) from None

        return self.guard.call(request)

    def companyfacts(self, cik: int) -> dict:
        payload = self.get_json(f"{data_url()}/api/xbrl/companyfacts/CIK{int(cik):010d}.json", "company facts")
        if not isinstance(payload, dict) or "facts" not in payload:
            raise MalformedResponse(f"{SERVICE}: malformed response for company facts (no 'facts' object)",
                                    source=SERVICE)
        return payload

    def submissions(self, cik: int) -> dict:
        payload = self.get_json(f"{data_url()}/submissions/CIK{int(cik):010d}.json", "submissions")
        if not isinstance(payload, dict) or not isinstance(payload.get("filings"), dict):
            raise MalformedResponse(f"{SERVICE}: malformed response for submissions (no 'filings' object)",
                                    source=SERVICE)
        return payload

    def ticker_map(self) -> dict:
        payload = self.get_json(f"{base_url()}/files/company_tickers.json", "the ticker list")
        if not isinstance(payload, dict):
            raise MalformedResponse(f"{SERVICE}: malformed response for the ticker list", source=SERVICE)
        return payload

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
