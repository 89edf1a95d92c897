"""Circuit breakers per live service, shared by every run process through a small store (no dagster).

A service whose requests keep failing after their retries (down, timing out, rate-limited, 5xx) is
skipped for a cool-down instead of being asked again by every run:

    closed     calls go through; each call that fails after its retries adds one to `failures`,
               any answer (data or "no data") resets it
    open       `failures` reached the threshold: calls are refused until `open_until`
    half-open  after the cool-down one process claims a single trial call (`trial_until`); its
               success closes the breaker, its failure opens it for another cool-down

The state lives behind `BreakerStore` (read-modify-write of one service's record under a lock).
`JsonBreakerStore` keeps it in `<storage root>/state/breakers.json` under a file lock, which serves
every process on one machine; a deployment whose runs span machines implements the same two methods
over a shared database (e.g. a Postgres row per service updated with SELECT ... FOR UPDATE).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

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


class BreakerStore(Protocol):
    """Where breaker state lives; `update` must be atomic across processes."""

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


@dataclass
class CircuitBreaker:
    """The breaker rules over a store; one instance per service and process."""

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

        state = self.store.update(self.service, claim)
        if refused:
            raise CircuitOpen(f"{self.service}: skipped, circuit breaker {state.describe(now)}", source=self.service)

    def record_success(self) -> None:
        self.store.update(self.service, lambda s: BreakerState(self.service))

    def record_failure(self, fault: str) -> BreakerState:
        now = self.clock()

        def fail(state: BreakerState) -> BreakerState:
            failures = state.failures + 1
            trial_failed = state.open_until is not None  # half-open trial (or a stale open record)
            if trial_failed or failures >= self.threshold:
                return BreakerState(self.service, failures, fault, open_until=now + self.cooldown)
            return BreakerState(self.service, failures, fault)

        new = self.store.update(self.service, fail)
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
