"""Resources both profiles share: the providers (SourcesResource), the research index (IndexResource) and the
reading of optional variables (optional_env)."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from ...index.embedders import make_embedder
from ...settings import Settings, parse_mode, postgres_dsn_from_env, resolve_snapshot_dir, storage_root
from ...sources.collect import settings_serve
from ...sources.registry import Served

if TYPE_CHECKING:  # pyarrow and LanceDB load when the index is first used, not with the definitions
    from ...index.store import ChunkStore
    from ...sources.breaker import BreakerStore


def open_breaker_store(kind: str, home: Path, env: Mapping[str, str] | None = None) -> BreakerStore:
    """The circuit breakers' store of a kind: "file" = <home>/state/breakers.json, "postgres" = the table
    consultantos_breakers in the LLM ledger's database (CONSULTANTOS_LEDGER_DSN, else DAGSTER_PG_*)."""
    from ...sources.breaker import JsonBreakerStore, breaker_path, postgres_breaker_store

    if kind == "postgres":
        return postgres_breaker_store(postgres_dsn_from_env(env))
    if kind != "file":
        raise ValueError(f"breaker store {kind!r} is not one of file, postgres")
    return JsonBreakerStore(breaker_path(home))


@functools.cache
def _serve_for(settings: Settings):
    """One provider set per process and configuration: providers cache their parsed snapshot indexes."""
    return settings_serve(settings)


class SourcesResource(dg.ConfigurableResource):
    """Which providers serve each source: CONSULTANTOS_MODE, the snapshot and the keys."""

    mode: str = "auto"
    snapshot_dir: str | None = None
    tavily_api_key: str | None = None
    edgar_identity: str | None = None
    # where the circuit breakers' state is shared (build_resources sets it from the profile): "file" =
    # <storage root>/state/breakers.json, "postgres" = the LLM ledger's database
    breakers: str = "file"

    def breaker_store(self) -> BreakerStore:
        """The ready breaker store the live providers' guards share."""
        return open_breaker_store(self.breakers, storage_root())

    def settings(self) -> Settings:
        return Settings(
            mode=parse_mode(self.mode),
            snapshot_dir=resolve_snapshot_dir(self.snapshot_dir),
            home=storage_root(),
            tavily_api_key=self.tavily_api_key or None,
            edgar_identity=self.edgar_identity or None,
            # the file store follows from `home` (Settings' default), which keeps Settings hashable by value
            breakers=self.breaker_store() if self.breakers != "file" else None,
        )

    def serve(self, key: str, call, last_good=None) -> Served:
        """`call` on the provider chosen for `key`; `last_good()` answers when a live refresh fails."""
        return _serve_for(self.settings())(key, call, last_good)

    def snapshot_fingerprint(self, asset: str, ticker: str, cik: int | None,
                             peers: list[tuple[str, int | None]] | None = None) -> str:
        """The fingerprint of the snapshot files `asset` reads for the company (sources/fingerprint.py);
        `peers`: (ticker, CIK) of the named peers, for peer_figures."""
        from ...sources.fingerprint import snapshot_fingerprint

        settings = self.settings()
        return snapshot_fingerprint(settings.snapshot_dir, asset, ticker, cik, settings.home, peers)


class IndexResource(dg.ConfigurableResource):
    """The LanceDB research index: one table per embedder under `uri`.

    embedder: auto | static | minilm | minilm-torch | gemini | lexical (CONSULTANTOS_EMBEDDER). auto =
    Gemini when a key is set, the mode is not offline and the service answers; else the local static
    model; else MiniLM on onnxruntime; else the lexical fallback.
    """

    uri: str
    embedder: str = "auto"
    gemini_api_key: str | None = None

    def store(self) -> ChunkStore:
        from ...index.store import ChunkStore

        return ChunkStore(self.uri, make_embedder(self.embedder, api_key=self.gemini_api_key or None))


def optional_env(name: str, *alternatives: str, secret: bool = True, resolve: bool = False):
    """An EnvVar reference when the variable is set (so the secret never lands in config), else None;
    with `resolve`, the variable's value instead (for resources used outside a run, see build_resources).
    A secret's value is also masked in every log record of this process (consultantos_assets.redact)."""
    from ...redact import register_secret

    for n in (name, *alternatives):
        if os.environ.get(n):
            if secret:
                register_secret(os.environ[n])
            return os.environ[n] if resolve else dg.EnvVar(n)
    return None


