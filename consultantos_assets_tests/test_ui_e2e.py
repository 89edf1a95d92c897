"""The Dagster UI driven in headless Chromium: add a company, materialize it, read the report metadata.

Starts `dg dev` as `make ui` does (webserver + daemon, the project of pyproject.toml's [tool.dg]) on
127.0.0.1 with a temporary instance, uses Debian's
Chromium through Playwright (executable path, never a browser download) and stops the servers by
their process group. Screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import REPO, artifacts_dir

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, payload: dict | None = None, timeout: float = 10) -> dict | int:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.load(resp) if payload is not None else resp.status


def offline_instance_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A storage root with its instance (the repo's dagster.yaml) and the environment of an offline server."""
    home = tmp_path / "home"
    (home / "dagster").mkdir(parents=True)
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster" / "dagster.yaml")
    env = {**os.environ, "CONSULTANTOS_HOME": str(home), "DAGSTER_HOME": str(home / "dagster"),
           "CONSULTANTOS_MODE": "offline"}
    env.pop("CONSULTANTOS_SNAPSHOT_DIR", None)
    return home, env


def wait_until_serving(base: str, proc: subprocess.Popen, log: Path, what: str, timeout: float = 180) -> None:
    """Until the webserver at `base` answers /server_info (its log in the error when it never does)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if _get(f"{base}/server_info") == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{what} did not start:\n" + log.read_text())
        time.sleep(1)


@pytest.fixture
def dagster_ui(tmp_path):
    home, env = offline_instance_env(tmp_path)
    port = _free_port()
    log = open(tmp_path / "dg-dev.log", "w")  # noqa: SIM115 - closed in teardown
    venv = Path(sys.executable).parent.parent
    proc = subprocess.Popen(
        [str(venv / "bin" / "dg"), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env={**env, "VIRTUAL_ENV": str(venv)}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, proc, tmp_path / "dg-dev.log", "dg dev")
        yield base, home
    finally:
        # dg dev shuts its webserver, daemon and code servers down on Ctrl-C (SIGINT)
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
        log.close()


def _latest_run(base: str) -> dict | None:
    data = _get(f"{base}/graphql", {"query": "{ runsOrError(limit: 1) { ... on Runs { results { runId status "
                                             "tags { key value } } } } }"})
    runs = data["data"]["runsOrError"]["results"]
    return runs[0] if runs else None


def test_materialize_a_company_from_the_ui(dagster_ui):
    from playwright.sync_api import sync_playwright

    base, home = dagster_ui
    shots = artifacts_dir("ui")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/asset-groups", wait_until="networkidle", timeout=120_000)
            for group in ("sources", "frameworks", "report", "portfolio"):
                # the graph is laid out after the page's requests settle: wait for it
                page.get_by_text(group, exact=True).first.wait_for(state="visible", timeout=60_000)
            page.screenshot(path=str(shots / "1-asset-graph.png"))

            page.get_by_role("button", name="Materialize all…").click()
            page.get_by_role("button", name="Add a partition").click()
            page.get_by_placeholder("name").fill("NVDA")
            page.get_by_role("button", name="Save").click()
            page.get_by_placeholder("name").wait_for(state="hidden", timeout=60_000)
            # the new partition is usually selected at once; when the list refreshes late, "All"
            # (every partition, so only NVDA here) selects it
            launch = page.get_by_role("button", name=re.compile(r"^Launch 1 run$"))
            deadline = time.monotonic() + 90
            while not launch.is_visible() and time.monotonic() < deadline:
                page.get_by_role("button", name="All", exact=True).click()
                page.wait_for_timeout(1500)
            page.screenshot(path=str(shots / "2-launch-dialog.png"))
            launch.click()

            deadline = time.monotonic() + 420
            run = None
            while time.monotonic() < deadline:
                run = _latest_run(base)
                if run and run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
                    break
                time.sleep(3)
            assert run is not None and run["status"] == "SUCCESS", run
            assert {"key": "dagster/partition", "value": "NVDA"} in run["tags"]

            page.goto(f"{base}/assets/report_pdf?partition=NVDA", wait_until="networkidle")
            page.get_by_text("NVDA_report.pdf").first.wait_for(timeout=180_000)
            page.screenshot(path=str(shots / "3-report-asset.png"), full_page=True)
            body = page.locator("body").inner_text()
            pdf = home / "reports" / "NVDA" / "NVDA_report.pdf"
            assert str(pdf) in body
            assert pdf.read_bytes().startswith(b"%PDF-")
            page.get_by_text("[Show Markdown]").first.click()  # the Markdown preview of the report
            preview = page.get_by_role("dialog")
            preview.get_by_text("Executive summary").first.wait_for(timeout=30_000)
            page.screenshot(path=str(shots / "4-markdown-preview.png"))
            assert "NVIDIA" in preview.inner_text() or "Nvidia" in preview.inner_text()
        finally:
            browser.close()
