"""The instance's run and event-log storage (dagster.yaml -> defs/dagster_internals.py): Dagster's SQLite
files in Dagster's default places, read and written interchangeably with Dagster's own storage classes,
with one engine per database file. Real instances on disk, real runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import yaml

from consultantos_assets.defs.dagster_internals import (
    OPEN_RUN_DATABASES,
    EngineReusingEventLogStorage,
    EngineReusingRunStorage,
)

REPO = Path(__file__).resolve().parents[1]
companies = dg.DynamicPartitionsDefinition(name="companies")


@dg.asset(partitions_def=companies)
def upstream() -> int:
    return 1


@dg.asset(partitions_def=companies)
def downstream(upstream: int) -> int:
    return upstream + 1


def _home(tmp_path: Path, monkeypatch, *, ours: bool) -> Path:
    """A DAGSTER_HOME with the project's dagster.yaml, or the same file without the two storage blocks."""
    home = tmp_path / "dagster"
    home.mkdir(exist_ok=True)
    config = yaml.safe_load((REPO / "dagster.yaml").read_text(encoding="utf-8"))
    if not ours:
        config.pop("run_storage")
        config.pop("event_log_storage")
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _materialize(instance, ticker: str) -> dg.ExecuteInProcessResult:
    instance.add_dynamic_partitions("companies", [ticker])
    return dg.materialize([upstream, downstream], instance=instance, partition_key=ticker,
                          resources={"io_manager": dg.FilesystemIOManager(base_dir=str(instance.root_directory))})


def test_the_project_instance_uses_dagsters_files_in_dagsters_places(tmp_path, monkeypatch):
    home = _home(tmp_path, monkeypatch, ours=True)
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, EngineReusingRunStorage)
        assert isinstance(instance.event_log_storage, EngineReusingEventLogStorage)
        result = _materialize(instance, "AAPL")
        assert result.success
    # where DagsterSqliteStorage (Dagster's default) keeps them
    assert (home / "history" / "runs.db").is_file()
    assert (home / "history" / "runs" / "index.db").is_file()
    assert (home / "history" / "runs" / f"{result.run_id}.db").is_file()


def test_runs_written_by_either_storage_are_read_by_the_other(tmp_path, monkeypatch):
    """An instance made before the switch keeps its history, and going back to Dagster's loses nothing."""
    _home(tmp_path, monkeypatch, ours=False)
    with dg.DagsterInstance.get() as instance:
        assert not isinstance(instance.event_log_storage, EngineReusingEventLogStorage)
        before = _materialize(instance, "AAPL").run_id
    _home(tmp_path, monkeypatch, ours=True)
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(before).status == dg.DagsterRunStatus.SUCCESS
        assert instance.get_latest_materialization_event(dg.AssetKey("downstream")).run_id == before
        after = _materialize(instance, "MSFT").run_id
    _home(tmp_path, monkeypatch, ours=False)
    with dg.DagsterInstance.get() as instance:
        assert {r.run_id for r in instance.get_runs()} == {before, after}
        assert sorted(instance.get_dynamic_partitions("companies")) == ["AAPL", "MSFT"]
        record = instance.get_latest_materialization_event(dg.AssetKey("downstream"))
        assert record.run_id == after and record.dagster_event.partition == "MSFT"


def test_engines_are_reused_and_bounded(tmp_path, monkeypatch):
    """One engine per database file, the run databases' kept to the newest few; an evicted run's events
    are still read (a new engine is made for it), and a wiped log is set up again on its next write."""
    _home(tmp_path, monkeypatch, ours=True)
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        runs = [_materialize(instance, f"T{i}").run_id for i in range(OPEN_RUN_DATABASES + 3)]
        engines = storage._own_engines()
        assert "index" in engines and len(engines) <= OPEN_RUN_DATABASES + 1
        engine = engines["index"]
        instance.get_dynamic_partitions("companies")
        assert storage._own_engines()["index"] is engine  # the same engine for the next query
        assert engine.pool.checkedin() >= 1  # its connection stayed open for the next query
        first = instance.all_logs(runs[0], of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        assert [e.dagster_event.asset_key.to_user_string() for e in first] == ["upstream", "downstream"]
        assert storage.has_table("dynamic_partitions") and "dynamic_partitions" in storage._tables_found

        storage.wipe()
        assert instance.all_logs(runs[-1]) == []
        assert _materialize(instance, "AFTER").success
    assert storage._own_engines() == {}  # disposed with the instance


def test_an_instance_from_a_config_folder_keeps_its_storage_there(tmp_path, monkeypatch):
    """`DagsterInstance.from_config(dir)` without DAGSTER_HOME: the storage is under that folder."""
    home = _home(tmp_path, monkeypatch, ours=True)
    monkeypatch.delenv("DAGSTER_HOME")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, EngineReusingEventLogStorage)
        run_id = _materialize(instance, "AAPL").run_id
    assert (home / "history" / "runs" / f"{run_id}.db").is_file()


def test_an_explicit_base_dir_is_used(tmp_path):
    storage = EngineReusingEventLogStorage.from_config_value(None, {"base_dir": str(tmp_path / "events")})
    try:
        assert (tmp_path / "events" / "index.db").is_file()
    finally:
        storage.dispose()
    shutil.rmtree(tmp_path / "events")


def test_a_forked_child_opens_its_own_connections(tmp_path, monkeypatch):
    """The child of a fork never uses its parent's open SQLite connections; both keep working."""
    import os

    _home(tmp_path, monkeypatch, ours=True)
    with dg.DagsterInstance.get() as instance:
        parent_run = _materialize(instance, "AAPL").run_id
        inherited = instance.event_log_storage._own_engines()["index"]
        pid = os.fork()
        if pid == 0:  # the child: new engines, its own run recorded
            code = 1
            try:
                engines = instance.event_log_storage._own_engines()
                ok = "index" not in engines and _materialize(instance, "CHILD").success
                code = 0 if ok and instance.event_log_storage._own_engines()["index"] is not inherited else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert instance.event_log_storage._own_engines()["index"] is inherited
        assert len(instance.get_runs()) == 2 and instance.get_run_by_id(parent_run) is not None
        assert "CHILD" in instance.get_dynamic_partitions("companies")
