"""The GICS industry of each GICS sub-industry (the 2023 structure, as MSCI and S&P publish it).

The bundled S&P 500 table names each member's sector and sub-industry; peers are chosen from the
sub-industry first and then from the industry that holds it, so the industry level comes from here.
Only the sub-industries that occur in the table are listed; an unlisted one has no industry level.
"""

from __future__ import annotations

_INDUSTRIES: dict[str, tuple[str, ...]] = {
    # Communication Services
    "Media": ("Advertising", "Broadcasting", "Cable & Satellite", "Publishing"),
    "Diversified Telecommunication Services": ("Integrated Telecommunication Services", "Alternative Carriers"),
    "Wireless Telecommunication Services": ("Wireless Telecommunication Services",),
    "Entertainment": ("Movies & Entertainment", "Interactive Home Entertainment"),
    "Interactive Media & Services": ("Interactive Media & Services",),
    # Consumer Discretionary
    "Specialty Retail": ("Apparel Retail", "Computer & Electronics Retail", "Home Improvement Retail",
                         "Other Specialty Retail", "Automotive Retail", "Homefurnishing Retail"),
    "Textiles, Apparel & Luxury Goods": ("Apparel, Accessories & Luxury Goods", "Footwear", "Textiles"),
    "Automobiles": ("Automobile Manufacturers", "Motorcycle Manufacturers"),
    "Automobile Components": ("Automotive Parts & Equipment", "Tires & Rubber"),
    "Broadline Retail": ("Broadline Retail",),
    "Hotels, Restaurants & Leisure": ("Casinos & Gaming", "Hotels, Resorts & Cruise Lines", "Restaurants",
                                      "Leisure Facilities"),
    "Household Durables": ("Consumer Electronics", "Homebuilding", "Household Appliances", "Housewares & Specialties",
                           "Home Furnishings"),
    "Distributors": ("Distributors",),
    "Leisure Products": ("Leisure Products",),
    "Diversified Consumer Services": ("Specialized Consumer Services", "Education Services"),
    # Consumer Staples
    "Food Products": ("Agricultural Products & Services", "Packaged Foods & Meats"),
    "Beverages": ("Brewers", "Distillers & Vintners", "Soft Drinks & Non-alcoholic Beverages"),
    "Consumer Staples Distribution & Retail": ("Consumer Staples Merchandise Retail", "Food Retail",
                                               "Food Distributors", "Drug Retail"),
    "Household Products": ("Household Products",),
    "Personal Care Products": ("Personal Care Products",),
    "Tobacco": ("Tobacco",),
    # Energy
    "Oil, Gas & Consumable Fuels": ("Integrated Oil & Gas", "Oil & Gas Exploration & Production",
                                    "Oil & Gas Refining & Marketing", "Oil & Gas Storage & Transportation",
                                    "Coal & Consumable Fuels"),
    "Energy Equipment & Services": ("Oil & Gas Equipment & Services", "Oil & Gas Drilling"),
    # Financials
    "Banks": ("Diversified Banks", "Regional Banks"),
    "Capital Markets": ("Asset Management & Custody Banks", "Financial Exchanges & Data",
                        "Investment Banking & Brokerage", "Diversified Capital Markets"),
    "Consumer Finance": ("Consumer Finance",),
    "Financial Services": ("Transaction & Payment Processing Services", "Multi-Sector Holdings",
                           "Diversified Financial Services", "Specialized Finance"),
    "Insurance": ("Insurance Brokers", "Life & Health Insurance", "Multi-line Insurance",
                  "Property & Casualty Insurance", "Reinsurance"),
    # Health Care
    "Biotechnology": ("Biotechnology",),
    "Health Care Providers & Services": ("Health Care Distributors", "Health Care Facilities",
                                         "Health Care Services", "Managed Health Care"),
    "Health Care Equipment & Supplies": ("Health Care Equipment", "Health Care Supplies"),
    "Health Care Technology": ("Health Care Technology",),
    "Life Sciences Tools & Services": ("Life Sciences Tools & Services",),
    "Pharmaceuticals": ("Pharmaceuticals",),
    # Industrials
    "Aerospace & Defense": ("Aerospace & Defense",),
    "Machinery": ("Agricultural & Farm Machinery", "Construction Machinery & Heavy Transportation Equipment",
                  "Industrial Machinery & Supplies & Components"),
    "Air Freight & Logistics": ("Air Freight & Logistics",),
    "Building Products": ("Building Products",),
    "Ground Transportation": ("Cargo Ground Transportation", "Passenger Ground Transportation",
                              "Rail Transportation"),
    "Construction & Engineering": ("Construction & Engineering",),
    "Commercial Services & Supplies": ("Diversified Support Services", "Environmental & Facilities Services",
                                       "Commercial Printing", "Office Services & Supplies",
                                       "Security & Alarm Services"),
    "Electrical Equipment": ("Electrical Components & Equipment", "Heavy Electrical Equipment"),
    "Professional Services": ("Human Resource & Employment Services", "Research & Consulting Services",
                              "Data Processing & Outsourced Services"),
    "Industrial Conglomerates": ("Industrial Conglomerates",),
    "Passenger Airlines": ("Passenger Airlines",),
    "Trading Companies & Distributors": ("Trading Companies & Distributors",),
    # Information Technology
    "Semiconductors & Semiconductor Equipment": ("Semiconductors", "Semiconductor Materials & Equipment"),
    "Software": ("Application Software", "Systems Software"),
    "IT Services": ("IT Consulting & Other Services", "Internet Services & Infrastructure"),
    "Communications Equipment": ("Communications Equipment",),
    "Technology Hardware, Storage & Peripherals": ("Technology Hardware, Storage & Peripherals",),
    "Electronic Equipment, Instruments & Components": ("Electronic Components", "Electronic Equipment & Instruments",
                                                       "Electronic Manufacturing Services",
                                                       "Technology Distributors"),
    # Materials
    "Chemicals": ("Commodity Chemicals", "Diversified Chemicals", "Fertilizers & Agricultural Chemicals",
                  "Industrial Gases", "Specialty Chemicals"),
    "Construction Materials": ("Construction Materials",),
    "Metals & Mining": ("Aluminum", "Copper", "Diversified Metals & Mining", "Gold", "Precious Metals & Minerals",
                        "Silver", "Steel"),
    "Containers & Packaging": ("Metal, Glass & Plastic Containers", "Paper & Plastic Packaging Products & Materials"),
    # Real Estate
    "Specialized REITs": ("Data Center REITs", "Other Specialized REITs", "Self-Storage REITs",
                          "Telecom Tower REITs", "Timber REITs"),
    "Health Care REITs": ("Health Care REITs",),
    "Hotel & Resort REITs": ("Hotel & Resort REITs",),
    "Industrial REITs": ("Industrial REITs",),
    "Residential REITs": ("Multi-Family Residential REITs", "Single-Family Residential REITs"),
    "Office REITs": ("Office REITs",),
    "Retail REITs": ("Retail REITs",),
    "Real Estate Management & Development": ("Real Estate Services", "Real Estate Development",
                                             "Real Estate Operating Companies", "Diversified Real Estate Activities"),
    # Utilities
    "Electric Utilities": ("Electric Utilities",),
    "Gas Utilities": ("Gas Utilities",),
    "Independent Power and Renewable Electricity Producers": ("Independent Power Producers & Energy Traders",
                                                              "Renewable Electricity"),
    "Multi-Utilities": ("Multi-Utilities",),
    "Water Utilities": ("Water Utilities",),
}

INDUSTRY_OF: dict[str, str] = {sub: industry for industry, subs in _INDUSTRIES.items() for sub in subs}


def industry_of(sub_industry: str | None) -> str | None:
    """The GICS industry holding `sub_industry`; None when it is unknown."""
    return INDUSTRY_OF.get(sub_industry or "")
