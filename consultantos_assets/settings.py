"""Runtime configuration read from the environment (no dagster here).

CONSULTANTOS_MODE          auto | offline | live (default auto)
CONSULTANTOS_SNAPSHOT_DIR  snapshot directory (default: the bundled sample_data/)
CONSULTANTOS_HOME          storage root (default ./.consultantos)
TAVILY_API_KEY, GEMINI_API_KEY / GOOGLE_API_KEY, EDGAR_IDENTITY  live providers
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            mode=parse_mode(env.get("CONSULTANTOS_MODE")),
            snapshot_dir=resolve_snapshot_dir(env.get("CONSULTANTOS_SNAPSHOT_DIR")),
            home=storage_root(),
            tavily_api_key=env.get("TAVILY_API_KEY") or None,
            gemini_api_key=env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY") or None,
            edgar_identity=env.get("EDGAR_IDENTITY") or None,
        )
