"""What both company directories parse alike: cleaned text and numbers, display and short names, dates,
SEC submissions' filing rows and 8-K items, and the business address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from ..models import Filing, InvalidTicker, normalize_ticker
from .base import UnknownCompany

SOURCE = "company-directory"


_CLASS_SUFFIX = re.compile(r"\s*\((?:class|series)\s+[a-z0-9]+\)\s*$", re.IGNORECASE)


_NAME_NOISE = re.compile(
    r"\b(?:inc|incorporated|corp|corporation|co|company|holdings?|plc|ltd|limited|llc|lp|sa|ag|nv|"
    r"group|the|class\s+[a-z])\b\.?",
    re.IGNORECASE,
)


def clean_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in {"nan", "none", "null", "n/a"}:
        return None
    return text


def to_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.replace(",", "")))
    except ValueError:
        return None


def short_name(name: str) -> str:
    """Company name without legal suffixes, class designations or punctuation: 'Apple Inc.' -> 'Apple'."""
    text = _CLASS_SUFFIX.sub("", name)
    text = re.sub(r"\(.*?\)", " ", text)
    text = re.sub(r"\.com\b", "", text, flags=re.IGNORECASE)
    text = text.replace("&", " ")
    text = _NAME_NOISE.sub(" ", text)
    text = re.sub(r"[^\w\s'-]", " ", text)
    text = re.sub(r"\s+", " ", text).strip(" -'")
    return text or name.strip()


def display_name(name: str) -> str:
    """Name as shown: class designation dropped, 'Coca-Cola Company (The)' -> 'The Coca-Cola Company'."""
    text = _CLASS_SUFFIX.sub("", name).strip()
    if text.lower().endswith("(the)"):
        text = "The " + text[: -len("(the)")].strip()
    return text


def parse_date(value: Any) -> date | None:
    text = clean_text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def split_items(value: Any) -> list[str]:
    text = clean_text(value)
    return [part.strip() for part in text.split(",") if part.strip()] if text else []


def rows_from_columns(columns: dict[str, list[Any]]) -> Iterator[dict[str, Any]]:
    """Turn SEC's column arrays (filings.recent) into row dicts; ragged columns are cut short."""
    keys = [k for k, v in columns.items() if isinstance(v, list)]
    if "accessionNumber" not in keys:
        return
    length = min(len(columns[k]) for k in keys)
    for i in range(length):
        yield {k: columns[k][i] for k in keys}


def filing_from_row(row: dict[str, Any]) -> Filing | None:
    """One models.Filing from a submissions row; None when the row is malformed."""
    form = clean_text(row.get("form"))
    accession = clean_text(row.get("accessionNumber"))
    filed = parse_date(row.get("filingDate"))
    if not (form and accession and filed):
        return None
    return Filing(
        form=form,
        filing_date=filed,
        report_date=parse_date(row.get("reportDate")),
        accession=accession,
        primary_document=clean_text(row.get("primaryDocument")),
        description=clean_text(row.get("primaryDocDescription")),
        items=split_items(row.get("items")),
    )


def safe_ticker(ticker: str) -> str:
    try:
        return normalize_ticker(ticker)
    except InvalidTicker as exc:
        raise UnknownCompany(str(exc), source=SOURCE) from exc


def business_city(subs: dict[str, Any]) -> str | None:
    addresses = subs.get("addresses") if isinstance(subs.get("addresses"), dict) else {}
    business = addresses.get("business") if isinstance(addresses.get("business"), dict) else {}
    city = clean_text(business.get("city"))
    if not city:
        return None
    region = clean_text(business.get("stateOrCountryDescription")) or clean_text(business.get("stateOrCountry"))
    return f"{city.title()}, {region}" if region else city.title()
