"""What every command shares: the Dagster instance the UI uses too, the companies asked for, and the
companies' place in the asset graph."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import CliError

REPO_INSTANCE_CONFIG = Path(__file__).resolve().parents[2] / "dagster.yaml"


def ensure_instance_home() -> Path:
    """Point DAGSTER_HOME at the storage root's instance, creating it with the repo's dagster.yaml."""
    from ..settings import ProfileSettings, dagster_home

    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    target = home / "dagster.yaml"
    if not target.exists() and ProfileSettings.from_env().production:
        raise CliError(f"CONSULTANTOS_PROFILE=production needs its instance config at {target}: copy "
                       "deploy/dagster.yaml there (PostgreSQL, queued runs, step logs in the bucket)")
    if not target.exists() and REPO_INSTANCE_CONFIG.exists():
        from ..atomic import atomic_write_bytes

        atomic_write_bytes(target, REPO_INSTANCE_CONFIG.read_bytes())
    return home


def open_instance():
    """The shared instance. Opening it the first time creates its SQLite schema, which two processes
    starting together would race on, so the opening is serialised by a lock file beside it. Runs left
    in progress by a CLI process that no longer exists are marked failed on the way (see
    `reap_dead_cli_runs`)."""
    import dagster as dg
    from filelock import FileLock

    home = ensure_instance_home()
    with FileLock(str(home / ".open.lock")):
        instance = dg.DagsterInstance.get()
    for run_id, ticker in reap_dead_cli_runs(instance):
        print(f"note: run {run_id} for {ticker} was interrupted (its process is gone); marked it failed. "
              f"`consultantos report {ticker} --resume` continues it from where it stopped.", file=sys.stderr,
              flush=True)
    return instance


def reap_dead_cli_runs(instance) -> list[tuple[str, str]]:
    """Mark failed the CLI runs still recorded as in progress whose process on this machine is gone
    (killed, crashed, machine restarted), and free the pool slots they held. Returns (run id, ticker)
    of each. Runs of the daemon and the UI are judged by the `dead_run_reaper` sensor (both in
    defs/recovery.py)."""
    from ..defs.recovery import reap_dead_runs

    return [(dead.run_id, dead.ticker) for dead in reap_dead_runs(instance, cli_only=True)]


def validated_tickers(raw: list[str]) -> list[str]:
    from ..defs.partitions import validated
    from ..models import InvalidTicker

    try:
        return validated(raw)
    except InvalidTicker as exc:
        raise CliError(str(exc)) from exc


def known_profiles(tickers: list[str]) -> list:
    """Refuse companies no source knows before any partition is created; their profiles."""
    from ..defs.resources import build_resources
    from ..sources.base import SourceError

    sources = build_resources(resolve_env=True)["sources"]
    profiles = []
    for ticker in tickers:
        try:
            profiles.append(sources.serve("directory", lambda d, t=ticker: d.profile(t)).value)
        except SourceError as exc:
            raise CliError(str(exc)) from exc
    return profiles


def asset_order(defs=None) -> list[str]:
    """The company graph's assets in the order the CLI shows them: the graph's topological order, read
    from the definitions (built here when not given)."""
    from ..defs import build_definitions
    from ..defs.jobs import company_asset_order

    return company_asset_order(defs if defs is not None else build_definitions())
