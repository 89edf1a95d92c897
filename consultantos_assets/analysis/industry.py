"""Industry structure priors by GICS sector (facts about industries, not about one company).

Ratings are 1 (weak force) to 5 (strong force). `typical` holds rough sector medians used
as the 'industry' line of the Blue Ocean strategy canvas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Evidence
from .figure_text import pct


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

# Broad-market reference points for market-based canvas factors (1-year return, annual volatility).
MARKET_TYPICAL = {"return_1y": 0.10, "volatility": 0.28}

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
    "Financials": SectorPrior(
        forces={
            "competitive_rivalry": (3.5, "banks, insurers and fintechs compete for the same deposits, loans and fees"),
            "supplier_power": (2.5, "depositors and wholesale funders supply capital and move it when rates shift"),
            "buyer_power": (3.0, "large corporate clients negotiate fees; retail customers rarely switch"),
            "threat_of_substitutes": (3.0, "payments apps, private credit and capital markets substitute for balance-sheet lending"),
            "threat_of_new_entrants": (2.0, "licences, capital rules and trust keep entry slow"),
        },
        pestel={
            "political": "bank regulation, capital rules and government debt policy set the playing field",
            "economic": "interest rates, the yield curve and credit cycles drive earnings",
            "social": "digital banking habits and trust after failures shape customer choice",
            "technological": "digital payments, AI in underwriting and cyber risk change operations",
            "environmental": "climate-risk disclosure and financed-emissions scrutiny are rising",
            "legal": "consumer-finance, anti-money-laundering and capital-adequacy rules apply",
        },
        errc={
            "eliminate": "branch and paper processes customers no longer use",
            "reduce": "fee complexity",
            "raise": "speed of credit decisions and digital service",
            "create": "embedded finance offers inside partners' platforms",
        },
        typical={"gross_margin": 0.60, "operating_margin": 0.30, "growth": 0.05, "net_margin": 0.20},
    ),
    "Health Care": SectorPrior(
        forces={
            "competitive_rivalry": (3.5, "patent cliffs and biosimilars intensify rivalry in each therapy area"),
            "supplier_power": (2.5, "ingredient and device-component suppliers are numerous but quality-regulated"),
            "buyer_power": (4.0, "governments, insurers and pharmacy-benefit managers negotiate prices hard"),
            "threat_of_substitutes": (2.5, "new therapies substitute slowly once approved"),
            "threat_of_new_entrants": (2.0, "clinical trials, approvals and distribution are costly barriers"),
        },
        pestel={
            "political": "drug-pricing policy and public health budgets set revenue ceilings",
            "economic": "demand is resilient to cycles but pricing is under pressure",
            "social": "ageing populations and health awareness expand demand",
            "technological": "biologics, gene therapy and AI-assisted discovery reshape pipelines",
            "environmental": "manufacturing waste and supply-chain emissions draw scrutiny",
            "legal": "patents, product liability and approval rules dominate risk",
        },
        errc={
            "eliminate": "late-stage programmes without clear differentiation",
            "reduce": "dependence on products nearing patent expiry",
            "raise": "evidence of real-world outcomes",
            "create": "value-based pricing and care-delivery partnerships",
        },
        typical={"gross_margin": 0.60, "operating_margin": 0.18, "growth": 0.06, "net_margin": 0.12},
    ),
    "Consumer Staples": SectorPrior(
        forces={
            "competitive_rivalry": (3.5, "mature categories grow slowly, so share is won from rivals"),
            "supplier_power": (3.0, "commodity inputs and packaging swing costs"),
            "buyer_power": (4.0, "large retailers control shelf space and push private labels"),
            "threat_of_substitutes": (3.0, "private labels and healthier alternatives substitute for brands"),
            "threat_of_new_entrants": (2.5, "direct-to-consumer brands enter niches, scale still protects the core"),
        },
        pestel={
            "political": "tariffs on commodities and sugar or packaging taxes change costs",
            "economic": "inflation squeezes volumes and pushes trading down to private labels",
            "social": "health, wellness and sustainability preferences shift demand",
            "technological": "e-commerce and retail media change how brands reach shoppers",
            "environmental": "packaging waste, water use and agricultural sourcing are under pressure",
            "legal": "labelling, food-safety and advertising rules apply",
        },
        errc={
            "eliminate": "long-tail products with low turnover",
            "reduce": "promotional spending that only shifts timing of purchases",
            "raise": "brand health and innovation in growing segments",
            "create": "direct relationships with consumers and new formats",
        },
        typical={"gross_margin": 0.38, "operating_margin": 0.14, "growth": 0.04, "net_margin": 0.09},
    ),
    "Energy": SectorPrior(
        forces={
            "competitive_rivalry": (3.0, "producers sell a commodity at prices none of them sets"),
            "supplier_power": (3.0, "oilfield services and equipment costs rise with activity"),
            "buyer_power": (3.0, "refiners and utilities buy on price from many sellers"),
            "threat_of_substitutes": (3.5, "renewables and electrification erode long-term hydrocarbon demand"),
            "threat_of_new_entrants": (1.5, "reserves, capital and permits keep entry rare"),
        },
        pestel={
            "political": "sanctions, OPEC+ decisions and licensing shape supply",
            "economic": "commodity prices drive revenue and investment cycles",
            "social": "public pressure on fossil fuels affects licence to operate",
            "technological": "carbon capture, low-carbon fuels and drilling efficiency change economics",
            "environmental": "emissions regulation and transition risk weigh on valuations",
            "legal": "environmental liability and climate litigation are material risks",
        },
        errc={
            "eliminate": "high-cost, high-emission assets",
            "reduce": "exposure to short-cycle price swings",
            "raise": "capital discipline and returns to shareholders",
            "create": "low-carbon businesses that use existing capabilities",
        },
        typical={"gross_margin": 0.30, "operating_margin": 0.12, "growth": 0.03, "net_margin": 0.08},
    ),
    "Industrials": SectorPrior(
        forces={
            "competitive_rivalry": (3.5, "contracts are won on price, delivery and service"),
            "supplier_power": (3.0, "specialised components and labour constrain output"),
            "buyer_power": (3.5, "large customers and governments buy through tenders"),
            "threat_of_substitutes": (2.5, "installed equipment is replaced slowly"),
            "threat_of_new_entrants": (2.0, "certification, scale and service networks protect incumbents"),
        },
        pestel={
            "political": "defence and infrastructure budgets set demand",
            "economic": "capital spending cycles drive orders",
            "social": "skilled-labour shortages limit capacity",
            "technological": "automation and electrification reshape products and factories",
            "environmental": "decarbonisation targets change product demand",
            "legal": "safety, export-control and procurement rules apply",
        },
        errc={
            "eliminate": "custom variants that add engineering cost",
            "reduce": "lead times and working capital",
            "raise": "aftermarket service and uptime",
            "create": "outcome-based contracts and digital services",
        },
        typical={"gross_margin": 0.30, "operating_margin": 0.12, "growth": 0.05, "net_margin": 0.08},
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
