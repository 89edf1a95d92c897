"""Resources: the only way assets reach providers, analysts, the index and report storage.

    common.py      the providers (SourcesResource) and the research index (IndexResource), both profiles
    local.py       the analyst, the report store and the local profile's resources (files under the storage root)
    production.py  the production profile's: Google Cloud Storage and PostgreSQL

`build_resources` is the one place that picks the profile (CONSULTANTOS_PROFILE); every other module is
handed the ready resources and stores.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from ...settings import ProfileSettings, storage_root
from .common import IndexResource, SourcesResource, open_breaker_store, optional_env
from .local import PORTFOLIO_DIR, AnalystResource, ReportStore, local_resources

if TYPE_CHECKING:
    from ...sources.breaker import BreakerStore


def _profile(home: Path | None, profile: ProfileSettings | None = None,
             env: dict[str, str] | None = None) -> tuple[Path, ProfileSettings]:
    home = home or storage_root()
    return home, profile or ProfileSettings.from_env(env, home=home)


def _breaker_kind(profile: ProfileSettings) -> str:
    return "postgres" if profile.production else "file"


def build_resources(home: Path | None = None, profile: ProfileSettings | None = None, *,
                    resolve_env: bool = False) -> dict[str, object]:
    """The resources of the configured profile (CONSULTANTOS_PROFILE): the one place that picks them.

    Both profiles share the providers and the analyst's selection; they differ in where asset values,
    reports, the LLM answer cache and cost ledger, the circuit breakers' state, (by default) the research
    index, and the request and portfolio files users leave for the sensors and schedule (`inputs`) are kept.

    Keys and DSNs are dg.EnvVar references, which Dagster resolves when a run starts. Code that uses a
    resource outside a run (the CLI) passes `resolve_env=True` to get the variables' values instead:
    an unresolved EnvVar holds the variable's name, not its value.
    """
    home, profile = _profile(home, profile)
    env = functools.partial(optional_env, resolve=resolve_env)
    gemini_key = env("GEMINI_API_KEY", "GOOGLE_API_KEY")
    from ..alerts import alerts_from_env

    common: dict[str, object] = {
        "sources": SourcesResource(
            mode=os.environ.get("CONSULTANTOS_MODE", "auto"),
            snapshot_dir=os.environ.get("CONSULTANTOS_SNAPSHOT_DIR") or None,
            tavily_api_key=env("TAVILY_API_KEY"),
            edgar_identity=env("EDGAR_IDENTITY", secret=False),
            breakers=_breaker_kind(profile),
        ),
        "index": IndexResource(uri=profile.lancedb_uri, embedder=os.environ.get("CONSULTANTOS_EMBEDDER", "auto"),
                               gemini_api_key=gemini_key),
        "alerts": alerts_from_env(env),
    }
    analyst_kind = os.environ.get("CONSULTANTOS_ANALYST", "auto")
    if profile.production:
        from .production import production_resources

        return {**common, **production_resources(profile, analyst_kind, gemini_key, env)}
    return {**common, **local_resources(home, analyst_kind, gemini_key)}


def breaker_store(home: Path | None = None, env: dict[str, str] | None = None) -> BreakerStore:
    """The configured profile's circuit breaker store (the one the providers' guards share), for readers
    outside a run such as `consultantos breakers`: PostgreSQL in production, the JSON file locally."""
    home, profile = _profile(home, env=env)
    return open_breaker_store(_breaker_kind(profile), home, env)


def stored_value(asset: str, partition: str, home: Path | None = None):
    """The value the configured profile's IO manager holds for an asset and company (None: nothing
    stored): how readers outside a run, such as the CLI, get stored values in every profile."""
    return build_resources(home, resolve_env=True)["io_manager"].stored_value(dg.AssetKey(asset), partition)


__all__ = ["PORTFOLIO_DIR", "AnalystResource", "IndexResource", "ReportStore", "SourcesResource", "breaker_store",
           "build_resources", "optional_env", "stored_value"]
