"""The one retry policy of every live provider, and the guard that applies it with the breaker (no dagster).

Provider code turns each failed request into either

* `Transient` (service down, timed out, HTTP 429, HTTP 5xx): retried with exponential backoff and
  +-50% jitter, `Retry-After` honoured up to `backoff_max_s`; a further try starts only when it can
  finish within the total budget at the request timeout; after the last try the guard raises
  `ServiceUnavailable("<Service>: HTTP 429 after 4 attempts (38 s)")` and counts one breaker failure;
* `MalformedResponse` (an answer that cannot be read): raised at once, never retried;
* `NoData` (the service answered, nothing for this company): raised at once; it is an answer, so the
  breaker's failure count is reset;
* `MissingKey` (no key or identity configured): raised at once, no request is made.

Providers whose client retries on its own are not wrapped twice: the client is configured not to
(pytrends' urllib3 Retry stays off; yfinance's `network.retries` stays 0; edgartools' network
layer is not used for live SEC requests, see `sec_http`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import TypeVar

from ..settings import RetrySettings, SourceFaultSettings
from .base import CircuitOpen, MissingKey, NoData, ServiceUnavailable
from .breaker import BreakerStore, CircuitBreaker

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class Transient(Exception):
    """One failed request worth retrying; `reason` is what the user reads ("HTTP 503", "timeout")."""

    def __init__(self, reason: str, retry_after: float | None = None, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header: delta seconds or an HTTP date; None when absent or unreadable."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def http_transient(status: int, headers: object | None = None) -> Transient | None:
    """The Transient for a retryable HTTP status (None for any other status)."""
    if status not in RETRYABLE_STATUS:
        return None
    get = getattr(headers, "get", None)
    after = retry_after_seconds(get("Retry-After")) if get else None
    return Transient(f"HTTP {status}", retry_after=after, status=status)


def network_transient(exc: BaseException) -> Transient | None:
    """Timeouts and refused/reset connections of requests, httpx, curl_cffi or the socket layer."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"Timeout", "TimeoutError", "ReadTimeout", "ConnectTimeout", "TimeoutException", "WriteTimeout",
                "PoolTimeout"} or "timed out" in str(exc).lower():
        return Transient("timeout")
    if names & {"ConnectionError", "ConnectError", "ConnectionRefusedError", "ConnectionResetError",
                "RemoteProtocolError", "NetworkError", "ProxyError", "ChunkedEncodingError"}:
        return Transient("service unreachable")
    return None


@dataclass(frozen=True)
class RetryPolicy(RetrySettings):
    """The retry settings (settings.RetrySettings) and the waits between tries they give."""

    @classmethod
    def from_settings(cls, s: RetrySettings) -> RetryPolicy:
        return cls(**{f.name: getattr(s, f.name) for f in fields(RetrySettings)})

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Wait before try `attempt + 1` (attempt counts from 1)."""
        if retry_after is not None:
            return min(retry_after, self.backoff_max_s)
        base = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))
        return base * rng.uniform(0.5, 1.5)


@dataclass
class Guard:
    """Retries, timeouts and the circuit breaker for one service (one per service and process)."""

    service: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    attempts_made: int = 0  # requests sent by the last call (tests and metadata)

    @property
    def timeout(self) -> float:
        return self.policy.timeout_s

    def call(self, request: Callable[[], T]) -> T:
        """Run `request` under the policy; see the module docstring for what is retried."""
        if self.breaker is not None:
            self.breaker.before_call()
        start = self.clock()
        self.attempts_made = 0
        last: Transient | None = None
        for attempt in range(1, self.policy.attempts + 1):
            self.attempts_made = attempt
            try:
                result = request()
            except Transient as exc:
                last = exc
            except NoData:
                self._answered()
                raise
            except (MissingKey, ServiceUnavailable):
                raise
            else:
                self._answered()
                return result
            if attempt == self.policy.attempts:
                break
            wait = self.policy.delay(attempt, last.retry_after, self.rng)
            elapsed = self.clock() - start
            if elapsed + wait + self.policy.timeout_s > self.policy.budget_s:
                log.warning("%s: %s; no time left in the %.0f s budget for another try", self.service, last.reason,
                            self.policy.budget_s)
                break
            log.warning("%s: %s; try %d of %d in %.1f s", self.service, last.reason, attempt + 1,
                        self.policy.attempts, wait)
            self.sleep(wait)
        assert last is not None
        elapsed = self.clock() - start
        n = self.attempts_made
        fault = f"{self.service}: {last.reason} after {n} attempt{'s' if n != 1 else ''} ({elapsed:.0f} s)"
        if self.breaker is not None:
            self.breaker.record_failure(last.reason)
        raise ServiceUnavailable(fault, source=self.service)

    def _answered(self) -> None:
        if self.breaker is not None:
            self.breaker.record_success()

    def breaker_status(self) -> str | None:
        """The breaker's state in words when it is not plainly closed, else None."""
        if self.breaker is None:
            return None
        text = self.breaker.describe()
        return None if text == "closed" else text


def make_guard(service: str, store: BreakerStore | None, settings: SourceFaultSettings | None = None) -> Guard:
    """A guard from the environment's settings; its breaker state is shared through `store` (the profile's:
    `<home>/state/breakers.json` locally, PostgreSQL in production); None: no breaker."""
    s = settings or SourceFaultSettings.from_env()
    breaker = None
    if store is not None:
        breaker = CircuitBreaker(service, store, threshold=s.breaker_failures,
                                 cooldown=s.breaker_cooldown,
                                 trial_window=max(s.breaker_cooldown / 5, timedelta(seconds=s.budget_s)))
    return Guard(service, RetryPolicy.from_settings(s), breaker)


__all__ = ["CircuitOpen", "Guard", "RetryPolicy", "Transient", "http_transient", "make_guard", "network_transient",
           "retry_after_seconds"]
