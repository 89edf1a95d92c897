"""Company profiles and filing history from SEC EDGAR live (the ticker list and submissions JSON) through
SecClient, parsed like a snapshot's payloads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..models import CompanyProfile, Filing
from . import company_records as records
from .base import MalformedResponse, NoData, UnknownCompany, unique_names


class EdgarDirectory:
    """Company profiles and filings from SEC EDGAR (ticker list + submissions JSON) through `SecClient`:
    identity, rate limit, retries and breaker in one place; parsed like a snapshot's payloads."""

    name = "sec-edgar"

    def __init__(self, identity: str | None, client: Any = None):
        from .retry import Guard
        from .sec_http import SecClient, process_limiter

        self.identity = (identity or "").strip() or None
        self.client = client or SecClient(self.identity, Guard("SEC EDGAR"), process_limiter(9.0))
        self._items: dict[int, dict[str, list[str]]] = {}
        self._ciks: dict[str, tuple[int, str | None]] | None = None
        self._subs: dict[int, dict[str, Any]] = {}

    def _ticker_ciks(self) -> dict[str, tuple[int, str | None]]:
        if self._ciks is None:
            found: dict[str, tuple[int, str | None]] = {}
            for entry in self.client.ticker_map().values():
                if not isinstance(entry, dict):
                    continue
                ticker, cik = records.clean_text(entry.get("ticker")), records.to_int(records.clean_text(entry.get("cik_str")))
                if ticker and cik:
                    found.setdefault(ticker.upper(), (cik, records.clean_text(entry.get("title"))))
            self._ciks = found
        return self._ciks

    def _submissions(self, cik: int) -> dict[str, Any]:
        if cik not in self._subs:
            self._subs[cik] = self.client.submissions(cik)
        return self._subs[cik]

    def profile(self, ticker: str) -> CompanyProfile:
        from .sec_http import check_identity

        check_identity(self.identity)
        symbol = records.safe_ticker(ticker)
        known = self._ticker_ciks().get(symbol)
        if known is None:
            raise UnknownCompany(f"unknown company {symbol!r}: SEC EDGAR's ticker list does not have it",
                                 source=self.name)
        cik, title = known
        try:
            subs = self._submissions(cik)
        except NoData:
            subs = {}
        name = records.display_name(records.clean_text(subs.get("name")) or title or symbol)
        return CompanyProfile(
            ticker=symbol,
            name=name,
            cik=cik,
            sic=records.to_int(records.clean_text(subs.get("sic"))),
            sic_description=records.clean_text(subs.get("sicDescription")),
            headquarters=records.business_city(subs),
            state_of_incorporation=records.clean_text(subs.get("stateOfIncorporation")),
            fiscal_year_end=records.clean_text(subs.get("fiscalYearEnd")),
            exchanges=unique_names(e for e in subs.get("exchanges") or [] if isinstance(e, str)),
            website=records.clean_text(subs.get("website")),
            keywords=unique_names([records.short_name(name), symbol]),
        )

    def filings(self, profile: CompanyProfile, limit: int = 200, forms: Sequence[str] | None = None) -> list[Filing]:
        if profile.cik is None:
            return []
        try:
            subs = self._submissions(profile.cik)
        except NoData:
            return []
        recent = subs.get("filings", {}).get("recent")
        if not isinstance(recent, dict):
            raise MalformedResponse("SEC EDGAR: malformed response for submissions (no recent filings table)",
                                    source=self.name)
        wanted = {f.upper() for f in forms} if forms else None
        out: list[Filing] = []
        items: dict[str, list[str]] = {}
        for row in records.rows_from_columns(recent):
            filing = records.filing_from_row(row)
            if filing is None:
                continue
            if codes := records.split_items(row.get("items")):
                items[filing.accession] = codes
            if wanted is None or filing.form.upper() in wanted:
                out.append(filing)
        self._items[profile.cik] = items
        out.sort(key=lambda f: f.filing_date, reverse=True)
        return out[: max(limit, 0)]

    def filing_items(self, profile: CompanyProfile) -> dict[str, list[str]]:
        """8-K item codes seen by the last filings() call for this company."""
        return dict(self._items.get(profile.cik or -1, {}))
