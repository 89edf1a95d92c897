"""What the research documents discuss: PESTEL topics found by keyword patterns (pure).

Each topic is a set of phrases; a document discusses a topic when one of them occurs in its text. The
result names the documents (their evidence ids) and the phrases found, never counts, so a point built
from it states no figure the sources do not hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import CompanyResearch


@dataclass(frozen=True)
class Topic:
    factor: str
    name: str
    implication: str
    patterns: tuple[str, ...]
    case_sensitive: tuple[str, ...] = ()


TOPICS: tuple[Topic, ...] = (
    Topic("political", "tariffs and trade policy",
          "trade policy can move costs and market access",
          (r"tariffs?", r"trade (?:war|polic\w*|restrictions?|tensions?)", r"export controls?", r"import dut\w+",
           r"sanctions?")),
    Topic("political", "government and geopolitics",
          "government action and geopolitics shape where the company can sell and source",
          (r"geopolitic\w*", r"government contracts?", r"subsid(?:y|ies)", r"CHIPS Act", r"public sector",
           r"elections?")),
    Topic("economic", "interest rates and inflation",
          "the cost of capital and customers' purchasing power move with the macro cycle",
          (r"inflation\w*", r"interest rates?", r"monetary polic\w*", r"Federal Reserve")),
    Topic("economic", "demand cycles and currency",
          "demand and reported revenue follow the cycle and exchange rates",
          (r"recession\w*", r"macroeconomic", r"consumer spending", r"foreign (?:exchange|currenc\w+)",
           r"economic (?:slowdown|downturn|uncertainty)")),
    Topic("economic", "financing and new obligations",
          "new borrowing or financing commitments change the balance-sheet risk",
          (r"Direct Financial Obligation", r"credit facilit\w+", r"senior notes", r"debt offering")),
    Topic("social", "labour and workforce",
          "workforce costs, hiring and restructuring affect execution",
          (r"labou?r", r"workforce", r"layoffs?", r"unions?", r"strikes?", r"hiring", r"talent",
           r"Exit or Disposal Activities")),
    Topic("social", "consumer attitudes, privacy and trust",
          "customers' expectations on privacy, safety and values steer adoption",
          (r"privacy", r"consumer (?:preferences?|sentiment|trust)", r"demographic\w*", r"misinformation",
           r"(?:health|safety) concerns?")),
    Topic("technological", "artificial intelligence",
          "AI changes the products and the cost of delivering them",
          (r"artificial intelligence", r"generative", r"machine learning", r"large language models?"),
          (r"\bAI\b",)),
    Topic("technological", "cloud, data centres and chips",
          "compute platforms and component supply set the pace of the product road map",
          (r"cloud", r"data cent(?:er|re)s?", r"semiconductors?", r"GPUs?", r"accelerators?")),
    Topic("technological", "cybersecurity",
          "security incidents are a technology risk with legal consequences",
          (r"cyber\w*", r"security incidents?", r"data breach\w*")),
    Topic("technological", "electrification and autonomy",
          "the shift to electric and autonomous products resets competition",
          (r"electric vehicles?", r"autonomous", r"self-driving", r"batter(?:y|ies)"), (r"\bEVs?\b",)),
    Topic("environmental", "climate and emissions",
          "emissions rules and climate commitments add cost and reporting duties",
          (r"climate", r"emissions?", r"carbon", r"net[- ]zero", r"greenhouse")),
    Topic("environmental", "energy and resources",
          "energy use, water and waste draw regulatory and customer scrutiny",
          (r"renewable", r"energy (?:use|consumption|efficiency)", r"power demand", r"recycl\w+", r"e-waste",
           r"sustainab\w+", r"\bESG\b")),
    Topic("legal", "litigation",
          "legal proceedings can bring damages, settlements or injunctions",
          (r"litigation", r"lawsuits?", r"class action", r"settlements?", r"jury", r"court rul\w+")),
    Topic("legal", "regulation and competition law",
          "regulators' rules and competition law constrain conduct and disclosure",
          (r"antitrust", r"regulators?", r"regulation\w*", r"regulatory", r"competition (?:law|authorit\w+)",
           r"Department of Justice", r"European Commission", r"Digital Markets Act", r"\bFTC\b",
           r"\bDOJ\b")),
    Topic("legal", "intellectual property",
          "patents and licences protect and expose the product line",
          (r"patents?", r"intellectual property", r"licens\w+ agreements?")),
    Topic("legal", "governance, contracts and leadership",
          "board, officer and material-contract changes are disclosed legal events",
          (r"Departure of Directors", r"Officer Compensation", r"Material Definitive Agreement",
           r"Vote of Security Holders", r"Amendments to Articles")),
)


@dataclass
class TopicHit:
    topic: Topic
    documents: list[str] = field(default_factory=list)  # evidence ids, in document order
    titles: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # distinct phrases as written, first seen first


def _compiled(topic: Topic) -> list[re.Pattern[str]]:
    out = [re.compile(rf"\b{p}\b", re.IGNORECASE) for p in topic.patterns]
    out += [re.compile(p) for p in topic.case_sensitive]
    return out


_COMPILED = {t.name: _compiled(t) for t in TOPICS}


def document_topics(research: CompanyResearch) -> dict[str, list[TopicHit]]:
    """Per PESTEL factor, the topics the documents discuss, most widely discussed first (stable).

    The company profile is left out: it holds the SIC label, headquarters and exchange, which name an
    industry rather than discuss a topic."""
    by_factor: dict[str, list[TopicHit]] = {}
    docs = [d for d in research.documents if d.kind != "profile"]
    for topic in TOPICS:
        hit = TopicHit(topic)
        for doc in docs:
            found: list[str] = []
            for pat in _COMPILED[topic.name]:
                found += [m.group(0) for m in pat.finditer(doc.text)]
            if not found:
                continue
            hit.documents.append(doc.id)
            hit.titles.append(doc.title)
            for phrase in found:
                if phrase.lower() not in {p.lower() for p in hit.phrases}:
                    hit.phrases.append(phrase)
        if hit.documents:
            by_factor.setdefault(topic.factor, []).append(hit)
    for hits in by_factor.values():
        hits.sort(key=lambda h: -len(h.documents))
    return by_factor


def quoted(text: str, limit: int = 80) -> str:
    """A title or phrase in single quotes, safe for the grounding check (which skips quoted text)."""
    clean = " ".join(text.replace("'", "\u2019").split())
    if len(clean) > limit:
        clean = clean[: limit - 1].rstrip() + "\u2026"
    return f"'{clean}'"
