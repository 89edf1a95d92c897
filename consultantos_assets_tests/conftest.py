from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
BUNDLED = REPO / "consultantos_assets" / "sample_data"
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} (the recorded public payloads) is not beside the repo")
    return SHARED_DATA


@pytest.fixture
def offline_env(tmp_path, monkeypatch) -> Path:
    """An isolated storage root and instance, offline mode, bundled sample."""
    home = tmp_path / "home"
    monkeypatch.setenv("CONSULTANTOS_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    monkeypatch.setenv("CONSULTANTOS_MODE", "offline")
    monkeypatch.delenv("CONSULTANTOS_SNAPSHOT_DIR", raising=False)
    for key in ("TAVILY_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "EDGAR_IDENTITY"):
        monkeypatch.delenv(key, raising=False)
    return home


def artifacts_dir(name: str) -> Path:
    d = ARTIFACTS / name
    d.mkdir(parents=True, exist_ok=True)
    return d


__all__ = ["BUNDLED", "REPO", "SHARED_DATA", "artifacts_dir", "os"]
