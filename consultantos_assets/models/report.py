"""Everything the report renders, in one bundle."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Model
from .company import CompanyResearch
from .financials import Financials
from .frameworks import PESTEL, SWOT, BlueOcean, Evidence, PorterFiveForces, Synthesis
from .peers import PeerComparison
from .trends import MarketTrends


class AssetVersion(Model):
    asset: str
    data_version: str | None = None
    provider: str | None = None


class ReportInput(Model):
    ticker: str
    as_of: dt.date = Field(description="date the report states: the newest data date")
    research: CompanyResearch
    trends: MarketTrends
    financials: Financials
    porter: PorterFiveForces
    swot: SWOT
    pestel: PESTEL
    blue_ocean: BlueOcean
    synthesis: Synthesis
    evidence: list[Evidence]
    peers: PeerComparison | None = Field(None, description="the named peers and their figures")
    versions: list[AssetVersion] = Field(default_factory=list, description="provenance table")
    previous: ReportInput | None = Field(None, description="the last report's inputs, for 'what changed'")

    def evidence_by_id(self) -> dict[str, Evidence]:
        return {e.id: e for e in self.evidence}
