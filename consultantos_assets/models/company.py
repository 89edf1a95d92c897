"""Company identity and research documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from .common import Model, Provenance

DocumentKind = Literal["profile", "filing_history", "filing", "news", "user"]


class CompanyProfile(Model):
    ticker: str
    name: str
    cik: int | None = None
    sector: str | None = None
    industry: str | None = None
    sic: int | None = None
    sic_description: str | None = None
    headquarters: str | None = None
    state_of_incorporation: str | None = None
    fiscal_year_end: str | None = Field(None, description="MMDD as SEC reports it")
    exchanges: list[str] = Field(default_factory=list)
    employees: int | None = None
    website: str | None = None
    founded: str | None = None
    keywords: list[str] = Field(default_factory=list, description="search keywords: name, products")


class SourcedProfile(Model):
    """The company's profile with where it came from: what the company_profile asset stores, read by the
    sources and the peers (one lookup per run)."""

    ticker: str
    profile: CompanyProfile
    provenance: Provenance


class Filing(Model):
    form: str
    filing_date: date
    report_date: date | None = None
    accession: str
    primary_document: str | None = None
    description: str | None = None
    items: list[str] = Field(default_factory=list, description="8-K item codes, e.g. 2.02")


class Document(Model):
    id: str = Field(description="stable evidence id, e.g. doc:AAPL:profile")
    title: str
    kind: DocumentKind
    source: str = Field(description="publisher, 'SEC EDGAR', or the user's file name")
    url: str | None = None
    published: date | None = None
    retrieved_at: datetime | None = None
    text: str


class CompanyResearch(Model):
    ticker: str
    profile: CompanyProfile
    filings: list[Filing] = Field(default_factory=list, description="newest first")
    documents: list[Document] = Field(default_factory=list)
    provenance: Provenance
    warnings: list[str] = Field(default_factory=list)
