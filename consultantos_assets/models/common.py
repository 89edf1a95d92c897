"""Shared building blocks of the step contracts."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TICKER_PATTERN = re.compile(r"^[A-Z][A-Z0-9.-]{0,9}$")

Mode = Literal["offline", "live"]


class InvalidTicker(ValueError):
    """A ticker that can never name a company partition."""


def normalize_ticker(raw: str) -> str:
    """Upper-case and validate a ticker; raise InvalidTicker with a readable reason."""
    if not isinstance(raw, str):
        raise InvalidTicker(f"ticker must be text, got {type(raw).__name__}")
    value = raw.strip().upper()
    if not value:
        raise InvalidTicker("ticker is empty")
    if len(value) > 10:
        raise InvalidTicker(f"ticker {value[:20]!r}... is longer than 10 characters")
    if not TICKER_PATTERN.match(value):
        raise InvalidTicker(
            f"ticker {raw!r} is not valid: use 1-10 characters, a letter first, then letters, "
            "digits, '.' or '-' (e.g. AAPL, BRK-B)"
        )
    return value


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Provenance(Model):
    """Which provider served a source asset and how old its data is."""

    provider: str = Field(description="e.g. 'snapshot' or 'tavily', 'sec-edgar', 'yfinance'")
    mode: Mode
    as_of: date | None = Field(None, description="date of the newest data point")
    retrieved_at: datetime | None = None
    location: str | None = Field(None, description="snapshot directory or service endpoint")
    notes: list[str] = Field(default_factory=list)


def content_hash(model: BaseModel, exclude: set[str] | None = None) -> str:
    """Stable hash of a model's content (used as Dagster data version and cache keys)."""
    payload = model.model_dump(mode="json", exclude=exclude)
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
