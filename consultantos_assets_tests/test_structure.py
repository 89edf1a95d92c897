"""The code's shape: the Dagster APIs it may rely on, where the profile is picked, and `dg check defs`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from .conftest import REPO

PACKAGE = REPO / "consultantos_assets"
INTERNALS = PACKAGE / "defs" / "dagster_internals.py"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "sample_data" not in p.parts)


def test_only_the_adapter_imports_dagster_internals():
    private = {str(p.relative_to(REPO)): sorted(m for m in _imports(p) if m.startswith("dagster._"))
               for p in _sources()}
    assert {p: m for p, m in private.items() if m} == {
        str(INTERNALS.relative_to(REPO)): ["dagster._core.events",
                                           "dagster._core.storage.asset_check_execution_record",
                                           "dagster._core.storage.event_log", "dagster._core.storage.runs",
                                           "dagster._core.storage.sql", "dagster._core.storage.sqlite"]}
    # nor private members of dagster-gcp's IO manager: the GCS store is written on google-cloud-storage
    text = "\n".join(p.read_text(encoding="utf-8") for p in _sources())
    for member in ("_uri_for_path", "_get_paths_for_partitions", "_base_path", "dagster_gcp.gcs.io_manager"):
        assert member not in text, member


def test_the_adapter_is_checked_against_the_installed_dagster():
    """Pinned: after an upgrade, re-check the internals in defs/dagster_internals.py, then move the pin."""
    from consultantos_assets.defs.dagster_internals import CHECKED_WITH_DAGSTER, CheckStatus, unexpected_termination

    assert dg.__version__ == CHECKED_WITH_DAGSTER
    assert unexpected_termination().failure_reason.value == "UNEXPECTED_TERMINATION"
    assert {s.name for s in CheckStatus} >= {"PLANNED", "SUCCEEDED", "FAILED"}
    # what the engine-reusing storages override or read of Dagster's SQLite storages
    import inspect

    from dagster._core.storage.event_log import SqliteEventLogStorage
    from dagster._core.storage.runs import SqliteRunStorage

    assert list(inspect.signature(SqliteEventLogStorage._connect).parameters) == ["self", "shard"]
    assert list(inspect.signature(SqliteEventLogStorage._initdb).parameters)[:2] == ["self", "engine"]
    assert list(inspect.signature(SqliteRunStorage.connect).parameters) == ["self"]
    assert list(inspect.signature(SqliteRunStorage.from_local).parameters) == ["base_dir", "inst_data"]
    source = inspect.getsource(SqliteEventLogStorage)
    for used in ("self._initialized_dbs", "self._db_lock", "def conn_string_for_shard", "def has_table"):
        assert used in source, used
    assert "self._conn_string" in inspect.getsource(SqliteRunStorage)


def test_sources_never_read_the_profile():
    """The profile is picked in defs/resources; sources/ gets ready stores (Settings.breakers)."""
    readers = [str(p.relative_to(REPO)) for p in sorted((PACKAGE / "sources").rglob("*.py"))
               if "CONSULTANTOS_PROFILE" in p.read_text(encoding="utf-8")
               or "ProfileSettings" in p.read_text(encoding="utf-8")]
    assert readers == []


def test_the_profile_hands_the_providers_their_breaker_store(tmp_path, monkeypatch):
    from consultantos_assets.defs.resources import build_resources
    from consultantos_assets.sources.breaker import JsonBreakerStore
    from consultantos_assets.sources.registry import plan_providers

    monkeypatch.delenv("CONSULTANTOS_PROFILE", raising=False)
    monkeypatch.setenv("CONSULTANTOS_HOME", str(tmp_path))
    sources = build_resources(tmp_path)["sources"]
    assert sources.breakers == "file"
    store = plan_providers(sources.settings())["prices"].guard.breaker.store
    assert isinstance(store, JsonBreakerStore) and store.path == tmp_path / "state" / "breakers.json"


def test_dg_check_defs(tmp_path):
    """`dg check defs` (the check `make check` runs) loads every definition from pyproject.toml's [tool.dg]."""
    venv = Path(sys.executable).parent.parent
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("CONSULTANTOS_", "DAGSTER_", "GOOGLE_", "GEMINI_", "TAVILY_", "EDGAR_"))}
    env = {**keep, "CONSULTANTOS_MODE": "offline", "CONSULTANTOS_HOME": str(tmp_path),
           "DAGSTER_HOME": str(tmp_path / "dagster"), "VIRTUAL_ENV": str(venv)}
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    done = subprocess.run([str(venv / "bin" / "dg"), "check", "defs"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout + done.stderr
    assert "does not match the virtual environment" not in done.stdout + done.stderr


def test_the_cli_reads_the_asset_order_from_the_graph():
    """Every company asset once, each after the assets it reads; portfolio and evaluation (every company) left out."""
    from consultantos_assets.cli import asset_order
    from consultantos_assets.defs import build_definitions

    defs = build_definitions()
    order = asset_order(defs)
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert sorted(order) == sorted(set(specs) - {"portfolio", "evaluation"}) and len(order) == len(set(order))
    for name in order:
        for dep in specs[name].deps:
            assert order.index(dep.asset_key.to_user_string()) < order.index(name), (dep, name)
    assert order[0] == "company_profile" and order[-1] == "report_pdf"


def test_sources_never_import_defs():
    """sources/ is handed ready stores; it never reaches up into the Dagster layer."""
    importers = [str(p.relative_to(REPO)) for p in sorted((PACKAGE / "sources").rglob("*.py"))
                 if "from ..defs" in p.read_text(encoding="utf-8")
                 or any(m.startswith("consultantos_assets.defs") for m in _imports(p))]
    assert importers == []
