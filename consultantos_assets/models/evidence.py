"""The citable evidence of one company, built once per run from the sources and the peers."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .common import Model
from .frameworks import Evidence
from .peers import PeerComparison


class EvidenceSet(Model):
    """Every fact the analysts may cite (ids unique, stable order) and the peer comparison behind the
    peer:* medians (the value of the `evidence` asset)."""

    ticker: str
    as_of: dt.date | None = Field(None, description="the newest data date of the sources")
    items: list[Evidence] = Field(default_factory=list)
    peers: PeerComparison | None = None
    gaps: list[str] = Field(default_factory=list, description="what the peer set cannot support, said plainly")

    def by_id(self) -> dict[str, Evidence]:
        return {e.id: e for e in self.items}
