"""Pydantic models: the contracts between pipeline steps. No I/O here."""

from .common import InvalidTicker, Provenance, content_hash, normalize_ticker
from .company import CompanyProfile, CompanyResearch, Document, Filing
from .evidence import EvidenceSet
from .financials import (
    FLOW_METRICS_SET,
    METRICS,
    FinancialFact,
    Financials,
    PricePoint,
    PriceStats,
    StockSplit,
)
from .frameworks import (
    FORCE_LABELS,
    PESTEL,
    PESTEL_FACTORS,
    SWOT,
    BlueOcean,
    CanvasFactor,
    Chunk,
    Evidence,
    Force,
    FrameworkPoint,
    PorterFiveForces,
    ReportArtifact,
    ResearchIndexSummary,
    RetrievedContext,
    Synthesis,
)
from .peers import Peer, PeerComparison, PeerFigures, PeerGap, PeerSet
from .report import AssetVersion, ReportInput
from .trends import MarketTrends, TrendPoint, TrendSeries

__all__ = [
    "FLOW_METRICS_SET",
    "FORCE_LABELS",
    "METRICS",
    "PESTEL",
    "PESTEL_FACTORS",
    "SWOT",
    "AssetVersion",
    "BlueOcean",
    "ReportInput",
    "CanvasFactor",
    "Chunk",
    "CompanyProfile",
    "CompanyResearch",
    "Document",
    "Evidence",
    "EvidenceSet",
    "Filing",
    "FinancialFact",
    "Financials",
    "Force",
    "FrameworkPoint",
    "InvalidTicker",
    "MarketTrends",
    "Peer",
    "PeerComparison",
    "PeerFigures",
    "PeerGap",
    "PeerSet",
    "PESTEL",
    "PorterFiveForces",
    "PricePoint",
    "PriceStats",
    "Provenance",
    "ReportArtifact",
    "ResearchIndexSummary",
    "RetrievedContext",
    "StockSplit",
    "Synthesis",
    "TrendPoint",
    "TrendSeries",
    "content_hash",
    "normalize_ticker",
]
