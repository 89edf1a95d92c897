"""Industry structure priors by GICS sector (facts about industries, not about one company).

Ratings are 1 (weak force) to 5 (strong force). `typical` holds rough sector medians used
as the 'industry' line of the Blue Ocean strategy canvas.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SectorPrior:
    forces: dict[str, tuple[float, str]]
    pestel: dict[str, str]
    errc: dict[str, str]
    typical: dict[str, float] = field(default_factory=dict)


_DEFAULT = SectorPrior(
    forces={
        "competitive_rivalry": (3.0, "rivalry is moderate in a typical listed industry"),
        "supplier_power": (3.0, "suppliers hold moderate leverage"),
        "buyer_power": (3.0, "buyers can compare offers and switch at moderate cost"),
        "threat_of_substitutes": (3.0, "substitutes exist for part of the offer"),
        "threat_of_new_entrants": (2.5, "scale and brand create some barriers to entry"),
    },
    pestel={
        "political": "trade policy and government spending shape demand",
        "economic": "demand follows the business cycle and interest rates",
        "social": "customer preferences shift with demographics and habits",
        "technological": "digitisation changes how the product is made and sold",
        "environmental": "emissions disclosure and climate rules raise reporting duties",
        "legal": "competition, consumer-protection and data laws apply",
    },
    errc={
        "eliminate": "features customers rarely use but that add cost",
        "reduce": "complexity of the product range",
        "raise": "service quality and speed",
        "create": "an offer for customers the industry does not serve today",
    },
    typical={"gross_margin": 0.35, "operating_margin": 0.12, "growth": 0.05, "net_margin": 0.08},
)

SECTOR_PRIORS: dict[str, SectorPrior] = {
    "Information Technology": SectorPrior(
        forces={
            "competitive_rivalry": (4.0, "technology markets move fast and leaders are challenged every product cycle"),
            "supplier_power": (3.0, "leading-edge components come from few suppliers (foundries, memory, displays)"),
            "buyer_power": (2.5, "ecosystems and switching costs weaken individual buyers"),
            "threat_of_substitutes": (3.0, "new computing form factors and cloud services substitute for owned products"),
            "threat_of_new_entrants": (2.0, "R&D scale, patents and developer ecosystems deter entrants"),
        },
        pestel={
            "political": "export controls and US-China technology policy constrain supply chains and sales",
            "economic": "enterprise IT budgets and consumer upgrade cycles drive demand",
            "social": "device and software habits, and privacy expectations, shape adoption",
            "technological": "AI, semiconductor process nodes and platform shifts reset competitive positions",
            "environmental": "energy use of devices and data centres and e-waste rules draw scrutiny",
            "legal": "antitrust, app-store and data-protection rules apply to platform businesses",
        },
        errc={
            "eliminate": "hardware and software features that exist only to match competitors' spec sheets",
            "reduce": "dependence on a single product line or a single manufacturing region",
            "raise": "integration between devices, software and services",
            "create": "AI-native services that turn the installed base into recurring revenue",
        },
        typical={"gross_margin": 0.50, "operating_margin": 0.20, "growth": 0.08, "net_margin": 0.15},
    ),
    "Communication Services": SectorPrior(
        forces={
            "competitive_rivalry": (4.0, "platforms compete for the same attention and advertising budgets"),
            "supplier_power": (2.5, "content and infrastructure suppliers have some leverage"),
            "buyer_power": (2.5, "advertisers are many and fragmented, users pay little or nothing"),
            "threat_of_substitutes": (3.5, "new apps and formats can divert attention quickly"),
            "threat_of_new_entrants": (2.5, "network effects protect incumbents but new formats still break in"),
        },
        pestel={
            "political": "content regulation and platform oversight vary by country",
            "economic": "advertising spend is cyclical",
            "social": "user attention shifts between formats and generations",
            "technological": "AI-generated content and search change how audiences find information",
            "environmental": "data-centre energy use is the main footprint",
            "legal": "antitrust cases and privacy law constrain data use and bundling",
        },
        errc={
            "eliminate": "ad formats that degrade user experience",
            "reduce": "reliance on third-party data",
            "raise": "trust, safety and content quality",
            "create": "subscription and AI assistant offers beside advertising",
        },
        typical={"gross_margin": 0.55, "operating_margin": 0.22, "growth": 0.08, "net_margin": 0.17},
    ),
    "Consumer Discretionary": SectorPrior(
        forces={
            "competitive_rivalry": (4.0, "brands compete hard on price, design and promotion"),
            "supplier_power": (3.0, "component and raw-material suppliers pass on cost swings"),
            "buyer_power": (3.5, "consumers compare prices easily and delay discretionary purchases"),
            "threat_of_substitutes": (3.0, "consumers can spend the same money on other categories"),
            "threat_of_new_entrants": (3.0, "online channels lower the cost of reaching customers"),
        },
        pestel={
            "political": "tariffs and subsidies change product costs and prices",
            "economic": "discretionary demand falls when rates rise and real incomes squeeze",
            "social": "tastes and brand perception shift quickly",
            "technological": "electrification, software and e-commerce reshape products and channels",
            "environmental": "emissions standards and materials sourcing face rising rules",
            "legal": "product safety, consumer protection and labour law apply",
        },
        errc={
            "eliminate": "dealer and channel layers that add cost without service",
            "reduce": "model and variant proliferation",
            "raise": "software features and after-sale experience",
            "create": "services and energy offers around the core product",
        },
        typical={"gross_margin": 0.33, "operating_margin": 0.09, "growth": 0.06, "net_margin": 0.06},
    ),
}

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
