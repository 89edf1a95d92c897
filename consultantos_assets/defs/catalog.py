"""What the Dagster catalog says about each asset besides its value: code versions, kinds, owners, tags.

code_version is derived from the versions of what produces an asset's value, so a change marks exactly
the assets it affects:

    analysis assets (the four frameworks, synthesis)  prompts.PROMPT_VERSION + rules.NAME
    report_pdf                                         render_versions.RENDERER_VERSION
    portfolio                                          render_versions.PORTFOLIO_RENDERER_VERSION
    evaluation                                         EVALUATION_VERSION
    sources, peers, evidence and indexes               their own constants below (bump EVIDENCE_VERSION
                                                       when analysis/evidence.py or peers.py writes
                                                       different evidence)

Owners come from CONSULTANTOS_OWNERS (comma separated e-mail addresses or team:<name>; default
team:research) and are attached when the definitions are built.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

import dagster as dg

from ..analysis.prompts import PROMPT_VERSION
from ..analysis.rules import NAME as RULES_VERSION
from ..render_versions import PORTFOLIO_RENDERER_VERSION, RENDERER_VERSION
from ..settings import ConfigError

ANALYSIS_ASSETS: tuple[str, ...] = ("porter_five_forces", "swot", "pestel", "blue_ocean", "synthesis")
"""The assets an LLM may write (kind `gemini`)."""

SOURCE_VERSION = "sources-1"
INDEX_VERSION = "chunks-2"
PEERS_VERSION = "peers-1"
EVIDENCE_VERSION = "evidence-2"
EVALUATION_VERSION = "evaluation-1"  # analysis/evaluation.py's measures


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower()


def code_versions(prompt: str = PROMPT_VERSION, rules: str = RULES_VERSION, renderer: str = RENDERER_VERSION,
                  portfolio_renderer: str = PORTFOLIO_RENDERER_VERSION) -> dict[str, str]:
    """Every asset's code_version from the versions of what makes it (pure)."""
    analysis = f"{_slug(prompt)}+{_slug(rules)}"
    return {
        "company_profile": SOURCE_VERSION, "company_research": SOURCE_VERSION, "market_trends": SOURCE_VERSION, "financials": SOURCE_VERSION,
        "peers": PEERS_VERSION, "peer_figures": PEERS_VERSION, "evidence": EVIDENCE_VERSION,
        "research_index": INDEX_VERSION, "insight_index": INDEX_VERSION,
        **{name: analysis for name in ANALYSIS_ASSETS},
        "report_pdf": _slug(renderer),
        "portfolio": _slug(portfolio_renderer),
        "evaluation": EVALUATION_VERSION,
    }


CODE_VERSIONS = code_versions()


def kinds_for(name: str, kind: str) -> set[str]:
    """The asset's kinds: what it is stored as, plus `gemini` where a model may write it."""
    return {kind, "gemini"} if name in ANALYSIS_ASSETS else {kind}


_OWNER = re.compile(r"^(team:[A-Za-z0-9_.-]+|[^@\s]+@[^@\s]+\.[^@\s]+)$")


def owners_from_env(env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    raw = env.get("CONSULTANTOS_OWNERS") or "team:research"
    owners = [o.strip() for o in raw.split(",") if o.strip()]
    bad = [o for o in owners if not _OWNER.match(o)]
    if bad or not owners:
        raise ConfigError(f"CONSULTANTOS_OWNERS={raw!r}: each owner is an e-mail address or team:<name>, "
                          "comma separated (e.g. team:research,ana@example.com)")
    return owners


def apply_owners(assets: Iterable, owners: list[str]) -> list:
    """Attach the configured owners to every asset spec."""
    return [a.map_asset_specs(lambda s: s.replace_attributes(owners=owners))
            if isinstance(a, dg.AssetsDefinition) else a for a in assets]
