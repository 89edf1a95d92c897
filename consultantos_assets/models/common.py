"""Shared building blocks of the step contracts."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

TICKER_PATTERN = re.compile(r"^[A-Z][A-Z0-9.-]{0,9}$")

Mode = Literal["offline", "live"]


class InvalidTicker(ValueError):
    """A ticker that can never name a company partition."""


def _shown(raw: str, limit: int = 24) -> str:
    """A ticker as it may appear in a message: ASCII-escaped (control, look-alike and direction
    characters become visible escapes) and cut short."""
    cut = raw[:limit]
    return ascii(cut) + ("..." if len(raw) > limit else "")


def normalize_ticker(raw: str) -> str:
    """Upper-case and validate a ticker; raise InvalidTicker with a readable reason.

    Only printable ASCII is accepted, and it is checked before upper-casing, so look-alike letters
    (Cyrillic, full-width, ligatures such as 'ﬁ' whose upper case is 'FI') and control or direction
    characters are refused instead of being folded into a valid-looking ticker.
    """
    if not isinstance(raw, str):
        raise InvalidTicker(f"ticker must be text, got {type(raw).__name__}")
    value = raw.strip()
    if not value:
        raise InvalidTicker("ticker is empty")
    if len(value) > 10:
        raise InvalidTicker(f"ticker {_shown(value)} is longer than 10 characters ({len(value):,})")
    odd = next((c for c in value if not (" " <= c <= "~")), None)
    if odd is not None:
        what = "a control" if unicodedata.category(odd)[0] == "C" else "a non-ASCII"
        raise InvalidTicker(
            f"ticker {_shown(value)} is not valid: it contains {what} "
            f"character (U+{ord(odd):04X}); use 1-10 ASCII characters, a letter first, then letters, digits, "
            "'.' or '-' (e.g. AAPL, BRK-B)"
        )
    value = value.upper()
    if not TICKER_PATTERN.fullmatch(value):
        raise InvalidTicker(
            f"ticker {_shown(raw.strip())} is not valid: use 1-10 characters, a letter first, then letters, "
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
    # set when the latest refresh failed and this value is the last good one, kept; left out of the data
    # version (defs/assets.py VOLATILE) and, while unset, out of the serialized value (so hashes of values
    # without a failed refresh are what they always were)
    refresh_fault: str | None = Field(None, description="why the latest refresh failed")
    refresh_failed_at: datetime | None = Field(None, description="when the latest refresh failed")

    @model_serializer(mode="wrap")
    def _without_unset_refresh(self, handler):
        data = handler(self)
        if self.refresh_fault is None and isinstance(data, dict):
            data.pop("refresh_fault", None)
            data.pop("refresh_failed_at", None)
        return data


def content_hash(model: BaseModel, exclude: set[str] | None = None) -> str:
    """Stable hash of a model's content (used as Dagster data version and cache keys)."""
    payload = model.model_dump(mode="json", exclude=exclude)
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
