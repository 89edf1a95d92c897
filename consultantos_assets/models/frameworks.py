"""Evidence, framework outputs and the executive synthesis."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from .common import Model

EvidenceKind = Literal["financial", "price", "trend", "document", "filing", "profile", "prior"]
"""`prior`: an industry-structure prior (a statement about a sector, not a measured fact about the company)."""


class Evidence(Model):
    """One citable fact. Frameworks cite these ids; the report lists them in its appendix."""

    id: str
    kind: EvidenceKind
    label: str
    text: str = Field(description="the fact rendered as one sentence")
    value: float | None = None
    unit: str | None = None
    source: str = Field(description="e.g. 'SEC EDGAR 10-K', 'Google Trends', a publisher")
    reference: str | None = Field(None, description="URL, SEC accession or file name")
    date: dt.date | None = None


class FrameworkPoint(Model):
    text: str
    evidence: list[str] = Field(default_factory=list, description="evidence ids cited")
    confidence: float = Field(ge=0.0, le=1.0)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("point text is empty")
        return v.strip()


class FrameworkMeta(Model):
    ticker: str
    analyst: str = Field(description="which analyst produced it, e.g. 'rule-based v1'")
    confidence: float = Field(ge=0.0, le=1.0)
    data_gaps: list[str] = Field(default_factory=list)


ForceName = Literal[
    "competitive_rivalry",
    "supplier_power",
    "buyer_power",
    "threat_of_substitutes",
    "threat_of_new_entrants",
]

FORCE_LABELS: dict[str, str] = {
    "competitive_rivalry": "Competitive rivalry",
    "supplier_power": "Supplier power",
    "buyer_power": "Buyer power",
    "threat_of_substitutes": "Threat of substitutes",
    "threat_of_new_entrants": "Threat of new entrants",
}


class Force(Model):
    name: ForceName
    rating: float = Field(ge=1.0, le=5.0, description="1 = weak force, 5 = strong force")
    points: list[FrameworkPoint]


class PorterFiveForces(FrameworkMeta):
    forces: list[Force]
    overall_intensity: float = Field(ge=1.0, le=5.0)
    summary: str


class SWOT(FrameworkMeta):
    strengths: list[FrameworkPoint]
    weaknesses: list[FrameworkPoint]
    opportunities: list[FrameworkPoint]
    threats: list[FrameworkPoint]


PESTEL_FACTORS = ("political", "economic", "social", "technological", "environmental", "legal")


class PESTEL(FrameworkMeta):
    political: list[FrameworkPoint]
    economic: list[FrameworkPoint]
    social: list[FrameworkPoint]
    technological: list[FrameworkPoint]
    environmental: list[FrameworkPoint]
    legal: list[FrameworkPoint]


class CanvasFactor(Model):
    factor: str
    company: float = Field(ge=0.0, le=10.0)
    industry: float = Field(ge=0.0, le=10.0)
    evidence: list[str] = Field(default_factory=list)


class BlueOcean(FrameworkMeta):
    eliminate: list[FrameworkPoint]
    reduce: list[FrameworkPoint]
    raise_: list[FrameworkPoint] = Field(alias="raise")
    create: list[FrameworkPoint]
    canvas: list[CanvasFactor] = Field(default_factory=list)

    model_config = {**FrameworkMeta.model_config, "populate_by_name": True, "serialize_by_alias": True}


class Synthesis(FrameworkMeta):
    executive_summary: str
    key_findings: list[FrameworkPoint]
    recommendations: list[FrameworkPoint]
    risks: list[FrameworkPoint]
    confidence_breakdown: dict[str, float] = Field(
        default_factory=dict, description="coverage score per evidence family, 0-1"
    )


class ResearchIndexSummary(Model):
    ticker: str
    table: str
    uri: str
    embedder: str
    dimension: int
    rows_for_company: int
    chunks_embedded: int = Field(description="chunks that had no cached embedding")
    chunks_reused: int
    by_kind: dict[str, int] = Field(default_factory=dict)
    gap: str | None = Field(None, description="why the configured embedder was not used (fallback stated)")


class ReportArtifact(Model):
    ticker: str
    path: str
    pages: int
    bytes: int
    sha256: str
    markdown_path: str | None = None
    json_path: str | None = None
    outputs: dict[str, str] = Field(default_factory=dict,
                                    description="every file of the report by format: pdf, md, json, pptx, xlsx")
    generated_for: dt.date | None = Field(None, description="as-of date the report states")
    inputs_hash: str | None = Field(None, description="content hash of the report's inputs")
    compared_with: str | None = Field(None, description="inputs hash of the earlier report 'what changed' uses")


class Chunk(Model):
    """A retrievable piece of text with its citation id."""

    id: str
    ticker: str
    kind: str
    source: str
    evidence_id: str
    date: dt.date | None = None
    text: str
    score: float | None = None


class RetrievedContext(Model):
    question: str
    chunks: list[Chunk]


FrameworkName = Literal["porter_five_forces", "swot", "pestel", "blue_ocean"]
