"""Retrieval for the analysts (no dagster): questions in, citable chunks out.

    chunks = retrieve(store, "How concentrated are Apple's suppliers?", "AAPL", k=6)
    for c in chunks:
        c.evidence_id   # cite this (a document id such as doc:AAPL:profile, or a fact id such as fin:...)
        c.text, c.source, c.date, c.score

By default only evidence is searched (documents and facts), never the framework points that the
analysts themselves wrote (kind ``framework_point``), so an analyst cannot cite its own earlier output.
"""

from __future__ import annotations

from ..models import Chunk, RetrievedContext
from .chunking import FRAMEWORK_POINT
from .store import ChunkStore

FRAMEWORK_QUESTIONS: dict[str, list[str]] = {
    "porter_five_forces": [
        "Who are the main competitors and how intense is price competition in the industry?",
        "How dependent is the company on key suppliers, components or manufacturing partners?",
        "How much bargaining power do customers have, and how concentrated are its customers?",
        "What substitute products or technologies could replace the company's offerings?",
        "What barriers to entry protect the market: scale, brand, patents, regulation, capital needs?",
    ],
    "swot": [
        "What are the company's main competitive strengths, brands and sources of advantage?",
        "Where is the company weak: declining revenue, margins, debt, or dependence on one product?",
        "What growth opportunities exist in new products, markets, services or acquisitions?",
        "What threats does the company face from competitors, regulation, litigation or the economy?",
    ],
    "pestel": [
        "What political, trade, tariff or government actions affect the company?",
        "How do interest rates, inflation, currencies and the economic cycle affect results?",
        "What social, demographic or consumer-preference trends matter for demand?",
        "What technology changes, research and development or innovation affect the business?",
        "What environmental, climate or sustainability issues affect the company?",
        "What legal proceedings, antitrust, privacy or regulatory investigations involve the company?",
    ],
    "blue_ocean": [
        "Which product features or services does the industry compete on that customers value least?",
        "Where could the company create new demand or serve non-customers?",
        "How does the company's pricing, cost structure and margins compare with the industry?",
    ],
    "synthesis": [
        "What are the most important recent financial results and trends?",
        "What are the biggest risks to the company's outlook?",
        "What strategic moves or recent filings signal the company's direction?",
    ],
}


def framework_questions(framework: str) -> list[str]:
    """The standard questions an analyst asks the index for one framework (or 'synthesis')."""
    try:
        return list(FRAMEWORK_QUESTIONS[framework])
    except KeyError:
        raise ValueError(f"unknown framework {framework!r}; one of {', '.join(FRAMEWORK_QUESTIONS)}") from None


def retrieve(store: ChunkStore, question: str, ticker: str, k: int = 6, mode: str = "hybrid") -> list[Chunk]:
    """The top `k` evidence chunks for `question` about `ticker`, best first.

    Each chunk carries `evidence_id` (the id to cite), `text`, `source`, `date`, `kind` and `score`.
    Framework points are excluded. Returns [] when the company has not been indexed.
    """
    return store.search(question, ticker=ticker, k=k, mode=mode, exclude_kinds=[FRAMEWORK_POINT])


def retrieve_for_framework(store: ChunkStore, framework: str, ticker: str, k: int = 6,
                           mode: str = "hybrid") -> list[RetrievedContext]:
    """`retrieve` for each of the framework's standard questions."""
    return [RetrievedContext(question=q, chunks=retrieve(store, q, ticker, k=k, mode=mode))
            for q in framework_questions(framework)]
