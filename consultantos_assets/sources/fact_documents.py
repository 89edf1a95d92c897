"""Documents the code writes from SEC facts about a company: its profile, its filing history and its
recent 8-K events (no I/O; every sentence states a fact from the profile or the filings)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from ..models import CompanyProfile, Document, Filing

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
    facts = ((p.headquarters, "Its headquarters are in {}."),
             (p.state_of_incorporation, "It is incorporated in {}."),
             (", ".join(p.exchanges), "Its shares are listed on {}."),
             (fiscal_year_end_text(p.fiscal_year_end), "Its fiscal year ends on {}."),
             (p.employees, "It reports about {:,} employees."),
             (p.founded, "It was founded in {}."),
             (p.website, "Its website is {}."))
    return sentences + [text.format(value) for value, text in facts if value]


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
