"""Research documents about a company.

Offline (`SnapshotResearch`): documents the code writes from facts (profile, filing history, recent
8-K events) plus the user's own files in <snapshot>/documents/<TICKER>/. Live (`TavilyResearch`):
web results from Tavily search, plus the same fact documents.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..models import (
    CompanyProfile,
    CompanyResearch,
    Document,
    Filing,
    InvalidTicker,
    Provenance,
    normalize_ticker,
)
from .base import MalformedResponse, MissingKey, NoData, ServiceUnavailable

log = logging.getLogger(__name__)

USER_EXTENSIONS = (".md", ".txt", ".pdf")
HISTORY_YEARS = 5
RECENT_8K = 10
ANNUAL_FORMS = ("10-K", "20-F", "40-F")
QUARTERLY_FORMS = ("10-Q",)
COUNTED_FORMS = ("10-K", "10-Q", "8-K")

# Form 8-K item numbers and what they report (titles of the SEC form's items).
EIGHT_K_ITEMS: dict[str, str] = {
    "1.01": "Entry into a Material Definitive Agreement",
    "1.02": "Termination of a Material Definitive Agreement",
    "1.03": "Bankruptcy or Receivership",
    "1.04": "Mine Safety - Reporting of Shutdowns and Patterns of Violations",
    "1.05": "Material Cybersecurity Incidents",
    "2.01": "Completion of Acquisition or Disposition of Assets",
    "2.02": "Results of Operations and Financial Condition",
    "2.03": "Creation of a Direct Financial Obligation",
    "2.04": "Triggering Events That Accelerate or Increase a Direct Financial Obligation",
    "2.05": "Costs Associated with Exit or Disposal Activities",
    "2.06": "Material Impairments",
    "3.01": "Notice of Delisting or Failure to Satisfy a Continued Listing Rule; Transfer of Listing",
    "3.02": "Unregistered Sales of Equity Securities",
    "3.03": "Material Modification to Rights of Security Holders",
    "4.01": "Changes in Registrant's Certifying Accountant",
    "4.02": "Non-Reliance on Previously Issued Financial Statements or a Related Audit Report",
    "5.01": "Changes in Control of Registrant",
    "5.02": "Departure or Appointment of Directors or Certain Officers; Officer Compensation",
    "5.03": "Amendments to Articles of Incorporation or Bylaws; Change in Fiscal Year",
    "5.04": "Temporary Suspension of Trading Under Employee Benefit Plans",
    "5.05": "Amendments to the Code of Ethics, or Waiver of a Provision of the Code of Ethics",
    "5.06": "Change in Shell Company Status",
    "5.07": "Submission of Matters to a Vote of Security Holders",
    "5.08": "Shareholder Director Nominations",
    "6.01": "ABS Informational and Computational Material",
    "6.02": "Change of Servicer or Trustee",
    "6.03": "Change in Credit Enhancement or Other External Support",
    "6.04": "Failure to Make a Required Distribution",
    "6.05": "Securities Act Updating Disclosure",
    "7.01": "Regulation FD Disclosure",
    "8.01": "Other Events",
    "9.01": "Financial Statements and Exhibits",
}

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class ItemSource(Protocol):
    """Anything that can give 8-K item codes per accession (both company directories can)."""

    def filing_items(self, profile: CompanyProfile) -> dict[str, list[str]]: ...


# ---- fact documents -------------------------------------------------------------------------


def describe_item(code: str) -> str:
    title = EIGHT_K_ITEMS.get(code.strip())
    return f"Item {code.strip()} ({title})" if title else f"Item {code.strip()}"


def fiscal_year_end_text(mmdd: str | None) -> str | None:
    """'0926' -> 'September 26'; None when it is not an MMDD code."""
    if not mmdd or not re.fullmatch(r"\d{4}", mmdd):
        return None
    month, day = int(mmdd[:2]), int(mmdd[2:])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{MONTHS[month - 1]} {day}"


def _profile_sentences(p: CompanyProfile) -> list[str]:
    sentences = [f"{p.name} trades under the ticker {p.ticker}."]
    if p.cik:
        sentences.append(f"It files with the SEC under CIK {p.cik}.")
    if p.sector and p.industry:
        sentences.append(f"It is classified in the {p.sector} sector, {p.industry} industry.")
    elif p.sector or p.industry:
        sentences.append(f"It is classified in {p.sector or p.industry}.")
    if p.sic:
        label = f" ({p.sic_description})" if p.sic_description else ""
        sentences.append(f"Its SEC standard industrial classification is SIC {p.sic}{label}.")
    elif p.sic_description:
        sentences.append(f"Its SEC industry description is {p.sic_description}.")
    if p.headquarters:
        sentences.append(f"Its headquarters are in {p.headquarters}.")
    if p.state_of_incorporation:
        sentences.append(f"It is incorporated in {p.state_of_incorporation}.")
    if p.exchanges:
        sentences.append(f"Its shares are listed on {', '.join(p.exchanges)}.")
    if fye := fiscal_year_end_text(p.fiscal_year_end):
        sentences.append(f"Its fiscal year ends on {fye}.")
    if p.employees:
        sentences.append(f"It reports about {p.employees:,} employees.")
    if p.founded:
        sentences.append(f"It was founded in {p.founded}.")
    if p.website:
        sentences.append(f"Its website is {p.website}.")
    return sentences


def profile_document(profile: CompanyProfile, published: date | None) -> Document:
    has_sec = profile.cik is not None or profile.sic is not None
    return Document(
        id=f"doc:{profile.ticker}:profile",
        title=f"{profile.name} ({profile.ticker}): company profile",
        kind="profile",
        source="SEC EDGAR" if has_sec else "company metadata",
        published=published,
        text=" ".join(_profile_sentences(profile)),
    )


def _article(form: str) -> str:
    return "an" if form[:1] in "8AEFHILMNORSX" else "a"


def _is_form(filing: Filing, forms: Iterable[str]) -> bool:
    return filing.form.upper() in {f.upper() for f in forms}


def _latest(filings: Sequence[Filing], forms: Iterable[str]) -> Filing | None:
    matches = [f for f in filings if _is_form(f, forms)]
    return max(matches, key=lambda f: f.filing_date) if matches else None


def _report_sentence(label: str, filing: Filing | None) -> str | None:
    if filing is None:
        return None
    period = f" for the period ended {filing.report_date.isoformat()}" if filing.report_date else ""
    return (
        f"The latest {label} report is {_article(filing.form)} {filing.form} filed on {filing.filing_date.isoformat()}{period} "
        f"(accession {filing.accession})."
    )


def _year_counts(filings: Sequence[Filing], years: list[int]) -> list[str]:
    counts = Counter((f.filing_date.year, f.form.upper()) for f in filings)
    lines = []
    for year in years:
        parts = [f"{counts[(year, form)]} {form}" for form in COUNTED_FORMS]
        lines.append(f"In {year} it filed {', '.join(parts)}.")
    return lines


def _cadence(filings: Sequence[Filing], years: list[int]) -> str | None:
    full_years = years[1:] or years  # the newest year is usually still running
    if not full_years:
        return None
    window = [f for f in filings if f.filing_date.year in full_years]
    per_year = {form: sum(_is_form(f, [form]) for f in window) / len(full_years) for form in COUNTED_FORMS}
    span = f"{min(full_years)}-{max(full_years)}" if len(full_years) > 1 else str(full_years[0])
    return (
        f"Filing cadence over {span}: on average {per_year['10-K']:.1f} annual reports (10-K), "
        f"{per_year['10-Q']:.1f} quarterly reports (10-Q) and {per_year['8-K']:.1f} current reports (8-K) "
        "per year."
    )


def filing_history_document(profile: CompanyProfile, filings: Sequence[Filing]) -> Document | None:
    if not filings:
        return None
    newest = max(f.filing_date for f in filings)
    oldest = min(f.filing_date for f in filings)
    years = list(range(newest.year, newest.year - HISTORY_YEARS, -1))
    lines = [
        f"The SEC filing record of {profile.name} ({profile.ticker}) available here holds {len(filings)} "
        f"filings from {oldest.isoformat()} to {newest.isoformat()}."
    ]
    lines += [
        s
        for s in (
            _report_sentence("annual", _latest(filings, ANNUAL_FORMS)),
            _report_sentence("quarterly", _latest(filings, QUARTERLY_FORMS)),
        )
        if s
    ]
    lines += _year_counts(filings, years)
    if cadence := _cadence(filings, years):
        lines.append(cadence)
    amended = {f"{form}/A" for form in COUNTED_FORMS}
    amendments = sum(f.form.upper() in amended for f in filings if f.filing_date.year in years)
    if amendments:
        lines.append(f"It filed {amendments} amended 10-K, 10-Q or 8-K reports in {min(years)}-{max(years)}.")
    return Document(
        id=f"doc:{profile.ticker}:filings",
        title=f"{profile.name} ({profile.ticker}): SEC filing history",
        kind="filing_history",
        source="SEC EDGAR",
        published=newest,
        text=" ".join(lines),
    )


def _items_text(codes: list[str]) -> str:
    return "; ".join(describe_item(c) for c in codes) if codes else "items not recorded"


def eight_k_document(
    profile: CompanyProfile, filings: Sequence[Filing], items: dict[str, list[str]]
) -> Document | None:
    recent = sorted(
        (f for f in filings if f.form.upper() in {"8-K", "8-K/A"}), key=lambda f: f.filing_date, reverse=True
    )[:RECENT_8K]
    if not recent:
        return None
    lines = [f"The {len(recent)} most recent current reports (Form 8-K) of {profile.name} ({profile.ticker}):"]
    for f in recent:
        lines.append(
            f"On {f.filing_date.isoformat()} it filed {_article(f.form)} {f.form} reporting "
            f"{_items_text(items.get(f.accession) or list(getattr(f, 'items', None) or []))} "
            f"(accession {f.accession})."
        )
    return Document(
        id=f"doc:{profile.ticker}:8k",
        title=f"{profile.name} ({profile.ticker}): recent material events (8-K)",
        kind="filing",
        source="SEC EDGAR",
        published=recent[0].filing_date,
        text="\n".join(lines),
    )


def fact_documents(
    profile: CompanyProfile, filings: Sequence[Filing], items: dict[str, list[str]] | None = None
) -> list[Document]:
    """Documents written from facts only: profile, filing history, recent 8-K events."""
    latest = max((f.filing_date for f in filings), default=None)
    docs = [
        profile_document(profile, latest),
        filing_history_document(profile, filings),
        eight_k_document(profile, filings, items or {}),
    ]
    return [d for d in docs if d is not None]


# ---- the user's documents -----------------------------------------------------------------


def sanitize_filename(name: str) -> str:
    """File name safe for ids and display: letters, digits, '.', '_' and '-' only."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:120] or "file"


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_TEXT_CONTROLS = set("\t\n\r\f\v")


class NotText(ValueError):
    """Bytes that are not a text document in any encoding read here (binary data)."""


def _looks_binary(text: str) -> bool:
    """Any NUL, or control characters (other than whitespace) in more than 2% of the text: not prose."""
    if not text:
        return False
    if "\x00" in text:
        return True
    controls = sum(1 for c in text if (c < " " and c not in _TEXT_CONTROLS) or "\x7f" <= c <= "\x9f")
    return controls > max(2, 0.02 * len(text))


def decode_text(raw: bytes) -> tuple[str, str | None]:
    """Text from bytes: a byte-order mark's encoding (UTF-8/16/32), else UTF-8, else cp1252, else
    latin-1; returns (text, the encoding used when it was not UTF-8). Raises NotText for binary data."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise NotText(f"starts with a {encoding.upper()} byte-order mark but is not valid "
                              f"{encoding.upper()}") from exc
            if _looks_binary(text):
                raise NotText("binary data, not text")
            return text, None if encoding == "utf-8-sig" else encoding.upper()
    try:
        text, used = raw.decode("utf-8"), None
    except UnicodeDecodeError:
        try:
            text, used = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, used = raw.decode("latin-1"), "latin-1"
    if _looks_binary(text):
        raise NotText("binary data, not text")
    return text, used


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return "\n".join((page.extract_text() or "") for page in reader.pages)


class UserDocumentReader:
    """Reads <snapshot>/documents/<TICKER>/ safely: no paths outside it, size limit, no crash."""

    def __init__(self, snapshot_dir: Path, max_document_bytes: int = 5_000_000):
        self.root = Path(snapshot_dir) / "documents"
        self.max_document_bytes = max_document_bytes

    def folder(self, ticker: str) -> Path | None:
        """The company's folder, or None when absent or not inside documents/."""
        try:
            symbol = normalize_ticker(ticker)
        except InvalidTicker:
            return None
        if not self.root.is_dir():
            return None
        root = self.root.resolve()
        folder = (self.root / symbol).resolve()
        if folder.parent != root or not folder.is_dir():
            return None
        return folder

    def read(self, ticker: str) -> tuple[list[Document], list[str]]:
        folder = self.folder(ticker)
        if folder is None:
            return [], []
        docs: list[Document] = []
        warnings: list[str] = []
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.startswith(".") or entry.suffix.lower() not in USER_EXTENSIONS:
                log.debug("ignoring %s", entry)
                continue
            doc, warning = self._read_one(ticker.upper(), folder, entry)
            if doc is not None:
                docs.append(doc)
            if warning:
                log.warning(warning)
                warnings.append(warning)
        return docs, warnings

    def _read_one(self, ticker: str, folder: Path, entry: Path) -> tuple[Document | None, str | None]:
        shown = sanitize_filename(entry.name)
        try:
            real = entry.resolve(strict=True)
            if real.parent != folder or not real.is_file():
                return None, f"skipped document {shown}: it points outside documents/{ticker}/ or is not a file"
            stat = real.stat()
            if stat.st_size > self.max_document_bytes:
                return None, (
                    f"skipped document {shown}: {stat.st_size:,} bytes is over the "
                    f"{self.max_document_bytes:,}-byte limit"
                )
            text, note = self._text(real)
        except NotText as exc:
            return None, f"skipped document {shown}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a bad user file must never stop the run
            return None, f"skipped document {shown}: could not be read ({type(exc).__name__})"
        if not text.strip():
            return None, f"skipped document {shown}: no text could be extracted"
        return Document(
            id=f"doc:{ticker}:file:{shown}",
            title=shown,
            kind="user",
            source=shown,
            published=datetime.fromtimestamp(stat.st_mtime, tz=UTC).date(),
            text=text.strip(),
        ), note

    def _text(self, path: Path) -> tuple[str, str | None]:
        """(text, a note for the user when it was read in another encoding than UTF-8)."""
        if path.suffix.lower() == ".pdf":
            text = _pdf_text(path)
            if _looks_binary(text):
                raise NotText("its text layer is not readable text")
            return text, None
        with path.open("rb") as handle:
            raw = handle.read(self.max_document_bytes + 1)
        if len(raw) > self.max_document_bytes:
            raise ValueError("file grew past the size limit while reading")
        text, encoding = decode_text(raw)
        note = f"document {sanitize_filename(path.name)} is not UTF-8: read it as {encoding}" if encoding else None
        return text, note


# ---- providers ----------------------------------------------------------------------------------


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
        return CompanyResearch(
            ticker=profile.ticker,
            profile=profile,
            filings=list(filings),
            documents=docs,
            provenance=Provenance(
                provider=self.name, mode="offline", as_of=_as_of(docs), location=str(self.snapshot_dir)
            ),
            warnings=warnings,
        )


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
        return CompanyResearch(
            ticker=profile.ticker,
            profile=profile,
            filings=list(filings),
            documents=docs,
            provenance=Provenance(
                provider=self.name,
                mode="live",
                as_of=_as_of(docs),
                retrieved_at=datetime.now(UTC),
                location=self.api_base_url or "https://api.tavily.com",
            ),
            warnings=warnings,
        )
