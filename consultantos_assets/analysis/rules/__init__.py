"""The rule-based analyst: frameworks derived from the evidence with explicit rules (pure), one module per
framework (porter, swot, pestel, blue_ocean, synthesis) over the shared bases in points.

Every point cites evidence ids; every figure in the text is formatted from an evidence value, so the text
never states a number the sources do not hold. Each rule says what it needs and fires only then:

- comparisons with peers only on a peer median (peer:<metric>:median, at least three named peers), naming
  them; without one, a sector figure is a labelled prior (prior:typical:<metric>), used only for a wide gap
- leverage only from net debt / EBITDA (with interest coverage where computed), never liabilities to assets
- search-interest signals only from a base of at least trend_reading.MIN_BASE of 100 and without a one-week spike;
  a series ending well before the report's date says when it ends
- a drawdown is a threat only when its trough lies within the year to the last close, and is stated with
  its dates and the year's return
- industry structure (prior:*) is a labelled prior, kept only where a section has no company evidence and
  at most PRIOR_SHARE of a framework's points, always after the company's own points
"""

from __future__ import annotations

from ...models import PESTEL, SWOT, BlueOcean, PorterFiveForces, Synthesis
from ..analyst import EvidencePack, Frameworks
from . import blue_ocean, pestel, porter, swot, synthesis
from .thresholds import NAME, PRIOR_SHARE

__all__ = ["NAME", "PRIOR_SHARE", "RuleBasedAnalyst"]


class RuleBasedAnalyst:
    """Offline analyst: the company's own figures first, industry priors only where they are missing."""

    name = NAME

    def porter(self, pack: EvidencePack) -> PorterFiveForces:
        return porter.porter(pack)

    def swot(self, pack: EvidencePack) -> SWOT:
        return swot.swot(pack)

    def pestel(self, pack: EvidencePack) -> PESTEL:
        return pestel.pestel(pack)

    def blue_ocean(self, pack: EvidencePack) -> BlueOcean:
        return blue_ocean.blue_ocean(pack)

    def synthesis(self, pack: EvidencePack, fw: Frameworks) -> Synthesis:
        return synthesis.synthesis(pack, fw)
