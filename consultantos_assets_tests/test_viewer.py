"""The viewers' profile: `dagster-webserver --read-only` shows the assets and refuses to launch a run.

Starts the real webserver on 127.0.0.1 with a temporary instance and the repo's workspace, asks it through
its GraphQL API (what the UI's buttons call) and stops it by its process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import REPO
from .test_ui_e2e import _free_port, _get, offline_instance_env, wait_until_serving

LAUNCH = """mutation Launch($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on UnauthorizedError { message } ... on LaunchRunSuccess { run { runId } } } }"""
ADD_PARTITION = """mutation Add($s: RepositorySelector!) {
  addDynamicPartition(repositorySelector: $s, partitionsDefName: "companies", partitionKey: "NVDA") {
  __typename ... on UnauthorizedError { message } } }"""


@pytest.fixture
def viewer(tmp_path):
    _, env = offline_instance_env(tmp_path)
    port = _free_port()
    log = open(tmp_path / "webserver.log", "w")  # noqa: SIM115 - closed in teardown
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "--read-only", "-w", "workspace.yaml",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc, tmp_path / "webserver.log", "dagster-webserver --read-only")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def _repository(base: str) -> dict:
    deadline = time.monotonic() + 120
    while True:       # the code location loads after the server answers
        data = _get(f"{base}/graphql", {"query": "{ repositoriesOrError { __typename ... on RepositoryConnection "
                                                 "{ nodes { name location { name } } } } }"})
        nodes = (data["data"]["repositoriesOrError"] or {}).get("nodes") or []
        if nodes or time.monotonic() > deadline:
            assert nodes, data
            return {"repositoryName": nodes[0]["name"], "repositoryLocationName": nodes[0]["location"]["name"]}
        time.sleep(2)


def test_read_only_webserver_shows_assets_and_refuses_to_launch(viewer):
    repo = _repository(viewer)
    assets = _get(f"{viewer}/graphql", {"query": "{ assetNodes { assetKey { path } } }"})
    keys = {"/".join(n["assetKey"]["path"]) for n in assets["data"]["assetNodes"]}
    assert {"report_pdf", "portfolio", "financials"} <= keys

    params = {"selector": {**repo, "jobName": "company_report"}, "mode": "default",
              "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "AAPL"}]}}
    launched = _get(f"{viewer}/graphql", {"query": LAUNCH, "variables": {"p": params}})
    assert launched["data"]["launchRun"]["__typename"] == "UnauthorizedError", launched
    added = _get(f"{viewer}/graphql", {"query": ADD_PARTITION, "variables": {"s": repo}})
    assert added["data"]["addDynamicPartition"]["__typename"] == "UnauthorizedError", added
    runs = _get(f"{viewer}/graphql", {"query": "{ runsOrError { ... on Runs { results { runId } } } }"})
    assert runs["data"]["runsOrError"]["results"] == []
