"""`semaphore-dagster emulator` as a user runs it: a subprocess that prints its URL, answers, stops on SIGTERM."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from semaphore_dagster_tests.emulator.http_helpers import get

V = "/api/v1alpha"
CLI = [sys.executable, "-m", "semaphore_dagster.cli", "emulator"]


def _start(*args: str) -> tuple[subprocess.Popen, str, list[str]]:
    proc = subprocess.Popen(
        [*CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Stop with"):
            break
    found = re.search(r"base URL: (http://127\.0\.0\.1:\d+)", "".join(lines))
    if found is None:
        proc.kill()
        pytest.fail(f"no base URL printed: {''.join(lines)} {proc.stderr.read() if proc.stderr else ''}")
    return proc, found.group(1), lines


@pytest.fixture
def small_cli(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str, list[str], Path]]:
    truth = tmp_path / "truth"
    proc, url, lines = _start(
        "--port",
        "0",
        "--scale",
        "small",
        "--token",
        "cli-token",
        "--now",
        "2026-11-01T12:00:00Z",
        "--export-ground-truth",
        str(truth),
    )
    try:
        yield proc, url, lines, truth
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def test_cli_serves_a_browsable_small_org_and_stops_on_sigterm(small_cli) -> None:
    proc, url, lines, truth = small_cli
    text = "".join(lines)
    assert "token:    cli-token" in text and 'curl -i -H "Authorization: Token cli-token"' in text
    projects = get(url, f"{V}/projects", token="cli-token").json()
    assert len(projects) >= 5
    assert all(p["spec"]["repository"]["url"].startswith("git@github.com:") for p in projects)
    pipelines = get(url, f"{V}/pipelines", {"project_id": projects[0]["metadata"]["id"]}, token="cli-token")
    assert pipelines.status == 200 and int(pipelines.header("total")) > 30
    results = {p.get("result") for p in pipelines.json()}
    assert "PASSED" in results
    jobs = get(url, f"{V}/jobs", {"states": "FINISHED", "page_size": 3}, token="cli-token").json()
    assert len(jobs["jobs"]) == 3 and jobs["next_page_token"]
    assert get(url, f"{V}/projects", token="emu-token").status == 401  # only the given token
    assert sorted(p.name for p in truth.glob("*.json"))  # ground truth exported
    assert json.loads((truth / "projects.json").read_text())
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert "emulator stopped" in proc.stdout.read()


def test_cli_sigint_also_stops_cleanly() -> None:
    proc, url, _ = _start("--port", "0", "--scale", "tiny", "--live", "--log-mode", "self_hosted")
    try:
        assert get(url, f"{V}/self_hosted_agent_types", token="emu-token").status == 200
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "not a loopback address; pass --allow-remote"),
        (["--faults", "boom:rate=1"], "unknown kind 'boom'"),
        (["--scale", "galactic"], "unknown scale 'galactic'"),
        (["--now", "yesterday"], "is not ISO-8601"),
        (["--feature", "artifacts_api"], "use NAME=on or NAME=off"),
    ],
)
def test_cli_bad_input_is_one_clear_line(args: list[str], message: str) -> None:
    done = subprocess.run([*CLI, "--port", "0", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
