"""What is missing or stale in a company's evidence: the same list whichever analyst writes (pure)."""

from __future__ import annotations

from ..models.financials import price_gap
from .analyst import EvidencePack
from .coverage import stale_families
from .industry import has_specific_prior
from .signals import Signals


def signal_gaps(s: Signals) -> list[str]:
    fin = s.pack.financials
    gaps = list(fin.gaps)
    if not fin.has_statements:
        gaps.insert(0, f"Financial statements are missing for {s.ticker}: no SEC company facts were found.")
    if fin.prices is None:
        gaps.append(price_gap(s.ticker))
    if not s.pack.trends.series:
        gaps.append("No search-interest data.")
    elif s.pack.trends.missing:
        gaps.append("No search-interest data for: " + ", ".join(s.pack.trends.missing) + ".")
    if not s.sector:
        gaps.append("Sector unknown: industry-structure judgements use generic priors.")
    elif not has_specific_prior(s.sector):
        gaps.append(f"No industry-structure profile for the {s.sector} sector: generic priors used.")
    if s.financial_company:
        missing = [label for eid, label in (("net_interest_income", "net interest income"),
                                            ("credit_provisions", "provisions for credit losses"))
                   if s.fin(eid) is None]
        gaps.append("Bank or insurer: leverage is not judged from liabilities to assets (deposits and policy "
                    "reserves are its funding)" + (f"; {' and '.join(missing)} not found in the SEC facts"
                                                     if missing and fin.has_statements else "") + ".")
    gaps.extend(s.pack.research.warnings)
    gaps.extend(stale_families(s.pack))
    return gaps


def data_gaps(pack: EvidencePack) -> list[str]:
    """What is missing or stale in a company's evidence (the same list whichever analyst writes)."""
    return signal_gaps(Signals(pack))
