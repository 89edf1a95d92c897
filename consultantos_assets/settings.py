"""Runtime configuration read from the environment (no dagster here).

CONSULTANTOS_MODE          auto | offline | live (default auto)
CONSULTANTOS_SNAPSHOT_DIR  snapshot directory (default: the bundled sample_data/)
CONSULTANTOS_HOME          storage root (default ./.consultantos)
TAVILY_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY, EDGAR_IDENTITY  live providers
Automation (freshness windows, portfolio schedule, sensors): see AutomationSettings below.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

BUNDLED_SNAPSHOT = Path(__file__).parent / "sample_data"
ModeSetting = Literal["auto", "offline", "live"]
MODES: tuple[str, ...] = ("auto", "offline", "live")


class ConfigError(ValueError):
    """A configuration value a user set is unusable."""


def storage_root() -> Path:
    return Path(os.environ.get("CONSULTANTOS_HOME", ".consultantos")).expanduser().resolve()


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or storage_root() / "dagster").resolve()


def parse_mode(value: str | None) -> ModeSetting:
    mode = (value or "auto").strip().lower()
    if mode not in MODES:
        raise ConfigError(f"CONSULTANTOS_MODE={value!r} is not one of {', '.join(MODES)}")
    return mode  # type: ignore[return-value]


def resolve_snapshot_dir(value: str | None) -> Path:
    if not value:
        return BUNDLED_SNAPSHOT
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise ConfigError(
            f"CONSULTANTOS_SNAPSHOT_DIR={value!r} is not a directory; point it at a snapshot "
            "(sec_edgar/, prices_daily/, google_trends/, company_metadata/, documents/) or unset it "
            "to use the bundled sample"
        )
    return path


@dataclass(frozen=True)
class Settings:
    mode: ModeSetting = "auto"
    snapshot_dir: Path = BUNDLED_SNAPSHOT
    home: Path = field(default_factory=storage_root)
    tavily_api_key: str | None = None
    gemini_api_key: str | None = None
    edgar_identity: str | None = None
    # the circuit breakers' shared state (a sources.breaker.BreakerStore, handed in by the resources);
    # None: the file <home>/state/breakers.json
    breakers: Any = None


# ---- profiles (where values, reports, caches and the instance live) -----------------------------
# CONSULTANTOS_PROFILE       local | production (default local). local: files under the storage root;
#                            production: Google Cloud Storage for asset values, reports and the LLM answer
#                            cache, PostgreSQL for the Dagster instance and the LLM cost ledger
# CONSULTANTOS_GCS_BUCKET    production: the bucket (required)
# CONSULTANTOS_GCS_PREFIX    production: object prefix inside the bucket (default consultantos)
# GOOGLE_CLOUD_PROJECT       production: the project of the GCS client (default: from the credentials)
# CONSULTANTOS_LANCEDB_URI   the research index (default gs://<bucket>/<prefix>/lancedb in production,
#                            <storage root>/lancedb locally); a local path works in both profiles
# CONSULTANTOS_LEDGER_DSN    production: PostgreSQL DSN of the LLM cost ledger (default: the instance's
#                            database from DAGSTER_PG_HOST/PORT/USER/PASSWORD/DB)
PROFILES: tuple[str, ...] = ("local", "production")
PG_ENV: tuple[str, ...] = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD",
                           "DAGSTER_PG_DB")


@dataclass(frozen=True)
class ProfileSettings:
    """The storage profile; secrets (the ledger DSN, the database password) are never held here."""

    profile: str = "local"
    home: Path = field(default_factory=storage_root)
    gcs_bucket: str | None = None
    gcs_prefix: str = "consultantos"
    gcp_project: str | None = None
    lancedb_uri: str = ""

    @property
    def production(self) -> bool:
        return self.profile == "production"

    def gcs_uri(self, *parts: str) -> str:
        return "/".join([f"gs://{self.gcs_bucket}", self.gcs_prefix, *parts])

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, home: Path | None = None) -> ProfileSettings:
        env = os.environ if env is None else env
        home = home or storage_root()
        raw = env.get("CONSULTANTOS_PROFILE") or "local"
        profile = raw.strip().lower()
        if profile not in PROFILES:
            raise ConfigError(f"CONSULTANTOS_PROFILE={raw!r} is not one of {', '.join(PROFILES)}")
        lancedb_uri = (env.get("CONSULTANTOS_LANCEDB_URI") or "").strip()
        if profile == "local":
            return cls(profile=profile, home=home, lancedb_uri=lancedb_uri or str(home / "lancedb"))
        bucket = (env.get("CONSULTANTOS_GCS_BUCKET") or "").strip().removeprefix("gs://").strip("/")
        if not bucket:
            raise ConfigError("CONSULTANTOS_PROFILE=production needs CONSULTANTOS_GCS_BUCKET: the Google Cloud "
                              "Storage bucket for asset values, reports and the LLM answer cache")
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]", bucket):
            raise ConfigError(f"CONSULTANTOS_GCS_BUCKET={bucket!r} is not a bucket name (lower-case letters, digits, "
                              "'-', '_' and '.')")
        prefix = (env.get("CONSULTANTOS_GCS_PREFIX") or "consultantos").strip().strip("/")
        if not prefix or "//" in prefix or any(p in (".", "..") for p in prefix.split("/")):
            raise ConfigError(f"CONSULTANTOS_GCS_PREFIX={prefix!r} is not an object prefix: use e.g. consultantos "
                              "or teams/research")
        return cls(profile=profile, home=home, gcs_bucket=bucket, gcs_prefix=prefix,
                   gcp_project=(env.get("GOOGLE_CLOUD_PROJECT") or "").strip() or None,
                   lancedb_uri=lancedb_uri or f"gs://{bucket}/{prefix}/lancedb")


def postgres_dsn_from_env(env: dict[str, str] | None = None) -> str:
    """CONSULTANTOS_LEDGER_DSN, else a libpq DSN for the Dagster instance's database (DAGSTER_PG_*): where the
    production profile keeps the LLM cost ledger and the circuit breakers."""
    env = os.environ if env is None else env
    if env.get("CONSULTANTOS_LEDGER_DSN"):
        return env["CONSULTANTOS_LEDGER_DSN"]
    missing = [n for n in PG_ENV if n != "DAGSTER_PG_PASSWORD" and not env.get(n)]
    if missing:
        raise ConfigError(f"the production profile's PostgreSQL tables (LLM cost ledger, circuit breakers) need "
                          f"CONSULTANTOS_LEDGER_DSN or {', '.join(missing)} (the Dagster instance's database)")

    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": env["DAGSTER_PG_HOST"], "port": env["DAGSTER_PG_PORT"], "user": env["DAGSTER_PG_USER"],
             "dbname": env["DAGSTER_PG_DB"], "password": env.get("DAGSTER_PG_PASSWORD") or ""}
    return " ".join(f"{k}={quoted(v)}" for k, v in parts.items() if v)


# ---- automation (freshness windows, portfolio schedule, sensors) ---------------------------------
# CONSULTANTOS_FRESHNESS_RESEARCH    max age of company_research per company   (default 1d)
# CONSULTANTOS_FRESHNESS_TRENDS      max age of market_trends per company      (default 7d)
# CONSULTANTOS_FRESHNESS_FINANCIALS  max age of financials per company         (default 91d)
# CONSULTANTOS_PORTFOLIO             portfolio the schedule refreshes: a name (<home>/portfolios/<name>.txt,
#                                    in production gs://<bucket>/<prefix>/portfolios/<name>.txt)
#                                    or "all" for every company partition     (default all)
# CONSULTANTOS_PORTFOLIO_CRON        when the portfolio schedule runs          (default "0 6 * * 1-5")
# CONSULTANTOS_PORTFOLIO_TIMEZONE    the cron's time zone                      (default UTC)
# CONSULTANTOS_AUTOMATION_INTERVAL   seconds between automation ticks          (default 30)
# CONSULTANTOS_REQUESTS_INTERVAL     seconds between requests-folder checks    (default 15)
# CONSULTANTOS_FILINGS_INTERVAL      seconds between new-filing checks         (default 900)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
SOURCE_WINDOW_DEFAULTS = {
    "company_research": ("CONSULTANTOS_FRESHNESS_RESEARCH", "1d"),
    "market_trends": ("CONSULTANTOS_FRESHNESS_TRENDS", "7d"),
    "financials": ("CONSULTANTOS_FRESHNESS_FINANCIALS", "91d"),
}


def parse_duration(value: str, name: str = "duration") -> timedelta:
    """'90s', '30m', '12h', '1d', '2w' or plain seconds; at least one minute (Dagster's freshness minimum)."""
    match = _DURATION.match(value or "")
    if not match:
        raise ConfigError(f"{name}={value!r} is not a duration: use e.g. 30m, 12h, 1d, 7d or 91d")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
    if seconds < 60:
        raise ConfigError(f"{name}={value!r} is shorter than one minute, the smallest window Dagster supports")
    return timedelta(seconds=seconds)


def _env_number(env: dict[str, str] | os._Environ, name: str, default, parse=float, minimum: float = 0.0):
    """The variable as a number (`parse`: int or float) of at least `minimum`; `default` when unset."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not {'a whole number' if parse is int else 'a number'}") from None
    if value < minimum or value != value:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _positive_int(env: dict[str, str] | os._Environ, name: str, default: int) -> int:
    return _env_number(env, name, default, int, minimum=1)


@dataclass(frozen=True)
class AutomationSettings:
    """Freshness windows per source, the portfolio schedule and sensor intervals."""

    windows: dict[str, timedelta]
    portfolio: str = "all"
    portfolio_cron: str = "0 6 * * 1-5"
    portfolio_timezone: str = "UTC"
    automation_interval: int = 30
    requests_interval: int = 15
    filings_interval: int = 900

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> AutomationSettings:
        env = os.environ if env is None else env
        windows = {asset: parse_duration(env.get(var) or default, var)
                   for asset, (var, default) in SOURCE_WINDOW_DEFAULTS.items()}
        portfolio = (env.get("CONSULTANTOS_PORTFOLIO") or "all").strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", portfolio):
            raise ConfigError(f"CONSULTANTOS_PORTFOLIO={portfolio!r} is not a portfolio name: use letters, digits, "
                              "'_', '-' or '.' (the file is <name>.txt in the portfolios folder), or 'all'")
        return cls(
            windows=windows,
            portfolio=portfolio,
            portfolio_cron=(env.get("CONSULTANTOS_PORTFOLIO_CRON") or "0 6 * * 1-5").strip(),
            portfolio_timezone=(env.get("CONSULTANTOS_PORTFOLIO_TIMEZONE") or "UTC").strip(),
            automation_interval=_positive_int(env, "CONSULTANTOS_AUTOMATION_INTERVAL", 30),
            requests_interval=_positive_int(env, "CONSULTANTOS_REQUESTS_INTERVAL", 15),
            filings_interval=_positive_int(env, "CONSULTANTOS_FILINGS_INTERVAL", 900),
        )


def portfolios_dir(home: Path | None = None) -> Path:
    return (home or storage_root()) / "portfolios"


def requests_dir(home: Path | None = None) -> Path:
    return (home or storage_root()) / "requests"


# ---- live source faults (retries, timeouts, circuit breaker) --------------------------------------
# CONSULTANTOS_SOURCE_TIMEOUT_S      per-request timeout of every live provider        (default 20)
# CONSULTANTOS_SOURCE_ATTEMPTS       tries per request on down/timeout/429/5xx          (default 4)
# CONSULTANTOS_SOURCE_BACKOFF_S      first backoff; doubles per try, with +-50% jitter  (default 1)
# CONSULTANTOS_SOURCE_BACKOFF_MAX_S  longest single wait, also the longest Retry-After honoured (default 30)
# CONSULTANTOS_SOURCE_BUDGET_S       total time one request may take including waits   (default 90)
# CONSULTANTOS_BREAKER_FAILURES      consecutive transient failures that open a breaker (default 3)
# CONSULTANTOS_BREAKER_COOLDOWN      how long an open breaker skips its service         (default 10m)
# EDGAR_RATE_LIMIT_PER_SEC           SEC requests per second per process, at most 10   (default 9)


@dataclass(frozen=True)
class RetrySettings:
    """A live request's timeout, its tries and their back-off, and the time all tries may take together."""

    timeout_s: float = 20.0
    attempts: int = 4
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    budget_s: float = 90.0


@dataclass(frozen=True)
class SourceFaultSettings(RetrySettings):
    """Timeouts, retries and the circuit breaker shared by every live provider."""

    breaker_failures: int = 3
    breaker_cooldown: timedelta = timedelta(minutes=10)
    sec_rate_per_sec: float = 9.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SourceFaultSettings:
        env = os.environ if env is None else env
        rate = _env_number(env, "EDGAR_RATE_LIMIT_PER_SEC", 9.0, minimum=0.1)
        if rate > 10:
            raise ConfigError(f"EDGAR_RATE_LIMIT_PER_SEC={rate:g} exceeds SEC's limit of 10 requests per second")
        return cls(
            timeout_s=_env_number(env, "CONSULTANTOS_SOURCE_TIMEOUT_S", 20.0, minimum=0.05),
            attempts=_positive_int(env, "CONSULTANTOS_SOURCE_ATTEMPTS", 4),
            backoff_s=_env_number(env, "CONSULTANTOS_SOURCE_BACKOFF_S", 1.0),
            backoff_max_s=_env_number(env, "CONSULTANTOS_SOURCE_BACKOFF_MAX_S", 30.0),
            budget_s=_env_number(env, "CONSULTANTOS_SOURCE_BUDGET_S", 90.0, minimum=0.05),
            breaker_failures=_positive_int(env, "CONSULTANTOS_BREAKER_FAILURES", 3),
            breaker_cooldown=parse_duration(env.get("CONSULTANTOS_BREAKER_COOLDOWN") or "10m",
                                            "CONSULTANTOS_BREAKER_COOLDOWN"),
            sec_rate_per_sec=rate,
        )


def state_dir(home: Path | None = None) -> Path:
    """Operational state shared by every run process (circuit breakers)."""
    return (home or storage_root()) / "state"
