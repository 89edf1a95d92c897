"""Research documents about a company: the providers.

Offline (`SnapshotResearch`): documents the code writes from facts (fact_documents.py: profile, filing
history, recent 8-K events) plus the user's own files in <snapshot>/documents/<TICKER>/
(user_documents.py). Live (`TavilyResearch`): web results from Tavily search, plus the same fact
documents.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..models import CompanyProfile, CompanyResearch, Document, Filing, Provenance
from .base import MalformedResponse, MissingKey, NoData, ServiceUnavailable
from .fact_documents import ItemSource, fact_documents
from .user_documents import UserDocumentReader

log = logging.getLogger(__name__)


def _research(profile: CompanyProfile, filings: list, docs: list, warnings: list[str], **provenance) -> CompanyResearch:
    """The research value both providers return: the documents, dated by the newest, with their provenance."""
    return CompanyResearch(ticker=profile.ticker, profile=profile, filings=list(filings), documents=docs,
                           provenance=Provenance(as_of=_as_of(docs), **provenance), warnings=warnings)


def _as_of(documents: Sequence[Document]) -> date | None:
    return max((d.published for d in documents if d.published), default=None)


class SnapshotResearch:
    """Fact documents from the snapshot's SEC data plus the user's files (no network)."""

    name = "snapshot"

    def __init__(self, snapshot_dir: str | Path, max_document_bytes: int = 5_000_000, directory: Any | None = None):
        from .companies import SnapshotDirectory

        self.snapshot_dir = Path(snapshot_dir)
        self.directory = directory or SnapshotDirectory(self.snapshot_dir)
        self.reader = UserDocumentReader(self.snapshot_dir, max_document_bytes)

    def _history(self, profile: CompanyProfile, filings: list[Filing]) -> list[Filing]:
        """The snapshot's full filing record when it has one (5-year counts need more than `limit`)."""
        try:
            full = self.directory.filings(profile, limit=100_000)
        except Exception as exc:  # noqa: BLE001 - fall back to what the caller passed
            log.warning("could not read the filing record of %s: %s", profile.ticker, exc)
            full = []
        return full if len(full) > len(filings) else list(filings)

    def research(self, profile: CompanyProfile, filings: list) -> CompanyResearch:
        history = self._history(profile, filings)
        docs = fact_documents(profile, history, _items(self.directory, profile))
        user_docs, warnings = self.reader.read(profile.ticker)
        docs += user_docs
        if not docs:
            raise NoData(f"no research documents for {profile.ticker} in {self.snapshot_dir}", source=self.name)
        return _research(profile, filings, docs, warnings, provider=self.name, mode="offline",
                         location=str(self.snapshot_dir))


def _items(source: Any | None, profile: CompanyProfile) -> dict[str, list[str]]:
    getter: Callable[[CompanyProfile], dict[str, list[str]]] | None = getattr(source, "filing_items", None)
    if getter is None:
        return {}
    try:
        return getter(profile)
    except Exception as exc:  # noqa: BLE001 - item codes are a detail
        log.warning("8-K item codes unavailable for %s: %s", profile.ticker, exc)
        return {}


def _published(value: Any) -> date | None:
    """Tavily's published_date: ISO date/time or an RFC 2822 date; None when absent or unreadable."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError):
        return None


def _domain(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host[4:] if host.startswith("www.") else host


def _queries(profile: CompanyProfile) -> list[tuple[str, str]]:
    name, ticker = profile.name, profile.ticker
    return [
        (f"{name} {ticker} competitive strategy", "general"),
        (f"{name} industry trends", "general"),
        (f"{name} risks regulation", "news"),
    ]


class TavilyResearch:
    """Web research through Tavily search, plus the fact documents."""

    name = "tavily"

    def __init__(
        self,
        api_key: str | None,
        max_results: int = 8,
        timeout: float = 30.0,
        api_base_url: str | None = None,
        items_source: ItemSource | None = None,
        guard: Any = None,
        session: Any = None,
    ):
        from .retry import Guard

        self._api_key = (api_key or "").strip() or None
        self.max_results = max_results
        self.guard = guard or Guard("Tavily")
        self.timeout = min(timeout, self.guard.timeout)
        self.api_base_url = api_base_url
        self.items_source = items_source
        self._session = session
        self._last: Any = None  # the last HTTP response (the client drops Retry-After)

    def __repr__(self) -> str:  # never show the key
        return f"TavilyResearch(max_results={self.max_results}, api_base_url={self.api_base_url!r})"

    def _client(self) -> Any:
        if not self._api_key:
            raise MissingKey("Tavily: missing key: set TAVILY_API_KEY or run offline", source=self.name)
        import requests
        from tavily import TavilyClient

        session = self._session or requests.Session()
        session.hooks.setdefault("response", []).append(self._remember)
        return TavilyClient(api_key=self._api_key, api_base_url=self.api_base_url, session=session)

    def _remember(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        self._last = response
        return response

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

    def _search(self, client: Any, query: str, topic: str) -> list[dict[str, Any]]:
        def request() -> Any:
            self._last = None
            try:
                return client.search(query, topic=topic, max_results=self.max_results, timeout=self.timeout)
            except Exception as exc:  # noqa: BLE001 - mapped to the provider errors
                raise self._error(exc) from None

        answer = self.guard.call(request)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise MalformedResponse("Tavily: malformed response (no 'results' list)", source=self.name)
        return [r for r in results if isinstance(r, dict)]

    def _error(self, exc: Exception) -> Exception:
        from tavily.errors import ForbiddenError, InvalidAPIKeyError, UsageLimitExceededError

        from .retry import Transient, http_transient, network_transient

        if isinstance(exc, InvalidAPIKeyError | ForbiddenError):
            return MissingKey("Tavily: missing key: the key was rejected (HTTP 401/403); check TAVILY_API_KEY",
                              source=self.name)
        status = getattr(self._last, "status_code", None)
        if status is not None and (transient := http_transient(status, self._last.headers)):
            return transient
        if isinstance(exc, UsageLimitExceededError):
            return Transient("HTTP 429")
        if type(exc).__name__ == "TimeoutError":  # tavily's own, raised on a requests timeout
            return Transient("timeout")
        if transient := network_transient(exc):
            return transient
        detail = self._scrub(str(exc).replace("\n", " "))[:160]
        if status == 200:
            return MalformedResponse(f"Tavily: malformed response ({type(exc).__name__}: {detail})", source=self.name)
        return ServiceUnavailable(f"Tavily: search failed ({type(exc).__name__}: {detail})", source=self.name)

    def _document(self, ticker: str, result: dict[str, Any], now: datetime) -> Document | None:
        url = str(result.get("url") or "").strip()
        text = str(result.get("content") or "").strip()
        if not url or not text:
            return None
        return Document(
            id=f"doc:{ticker}:web:{hashlib.sha1(url.encode('utf-8')).hexdigest()[:10]}",
            title=str(result.get("title") or "").strip() or _domain(url),
            kind="news",
            source=_domain(url),
            url=url,
            published=_published(result.get("published_date")),
            retrieved_at=now,
            text=text,
        )

    def web_documents(self, profile: CompanyProfile) -> tuple[list[Document], list[str]]:
        client = self._client()
        now = datetime.now(UTC)
        docs: dict[str, Document] = {}
        warnings: list[str] = []
        for query, topic in _queries(profile):
            try:
                results = self._search(client, query, topic)
            except ServiceUnavailable as exc:
                if not docs:
                    raise
                warnings.append(f"Tavily query '{query}' failed: {exc}")
                continue
            for result in results:
                doc = self._document(profile.ticker, result, now)
                if doc is not None and doc.url not in docs:
                    docs[doc.url] = doc  # type: ignore[index]
        if not docs:
            raise NoData(f"Tavily: no data for this company (no web results about {profile.name}, "
                         f"{profile.ticker})", source=self.name)
        return list(docs.values()), warnings

    def research(self, profile: CompanyProfile, filings: list) -> CompanyResearch:
        try:
            web, warnings = self.web_documents(profile)
        except NoData as exc:
            web, warnings = [], [str(exc)]
        docs = fact_documents(profile, filings, _items(self.items_source, profile)) + web
        if not docs:  # pragma: no cover - the profile document always exists
            raise NoData(f"no research documents for {profile.ticker}", source=self.name)
        return _research(profile, filings, docs, warnings, provider=self.name, mode="live",
                         retrieved_at=datetime.now(UTC), location=self.api_base_url or "https://api.tavily.com")
