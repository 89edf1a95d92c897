"""Industry structure priors by GICS sector (facts about industries, not about one company).

Ratings are 1 (weak force) to 5 (strong force). `typical` holds rough sector medians used
as the 'industry' line of the Blue Ocean strategy canvas. The priors themselves are in
sector_priors.toml beside this module.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from ..models import Evidence
from .figure_text import pct


@dataclass(frozen=True)
class SectorPrior:
    forces: dict[str, tuple[float, str]]
    pestel: dict[str, str]
    errc: dict[str, str]
    typical: dict[str, float] = field(default_factory=dict)


def _prior(table: dict) -> SectorPrior:
    return SectorPrior(forces={force: (float(rating), reason) for force, (rating, reason) in table["forces"].items()},
                       pestel=dict(table["pestel"]), errc=dict(table["errc"]), typical=dict(table["typical"]))


# the priors are data, shipped beside this module (sector_priors.toml) and read once
_TABLE = tomllib.loads(resources.files(__package__).joinpath("sector_priors.toml").read_text(encoding="utf-8"))
_DEFAULT = _prior(_TABLE["default"])
SECTOR_PRIORS: dict[str, SectorPrior] = {sector: _prior(table) for sector, table in _TABLE["sector"].items()}

# Broad-market reference points for market-based canvas factors (1-year return, annual volatility).
MARKET_TYPICAL = {"return_1y": 0.10, "volatility": 0.28}

_ALIASES = {
    "Technology": "Information Technology",
    "Communication": "Communication Services",
    "Consumer Cyclical": "Consumer Discretionary",
}

# SIC major groups that map clearly onto a GICS sector when no sector is known.
_SIC_SECTORS = [
    ((3570, 3579), "Information Technology"),
    ((3600, 3699), "Information Technology"),
    ((7370, 7379), "Information Technology"),
    ((4800, 4899), "Communication Services"),
    ((3710, 3716), "Consumer Discretionary"),
    ((5900, 5999), "Consumer Discretionary"),
]


def sector_for(sector: str | None, sic: int | None) -> str | None:
    if sector:
        return _ALIASES.get(sector, sector)
    if sic:
        for (lo, hi), name in _SIC_SECTORS:
            if lo <= sic <= hi:
                return name
    return None


def prior_for(sector: str | None) -> SectorPrior:
    return SECTOR_PRIORS.get(sector or "", _DEFAULT)


def has_specific_prior(sector: str | None) -> bool:
    return (sector or "") in SECTOR_PRIORS


# ---------------------------------------------------------------------------------- priors as evidence
PRIOR_SOURCE = "ConsultantOS industry priors (sector rules of thumb, not company data)"
_TYPICAL_LABELS = {"gross_margin": "gross margin", "operating_margin": "operating margin",
                   "net_margin": "net margin", "growth": "revenue growth"}
TYPICAL_METRIC = {"growth": "revenue_growth"}  # typical key -> the metric name peers use


def prior_id(*parts: str) -> str:
    return "prior:" + ":".join(parts)


def prior_evidence(sector: str | None, sic: int | None = None) -> list[Evidence]:
    """The sector's structure priors as citable items, each saying plainly that it is a prior.

    Ids: prior:force:<force>, prior:pestel:<factor>, prior:errc:<move>, prior:typical:<metric>.
    """
    name = sector_for(sector, sic)
    p = prior_for(name)
    where = f"the {name} sector" if has_specific_prior(name) else "listed companies in general (a generic prior)"
    head = f"Industry prior for {where}, not a measured fact about the company"
    out = [Evidence(id=prior_id("force", force), kind="prior", label=f"Industry prior: {force.replace('_', ' ')}",
                    text=f"{head}: {reason} (prior rating {rating:.1f} of 5).", value=None,
                    source=PRIOR_SOURCE) for force, (rating, reason) in p.forces.items()]
    out += [Evidence(id=prior_id("pestel", factor), kind="prior", label=f"Industry prior: {factor}",
                     text=f"{head}: {text}.", source=PRIOR_SOURCE) for factor, text in p.pestel.items()]
    out += [Evidence(id=prior_id("errc", move), kind="prior", label=f"Industry prior: {move}",
                     text=f"{head}: a common '{move}' move in the sector is {text}.", source=PRIOR_SOURCE)
            for move, text in p.errc.items()]
    for key, value in p.typical.items():
        label = _TYPICAL_LABELS.get(key, key.replace("_", " "))
        out.append(Evidence(
            id=prior_id("typical", TYPICAL_METRIC.get(key, key)), kind="prior", label=f"Industry prior: {label}",
            text=f"Typical {label} for {where}: about {pct(value)} (a prior, not a measured peer figure).",
            value=value, unit="ratio", source=PRIOR_SOURCE))
    return out
