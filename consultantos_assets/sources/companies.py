"""The snapshot company directory: ticker -> CompanyProfile and SEC filing history.

`SnapshotDirectory` reads a snapshot directory (company metadata CSVs, the SEC ticker map and
SEC submissions payloads); `edgar_directory.EdgarDirectory` asks SEC EDGAR live, and both parse
submissions with company_records.
"""

from __future__ import annotations

import csv
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import CompanyProfile, Filing
from .base import UnknownCompany, unique_names
from .company_records import (
    SOURCE,
    business_city,
    clean_text,
    display_name,
    filing_from_row,
    rows_from_columns,
    safe_ticker,
    short_name,
    split_items,
    to_int,
)

log = logging.getLogger(__name__)


# Columns recognised in any company_metadata/*.csv, in order of preference per field.
TICKER_COLUMNS = ("ticker", "Ticker", "Symbol", "symbol")
FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "Name", "Security", "Company", "company", "longName", "shortName", "short_name"),
    "cik": ("cik", "CIK", "Cik"),
    "sector": ("sector", "Sector", "GICS Sector"),
    "industry": ("industry", "Industry", "GICS Sub-Industry"),
    "headquarters": ("headquarters", "Headquarters Location", "Headquarters"),
    "employees": ("employees", "fullTimeEmployees", "Employees", "full_time_employees"),
    "website": ("website", "Website"),
    "founded": ("founded", "Founded"),
}
CITY_COLUMNS = ("city", "City", "hq_city")
STATE_COLUMNS = ("state", "State", "hq_state")
# Fields only the project's own companies.csv provides (other tables use other meanings).
OWN_TABLE_FIELDS = (
    "sic",
    "sic_description",
    "state_of_incorporation",
    "fiscal_year_end",
    "exchange",
    "keywords",
)


@dataclass
class _Record:
    """Facts about one ticker from one table (all values as text)."""

    origin: str
    values: dict[str, str]


def _pick(row: dict[str, str], columns: Iterable[str]) -> str | None:
    for column in columns:
        value = clean_text(row.get(column))
        if value:
            return value
    return None


_INDEXES: dict[Path, tuple[tuple, dict[str, list[_Record]]]] = {}  # snapshot dir -> (tables' stamp, index)
_INDEX_LOCK = threading.Lock()


class SnapshotDirectory:
    """Company profiles and filings from a snapshot directory (no network)."""

    name = "snapshot"

    def __init__(self, snapshot_dir: str | Path):
        self.snapshot_dir = Path(snapshot_dir)
        self._records: dict[str, list[_Record]] | None = None
        self._submissions_by_ticker: dict[str, Path] | None = None
        self._submissions_cache: dict[Path, dict[str, Any]] = {}
        self._trend_keywords: list[str] | None = None

    # ---- index -----------------------------------------------------------------------------
    @property
    def _metadata_dir(self) -> Path:
        return self.snapshot_dir / "company_metadata"

    @property
    def _submissions_dir(self) -> Path:
        return self.snapshot_dir / "sec_edgar" / "submissions"

    def _index(self) -> dict[str, list[_Record]]:
        """Every table's records by ticker. Built once per process for the same table files (the CLI's
        check of the tickers and the run's assets read the same snapshot): a changed, added or removed
        table file builds it afresh. Callers only read it."""
        if self._records is None:
            stamp = self._tables_stamp()
            with _INDEX_LOCK:
                cached = _INDEXES.get(self.snapshot_dir)
                if cached is None or cached[0] != stamp:
                    records: dict[str, list[_Record]] = {}
                    for origin, ticker, values in self._iter_tables():
                        records.setdefault(ticker, []).append(_Record(origin, values))
                    cached = _INDEXES[self.snapshot_dir] = (stamp, records)
                    log.debug("company index for %s: %d tickers", self.snapshot_dir, len(records))
            self._records = cached[1]
        return self._records

    def _tables(self) -> list[tuple[str, Path]]:
        """The files the index is read from, in the order their records are merged: (kind, path)."""
        meta = self._metadata_dir
        others = sorted(p for p in meta.glob("*.csv") if p.name not in {"companies.csv", "tickers.csv"}) \
            if meta.is_dir() else []
        return [("own", meta / "companies.csv"), *(("metadata", p) for p in others), ("sec-csv", meta / "tickers.csv"),
                ("sec-json", self.snapshot_dir / "sec_edgar" / "reference" / "company_tickers.json")]

    def _tables_stamp(self) -> tuple:
        """What the index is read from: each table file's name, size and modification time."""
        stamp = []
        for _, path in self._tables():
            try:
                st = path.stat()
                stamp.append((str(path), st.st_size, st.st_mtime_ns))
            except OSError:
                stamp.append((str(path), None, None))
        return tuple(stamp)

    def _iter_tables(self) -> Iterator[tuple[str, str, dict[str, str]]]:
        for kind, path in self._tables():
            if kind == "sec-csv":
                yield from self._read_ticker_csv(path)
            elif kind == "sec-json":
                yield from self._read_sec_ticker_map(path)
            else:
                yield from self._read_metadata_csv(path, own_table=kind == "own")

    def _read_metadata_csv(self, path: Path, own_table: bool) -> Iterator[tuple[str, str, dict[str, str]]]:
        for row in _read_csv(path):
            raw_ticker = _pick(row, TICKER_COLUMNS)
            if not raw_ticker:
                continue
            values = {field: v for field, cols in FIELD_COLUMNS.items() if (v := _pick(row, cols))}
            if "headquarters" not in values:
                city, state = _pick(row, CITY_COLUMNS), _pick(row, STATE_COLUMNS)
                if city:
                    values["headquarters"] = f"{city}, {state}" if state else city
            if own_table:
                values.update({f: v for f in OWN_TABLE_FIELDS if (v := clean_text(row.get(f)))})
            elif "name" in values:
                values["name"] = display_name(values["name"])
            yield ("companies.csv" if own_table else "metadata"), raw_ticker.upper(), values

    def _read_ticker_csv(self, path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
        for row in _read_csv(path):
            ticker = _pick(row, TICKER_COLUMNS)
            if ticker:
                values = {k: v for k in ("cik", "name") if (v := clean_text(row.get(k)))}
                yield "sec-map", ticker.upper(), values

    def _read_sec_ticker_map(self, path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
        payload = _read_json(path)
        entries = payload.values() if isinstance(payload, dict) else []
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            ticker, cik, title = clean_text(entry.get("ticker")), clean_text(entry.get("cik_str")), clean_text(entry.get("title"))
            if ticker:
                values = {k: v for k, v in (("cik", cik), ("name", title)) if v}
                yield "sec-map", ticker.upper(), values

    # ---- submissions -------------------------------------------------------------------------
    def _submissions_path_for_cik(self, cik: int) -> Path | None:
        path = self._submissions_dir / f"CIK{cik:010d}.json"
        return path if path.is_file() else None

    def _load_submissions(self, path: Path) -> dict[str, Any]:
        if path not in self._submissions_cache:
            payload = _read_json(path)
            self._submissions_cache[path] = payload if isinstance(payload, dict) else {}
        return self._submissions_cache[path]

    def _scan_submissions(self) -> dict[str, Path]:
        """ticker -> submissions file, by reading every main submissions file once."""
        if self._submissions_by_ticker is None:
            found: dict[str, Path] = {}
            if self._submissions_dir.is_dir():
                for path in sorted(self._submissions_dir.glob("CIK*.json")):
                    if "-submissions-" in path.name:
                        continue
                    for ticker in self._load_submissions(path).get("tickers") or []:
                        if isinstance(ticker, str):
                            found.setdefault(ticker.upper(), path)
            self._submissions_by_ticker = found
        return self._submissions_by_ticker

    def _find_submissions(self, ticker: str, candidate_ciks: Iterable[int]) -> dict[str, Any] | None:
        for cik in candidate_ciks:
            path = self._submissions_path_for_cik(cik)
            if path is None:
                continue
            payload = self._load_submissions(path)
            tickers = [t.upper() for t in payload.get("tickers") or [] if isinstance(t, str)]
            if not tickers or ticker in tickers:
                return payload
        path = self._scan_submissions().get(ticker)
        return self._load_submissions(path) if path else None

    # ---- public ------------------------------------------------------------------------------
    def known_tickers(self) -> list[str]:
        return sorted(self._index())

    def classified(self) -> list[dict[str, str]]:
        """One row per ticker that the company tables classify (GICS sector/sub-industry or SIC), with
        the table values merged as `profile` merges them (no submissions are read: cheap)."""
        out = []
        for ticker, records in sorted(self._index().items()):
            merged: dict[str, str] = {"ticker": ticker}
            for origin in ("companies.csv", "metadata", "sec-map"):
                for record in records:
                    if record.origin == origin:
                        for key, value in record.values.items():
                            merged.setdefault(key, value)
            if merged.get("industry") or merged.get("sic"):
                out.append(merged)
        return out

    def profile(self, ticker: str) -> CompanyProfile:
        symbol = safe_ticker(ticker)
        records = self._index().get(symbol, [])
        ciks = _candidate_ciks(records)
        submissions = self._find_submissions(symbol, ciks)
        if not records and submissions is None:
            raise UnknownCompany(
                f"unknown company {symbol!r}: not in the snapshot's company metadata or SEC ticker list "
                f"({self.snapshot_dir})",
                source=SOURCE,
            )
        return self._merge(symbol, records, submissions or {}, ciks)

    def _merge(self, ticker: str, records: list[_Record], subs: dict[str, Any], ciks: list[int]) -> CompanyProfile:
        def first(field: str, origins: Sequence[str] = ("companies.csv", "metadata", "sec-map")) -> str | None:
            for origin in origins:
                for record in records:
                    if record.origin == origin and record.values.get(field):
                        return record.values[field]
            return None

        own_cik = to_int(first("cik", ("companies.csv",)))
        cik = own_cik or to_int(clean_text(subs.get("cik"))) or (ciks[0] if ciks else None)
        name = first("name") or clean_text(subs.get("name")) or ticker
        own_exchanges = [e.strip() for e in (first("exchange", ("companies.csv",)) or "").split(";")]
        exchanges = unique_names([*own_exchanges, *[e for e in subs.get("exchanges") or [] if isinstance(e, str)]])
        profile = CompanyProfile(
            ticker=ticker,
            name=name,
            cik=cik,
            sector=first("sector"),
            industry=first("industry"),
            sic=to_int(first("sic", ("companies.csv",))) or to_int(clean_text(subs.get("sic"))),
            sic_description=first("sic_description", ("companies.csv",)) or clean_text(subs.get("sicDescription")),
            headquarters=first("headquarters") or business_city(subs),
            state_of_incorporation=first("state_of_incorporation", ("companies.csv",))
            or clean_text(subs.get("stateOfIncorporation")),
            fiscal_year_end=first("fiscal_year_end", ("companies.csv",)) or clean_text(subs.get("fiscalYearEnd")),
            exchanges=exchanges,
            employees=to_int(first("employees")),
            website=first("website") or clean_text(subs.get("website")),
            founded=first("founded"),
        )
        own_keywords = first("keywords", ("companies.csv",))
        profile.keywords = unique_names(own_keywords.split(";")) if own_keywords else self._default_keywords(name, ticker)
        return profile

    def _default_keywords(self, name: str, ticker: str) -> list[str]:
        base = short_name(name)
        stems = {base.lower()}
        first_word = base.split()[0] if base.split() else base
        available = self._snapshot_trend_keywords()
        if any(k.lower() == first_word.lower() for k in available):
            stems.add(first_word.lower())  # 'Meta Platforms' also matches the 'Meta' series
        related = [k for k in available if any(_starts_with_word(k, stem) for stem in stems)]
        related.sort(key=lambda k: (k.lower() != base.lower(), len(k), k.lower()))
        return unique_names([base, ticker, *related])

    def _snapshot_trend_keywords(self) -> list[str]:
        if self._trend_keywords is None:
            from .search_interest import SnapshotTrends  # local import: search_interest imports nothing from here

            self._trend_keywords = SnapshotTrends(self.snapshot_dir).keywords()
        return self._trend_keywords

    def filings(self, profile: CompanyProfile, limit: int = 200, forms: Sequence[str] | None = None) -> list[Filing]:
        """Filings newest first from the snapshot's submissions file (and any older pages present)."""
        wanted = {f.upper() for f in forms} if forms else None
        rows = [
            filing
            for row in self._filing_rows(profile)
            if (filing := filing_from_row(row)) and (wanted is None or filing.form.upper() in wanted)
        ]
        rows.sort(key=lambda f: f.filing_date, reverse=True)
        return rows[: max(limit, 0)]

    def filing_items(self, profile: CompanyProfile) -> dict[str, list[str]]:
        """accession -> 8-K item codes (e.g. ['2.02', '9.01']) from the submissions file."""
        return {
            str(row["accessionNumber"]): items
            for row in self._filing_rows(profile)
            if (items := split_items(row.get("items")))
        }

    def _filing_rows(self, profile: CompanyProfile) -> Iterator[dict[str, Any]]:
        if profile.cik is None:
            return
        path = self._submissions_path_for_cik(profile.cik)
        if path is None:
            log.info("no submissions file for CIK %s in %s", profile.cik, self._submissions_dir)
            return
        payload = self._load_submissions(path)
        filings = payload.get("filings") if isinstance(payload.get("filings"), dict) else {}
        recent = filings.get("recent")
        if isinstance(recent, dict):
            yield from rows_from_columns(recent)
        for page in filings.get("files") or []:
            page_name = page.get("name") if isinstance(page, dict) else None
            page_path = self._submissions_dir / page_name if isinstance(page_name, str) else None
            if page_path and page_path.parent == self._submissions_dir and page_path.is_file():
                yield from rows_from_columns(self._load_submissions(page_path))


def _starts_with_word(keyword: str, stem: str) -> bool:
    text = keyword.lower()
    return text == stem or text.startswith(stem + " ")


def _candidate_ciks(records: list[_Record]) -> list[int]:
    order = ("companies.csv", "sec-map", "metadata")
    ciks = [to_int(r.values.get("cik")) for origin in order for r in records if r.origin == origin]
    return list(dict.fromkeys(c for c in ciks if c))


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        return
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            yield from csv.DictReader(handle)
    except (OSError, csv.Error) as exc:
        log.warning("could not read %s: %s", path, exc)


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("could not read %s: %s", path, exc)
        return None


# ---- live ----------------------------------------------------------------------------------------


