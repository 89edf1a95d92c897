"""Circuit breakers per live service, shared by every run process through a small store (no dagster).

A service whose requests keep failing after their retries (down, timing out, rate-limited, 5xx) is
skipped for a cool-down instead of being asked again by every run:

    closed     calls go through; each call that fails after its retries adds one to `failures`,
               any answer (data or "no data") resets it
    open       `failures` reached the threshold: calls are refused until `open_until`
    half-open  after the cool-down one process claims a single trial call (`trial_until`); its
               success closes the breaker, its failure opens it for another cool-down

The state lives behind `BreakerStore` (read-modify-write of one service's record under a lock); the
resources hand the profile's store to the providers (Settings.breakers, picked in defs/resources):

    local       JsonBreakerStore: `<storage root>/state/breakers.json` under a file lock, shared by every
                process on the machine
    production  PostgresBreakerStore: one row per service in the table consultantos_breakers of the
                database that holds the LLM cost ledger (CONSULTANTOS_LEDGER_DSN, else DAGSTER_PG_*),
                shared by every machine that runs steps
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ..atomic import atomic_write_text
from .base import CircuitOpen

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class BreakerState:
    service: str
    failures: int = 0
    last_fault: str | None = None
    open_until: datetime | None = None
    trial_until: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.open_until is not None and now < self.open_until

    def status(self, now: datetime) -> str:
        """closed | open | half-open | trial (a half-open trial call is under way)."""
        if self.open_until is None:
            return "closed"
        if now < self.open_until:
            return "open"
        if self.trial_until is not None and now < self.trial_until:
            return "trial"
        return "half-open"

    def describe(self, now: datetime) -> str:
        status = self.status(now)
        cause = f" ({self.last_fault})" if self.last_fault else ""
        if status == "open":
            return (f"open until {self.open_until:%H:%M} UTC after {self.failures} failure"  # type: ignore[str-format]
                    f"{'s' if self.failures != 1 else ''}{cause}")
        if status == "trial":
            return f"half-open: one trial call under way after {self.failures} failures{cause}"
        if status == "half-open":
            return f"half-open: the next call is a trial after {self.failures} failures{cause}"
        if self.failures:
            return f"closed, {self.failures} recent failure{'s' if self.failures != 1 else ''}{cause}"
        return "closed"

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("open_until", "trial_until"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> BreakerState:
        def when(value: object) -> datetime | None:
            return datetime.fromisoformat(value) if isinstance(value, str) and value else None

        return cls(service=str(data.get("service") or ""), failures=int(data.get("failures") or 0),
                   last_fault=data.get("last_fault") or None, open_until=when(data.get("open_until")),
                   trial_until=when(data.get("trial_until")))


class BreakerStoreUnavailable(RuntimeError):
    """The shared breaker state cannot be read or written now (its database is unreachable or busy)."""


class BreakerStore(Protocol):
    """Where breaker state lives; `update` must be atomic across processes. A store that can be
    unreachable raises BreakerStoreUnavailable (CircuitBreaker then lets the call go ahead)."""

    @property
    def location(self) -> str:
        """Where the state is kept, in words (never a secret)."""
        ...

    def update(self, service: str, change: Callable[[BreakerState], BreakerState]) -> BreakerState:
        """Apply `change` to the service's state (a closed state when none is stored) and store it."""
        ...

    def states(self) -> dict[str, BreakerState]:
        """Every stored state, by service."""
        ...


class JsonBreakerStore:
    """One JSON file under a file lock; concurrent processes queue on the lock and never see a torn file."""

    def __init__(self, path: str | Path, lock_timeout_s: float = 30.0):
        self.path = Path(path)
        self.lock_timeout_s = lock_timeout_s

    @property
    def location(self) -> str:
        return str(self.path)

    def _lock(self):
        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path) + ".lock", timeout=self.lock_timeout_s)

    def _read(self) -> dict[str, BreakerState]:
        if not self.path.is_file():
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # unreadable state must not stop the pipeline
            log.warning("breaker state %s is unreadable (%s); starting from closed breakers", self.path, exc)
            return {}
        return {k: BreakerState.from_json(v) for k, v in raw.items() if isinstance(v, dict)}

    def update(self, service: str, change: Callable[[BreakerState], BreakerState]) -> BreakerState:
        with self._lock():
            states = self._read()
            old = states.get(service) or BreakerState(service)
            new = change(old)
            if new == old and service in states or new == BreakerState(service) and service not in states:
                return new  # nothing changed: no write
            states[service] = new
            atomic_write_text(self.path, json.dumps({k: v.to_json() for k, v in sorted(states.items())}, indent=1))
            return new

    def states(self) -> dict[str, BreakerState]:
        with self._lock():
            return self._read()


class PostgresBreakerStore:
    """One row per service in PostgreSQL (table consultantos_breakers, created if missing), shared by
    every process on every machine; the same semantics as JsonBreakerStore.

    `update` is one transaction: the service's row is inserted if missing (INSERT ... ON CONFLICT DO
    NOTHING, so two first writers do not collide), locked with SELECT ... FOR UPDATE, changed and
    written; concurrent updates of a service queue on the row lock, so none is lost and one half-open
    trial is claimed by exactly one process. A row inserted only to be locked is deleted again when the
    change leaves the state closed, so, as in the JSON file, only services that have failed have a row.

    Waiting is bounded: `connect_timeout_s` to connect, `lock_timeout_s` for the row lock and
    `statement_timeout_s` per statement, TCP keepalives against a server that vanished mid-call. When
    the database cannot be reached (or a bound is hit) the store raises BreakerStoreUnavailable, and
    for `retry_after_s` afterwards raises it at once without another connection attempt, so a run does
    not pay the connect timeout on every request. CircuitBreaker treats that as a closed breaker for
    the call (logged as a warning): the run goes on; a database outage never fails it by itself.
    One short connection per call (like the LLM ledger): breaker calls are a few per live request, and
    no connection is shared across the forked step processes.
    """

    TABLE = "consultantos_breakers"
    _COLUMNS = "failures, last_fault, open_until, trial_until"

    def __init__(self, dsn: str, connect_timeout_s: int = 3, lock_timeout_s: float = 5.0,
                 statement_timeout_s: float = 10.0, retry_after_s: float = 30.0):
        self.dsn = dsn
        self.connect_timeout_s = max(2, int(connect_timeout_s))  # libpq's shortest effective timeout
        self.lock_timeout_s = lock_timeout_s
        self.statement_timeout_s = statement_timeout_s
        self.retry_after_s = retry_after_s
        self._ready = False
        self._down_until = 0.0
        self._down_reason = ""

    def __repr__(self) -> str:  # never the DSN: it may hold a password
        return f"{type(self).__name__}(table={self.TABLE})"

    @property
    def location(self) -> str:
        from psycopg2.extensions import parse_dsn

        try:
            parts = parse_dsn(self.dsn)
        except Exception:  # noqa: BLE001 - a description only; connecting reports a bad DSN
            parts = {}
        where = "/".join(p for p in (parts.get("host"), parts.get("dbname")) if p)
        return f"PostgreSQL table {self.TABLE}" + (f" ({where})" if where else "")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        import psycopg2

        if time.monotonic() < self._down_until:
            raise BreakerStoreUnavailable(f"breaker database unreachable ({self._down_reason}); "
                                          f"next attempt in {self._down_until - time.monotonic():.0f} s")
        try:
            con = psycopg2.connect(self.dsn, connect_timeout=self.connect_timeout_s, keepalives=1,
                                   keepalives_idle=5, keepalives_interval=2, keepalives_count=2,
                                   tcp_user_timeout=int((self.statement_timeout_s + 5) * 1000),
                                   application_name="consultantos-breakers")
        except psycopg2.OperationalError as exc:  # the message names host and database, never the password
            self._down(exc)
            raise BreakerStoreUnavailable(f"breaker database unreachable: {self._down_reason}") from None
        try:
            with con, con.cursor() as cur:  # one transaction: committed on success, rolled back on error
                cur.execute(f"SET LOCAL lock_timeout = {int(self.lock_timeout_s * 1000)}; "
                            f"SET LOCAL statement_timeout = {int(self.statement_timeout_s * 1000)}")
                if not self._ready:
                    # concurrent CREATE TABLE IF NOT EXISTS can collide in the catalog; serialise it
                    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"consultantos.{self.TABLE}"])
                    cur.execute(f"""CREATE TABLE IF NOT EXISTS {self.TABLE} (
                                        service TEXT PRIMARY KEY,
                                        failures INTEGER NOT NULL DEFAULT 0,
                                        last_fault TEXT,
                                        open_until TIMESTAMPTZ,
                                        trial_until TIMESTAMPTZ,
                                        updated_at TIMESTAMPTZ NOT NULL DEFAULT now())""")
                yield cur
            self._ready = True
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:  # a timeout, the connection lost
            reason = self._down(exc) if con.closed else _reason(exc)  # back off only from a lost server
            raise BreakerStoreUnavailable(f"breaker database did not answer: {reason}") from None
        finally:
            con.close()

    def _down(self, exc: Exception) -> str:
        self._down_reason = _reason(exc)
        self._down_until = time.monotonic() + self.retry_after_s
        return self._down_reason

    @staticmethod
    def _state(service: str, row: tuple) -> BreakerState:
        failures, last_fault, open_until, trial_until = row
        return BreakerState(service, int(failures or 0), last_fault or None,
                            open_until.astimezone(UTC) if open_until else None,  # the session's zone may differ
                            trial_until.astimezone(UTC) if trial_until else None)

    def update(self, service: str, change: Callable[[BreakerState], BreakerState]) -> BreakerState:
        with self._transaction() as cur:
            cur.execute(f"INSERT INTO {self.TABLE} (service) VALUES (%s) ON CONFLICT (service) DO NOTHING",
                        [service])
            inserted = cur.rowcount == 1
            cur.execute(f"SELECT {self._COLUMNS} FROM {self.TABLE} WHERE service = %s FOR UPDATE", [service])
            old = self._state(service, cur.fetchone())
            new = change(old)
            if inserted and new == BreakerState(service):
                cur.execute(f"DELETE FROM {self.TABLE} WHERE service = %s", [service])
            elif new != old:
                cur.execute(f"UPDATE {self.TABLE} SET failures = %s, last_fault = %s, open_until = %s, "
                            "trial_until = %s, updated_at = now() WHERE service = %s",
                            [new.failures, new.last_fault, new.open_until, new.trial_until, service])
            return new

    def states(self) -> dict[str, BreakerState]:
        with self._transaction() as cur:
            cur.execute(f"SELECT service, {self._COLUMNS} FROM {self.TABLE} ORDER BY service")
            return {row[0]: self._state(row[0], row[1:]) for row in cur.fetchall()}


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@dataclass
class CircuitBreaker:
    """The breaker rules over a store; one instance per service and process.

    When the store is unavailable (BreakerStoreUnavailable: its database cannot be reached) the call
    is treated as if the breaker were closed: it goes ahead, its outcome is not recorded, and a warning
    says so. Losing the shared state must not stop runs that could reach their services.
    """

    service: str
    store: BreakerStore
    threshold: int = 3
    cooldown: timedelta = timedelta(minutes=10)
    trial_window: timedelta = timedelta(minutes=2)
    clock: Clock = utcnow

    def before_call(self) -> None:
        """Raise CircuitOpen unless a call may go out now (claims the trial call when half-open)."""
        now = self.clock()
        refused: list[BreakerState] = []

        def claim(state: BreakerState) -> BreakerState:
            status = state.status(now)
            if status in ("open", "trial"):
                refused.append(state)
                return state
            if status == "half-open":
                return replace(state, trial_until=now + self.trial_window)
            return state

        state = self._update(claim)
        if refused:
            raise CircuitOpen(f"{self.service}: skipped, circuit breaker {state.describe(now)}", source=self.service)

    def _update(self, change: Callable[[BreakerState], BreakerState]) -> BreakerState:
        try:
            return self.store.update(self.service, change)
        except BreakerStoreUnavailable as exc:
            log.warning("%s: circuit breaker state unavailable (%s); calling as if the breaker were closed",
                        self.service, exc)
            return BreakerState(self.service)

    def record_success(self) -> None:
        self._update(lambda s: BreakerState(self.service))

    def record_failure(self, fault: str) -> BreakerState:
        now = self.clock()

        def fail(state: BreakerState) -> BreakerState:
            failures = state.failures + 1
            trial_failed = state.open_until is not None  # half-open trial (or a stale open record)
            if trial_failed or failures >= self.threshold:
                return BreakerState(self.service, failures, fault, open_until=now + self.cooldown)
            return BreakerState(self.service, failures, fault)

        new = self._update(fail)
        if new.is_open(now):
            log.warning("%s: circuit breaker %s", self.service, new.describe(now))
        return new

    def state(self) -> BreakerState:
        return self.store.states().get(self.service) or BreakerState(self.service)

    def describe(self) -> str:
        return self.state().describe(self.clock())


def reset(store: BreakerStore, service: str | None = None) -> list[str]:
    """Close one service's breaker (or every stored one); returns the services reset."""
    names = [service] if service else sorted(store.states())
    for name in names:
        store.update(name, lambda s, name=name: BreakerState(name))
    return names


def breaker_path(home: Path) -> Path:
    return home / "state" / "breakers.json"


@functools.cache
def postgres_breaker_store(dsn: str) -> PostgresBreakerStore:
    """One store per process and database: the table check and outage back-off."""
    return PostgresBreakerStore(dsn)
