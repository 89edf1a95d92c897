"""Request files and portfolio files in the production profile live in the bucket: the
portfolio_requests sensor and the portfolio_refresh schedule, evaluated with the production resources
against a Google Cloud Storage emulator (gcp-storage-emulator), through the real google-cloud-storage
client."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import dagster as dg
import pytest

from .test_production_profile import BUCKET, free_port, gcs  # noqa: F401 (gcs: the emulator fixture)

PREFIX = "teams/inbox"


@pytest.fixture
def bucket(gcs, offline_env, monkeypatch):  # noqa: F811
    """The production profile over the emulator, with nothing under PREFIX."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs)
    for key, value in {"CONSULTANTOS_PROFILE": "production", "CONSULTANTOS_GCS_BUCKET": BUCKET,
                       "CONSULTANTOS_GCS_PREFIX": PREFIX, "GOOGLE_CLOUD_PROJECT": "consultantos-test",
                       # the production breaker store's database: offline providers never consult a breaker,
                       # so nothing listens there and nothing may need it
                       "CONSULTANTOS_LEDGER_DSN": f"host=127.0.0.1 port={free_port()} dbname=none"}.items():
        monkeypatch.setenv(key, value)
    from google.cloud import storage

    b = storage.Client(project="test").bucket(BUCKET)
    for blob in list(b.client.list_blobs(b, prefix=PREFIX + "/")):
        blob.delete()
    return b


@pytest.fixture
def resources(bucket, offline_env):
    from consultantos_assets.defs.resources import build_resources

    built = build_resources(offline_env)
    return {"sources": built["sources"], "inputs": built["inputs"]}


def names(bucket, folder: str) -> list[str]:
    prefix = f"{PREFIX}/{folder}/"
    return sorted(b.name.removeprefix(prefix) for b in bucket.client.list_blobs(bucket, prefix=prefix))


def drop(bucket, name: str, data: bytes) -> None:
    bucket.blob(f"{PREFIX}/requests/{name}").upload_from_string(data, content_type="text/plain")


def settle() -> None:
    from consultantos_assets.defs.sensors import SETTLE_SECONDS

    time.sleep(SETTLE_SECONDS + 0.2)  # a file younger than this may still be being written


def tick(sensor, instance, resources, cursor=None):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources) as ctx:
        result = sensor(ctx)
    for req in result.dynamic_partitions_requests or []:  # what the daemon does with them
        instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
    return result


def test_profile_picks_where_inputs_live(bucket, offline_env, monkeypatch):
    from consultantos_assets.defs.inputs import InputsResource
    from consultantos_assets.defs.resources import build_resources
    from consultantos_assets.defs.resources.production import GCSInputsResource

    prod = build_resources(offline_env)["inputs"]
    assert isinstance(prod, GCSInputsResource)
    assert (prod.gcs_bucket, prod.requests_dir, prod.portfolios_dir) == (BUCKET, f"{PREFIX}/requests",
                                                                        f"{PREFIX}/portfolios")
    assert prod.requests_location() == f"gs://{BUCKET}/{PREFIX}/requests/"
    monkeypatch.setenv("CONSULTANTOS_PROFILE", "local")
    local = build_resources(offline_env)["inputs"]
    assert type(local) is InputsResource
    assert (local.requests_dir, local.portfolios_dir) == (str(offline_env / "requests"),
                                                          str(offline_env / "portfolios"))


def test_request_file_in_the_bucket_is_validated_requested_and_moved(bucket, resources):
    from consultantos_assets.defs.resources.production import REQUEST_ID_KEY
    from consultantos_assets.defs.sensors import build_requests_sensor
    from consultantos_assets.settings import AutomationSettings

    sensor = build_requests_sensor(AutomationSettings.from_env({}))
    body = b"nvda\nbad$$\n\x1b[31mAAPL\nZZZZ9  # not a company\nmsft\n"
    drop(bucket, "batch.txt", body)
    drop(bucket, "notes.pdf", b"AAPL\n")                                   # not a ticker list: ignored
    bucket.blob(f"{PREFIX}/requests/done/old.txt").upload_from_string("TSLA\n")   # not directly in requests/
    settle()
    with dg.instance_for_test() as instance:
        r1 = tick(sensor, instance, resources)
        assert sorted(r.partition_key for r in r1.run_requests) == ["MSFT", "NVDA"]
        assert all(r.asset_selection is None and r.run_key.startswith("request:") for r in r1.run_requests)
        assert sorted(instance.get_dynamic_partitions("companies")) == ["MSFT", "NVDA"]
        assert "batch.txt" in names(bucket, "requests")                     # moved once this tick is committed

        r2 = tick(sensor, instance, resources, r1.cursor)                  # a restart with the cursor: no rerun
        assert not r2.run_requests and not r2.dynamic_partitions_requests
        assert names(bucket, "requests") == ["done/old.txt", "failed/batch.txt", "failed/batch.txt.reason.txt",
                                             "notes.pdf"]
        moved = bucket.blob(f"{PREFIX}/requests/failed/batch.txt")
        assert moved.download_as_bytes() == body
        reason_blob = bucket.get_blob(f"{PREFIX}/requests/failed/batch.txt.reason.txt")
        reason = reason_blob.download_as_text()
        assert reason.isascii() and "\x1b" not in reason
        for line in ("NVDA: accepted", "MSFT: accepted", "bad$$: rejected", "\\x1b[31mAAPL: rejected",
                     "ZZZZ9: rejected; unknown company"):
            assert line in reason, (line, reason)
        assert reason_blob.metadata[REQUEST_ID_KEY] in r1.cursor

        r3 = tick(sensor, instance, resources, r2.cursor)
        assert not r3.run_requests and json.loads(r3.cursor) == {"handled": {}}
        assert "no new request files" in r3.skip_reason.skip_message


def test_a_move_cut_between_copy_and_delete_is_finished_once(bucket, resources, monkeypatch):
    from google.api_core.exceptions import ServiceUnavailable
    from google.cloud.storage import Blob

    from consultantos_assets.defs.sensors import build_requests_sensor
    from consultantos_assets.settings import AutomationSettings

    sensor = build_requests_sensor(AutomationSettings.from_env({}))
    drop(bucket, "a.txt", b"AAPL\n")
    settle()
    with dg.instance_for_test() as instance:
        r1 = tick(sensor, instance, resources)
        assert [r.partition_key for r in r1.run_requests] == ["AAPL"]

        real_delete = Blob.delete

        def delete_fails(self, *args, **kwargs):
            if self.name.endswith("/requests/a.txt"):
                raise ServiceUnavailable("the bucket went away after the copy")
            return real_delete(self, *args, **kwargs)

        with monkeypatch.context() as mp:
            mp.setattr(Blob, "delete", delete_fails)
            with pytest.raises(ServiceUnavailable):       # the tick fails: its cursor is not committed
                tick(sensor, instance, resources, r1.cursor)
        assert names(bucket, "requests") == ["a.txt", "done/a.txt", "done/a.txt.reason.txt"]   # in both places

        r2 = tick(sensor, instance, resources, r1.cursor)  # the next tick, from the last committed cursor
        assert not r2.run_requests
        assert names(bucket, "requests") == ["done/a.txt", "done/a.txt.reason.txt"]  # one copy, not two
        assert "AAPL: accepted; run requested" in bucket.blob(f"{PREFIX}/requests/done/a.txt.reason.txt") \
            .download_as_text()

        # the same name dropped again: a new file with its own run key; the first one's copy and reason stay
        drop(bucket, "a.txt", b"AAPL\n# again\n")
        settle()
        r3 = tick(sensor, instance, resources, r2.cursor)
        assert [r.partition_key for r in r3.run_requests] == ["AAPL"]
        assert r3.run_requests[0].run_key != r1.run_requests[0].run_key
        tick(sensor, instance, resources, r3.cursor)
        again = [n for n in names(bucket, "requests") if n.startswith("done/a.") and n != "done/a.txt.reason.txt"
                 and n != "done/a.txt"]
        assert len(again) == 2 and any(n.endswith(".reason.txt") for n in again), again
        assert bucket.blob(f"{PREFIX}/requests/done/a.txt").download_as_bytes() == b"AAPL\n"


def test_portfolio_file_in_the_bucket_drives_the_schedule(bucket, resources):
    from consultantos_assets.defs.schedules import build_portfolio_schedule
    from consultantos_assets.settings import AutomationSettings

    bucket.blob(f"{PREFIX}/portfolios/core.txt").upload_from_string("AAPL\nnvda\n../etc\n")
    schedule = build_portfolio_schedule(AutomationSettings.from_env({"CONSULTANTOS_PORTFOLIO": "core"}))
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, resources=resources,
                                       scheduled_execution_time=datetime.now(UTC)) as ctx:
            runs = list(schedule(ctx))
        assert sorted(r.partition_key for r in runs) == ["AAPL", "NVDA"]
        assert sorted(instance.get_dynamic_partitions("companies")) == ["AAPL", "NVDA"]

        missing = build_portfolio_schedule(AutomationSettings.from_env({"CONSULTANTOS_PORTFOLIO": "nope"}))
        with dg.build_schedule_context(instance=instance, resources=resources,
                                       scheduled_execution_time=datetime.now(UTC)) as ctx:
            skip = missing(ctx)
        assert isinstance(skip, dg.SkipReason)
        assert f"gs://{BUCKET}/{PREFIX}/portfolios/nope.txt" in skip.skip_message
