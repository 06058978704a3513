"""A `semaphore-dagster load` killed with SIGKILL at any point is completed by the next run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN, make_world

from .conftest import START, assert_equals_ground_truth, load

pytestmark = pytest.mark.slow


def _command(base_url: str, duckdb_path: Path, pipelines_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "semaphore_dagster.cli", "load",
        "--base-url", base_url, "--token-env", "EMU_TOKEN",
        "--duckdb-path", str(duckdb_path), "--pipelines-dir", str(pipelines_dir),
        "--now", FIXED_NOW.isoformat(), "--start-date", START,
    ]  # fmt: skip


def _normalized(pipelines_dir: Path) -> bool:
    return any((pipelines_dir / "semaphore" / "load" / "normalized").glob("*"))


@pytest.mark.parametrize("when", ["during_extract", "after_normalize", "second_run_extract"])
def test_sigkill_then_next_run_completes(when: str, duckdb_path: Path, pipelines_dir: Path) -> None:
    world = make_world("tiny")
    env = {**os.environ, "EMU_TOKEN": TEST_TOKEN, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    with EmulatorServer(world, token=TEST_TOKEN, latency_ms=15) as server:
        if when == "second_run_extract":  # a first complete load, then a killed one
            load(server, duckdb_path, pipelines_dir)
            world.advance(__import__("datetime").timedelta(hours=2))
        server.reset_counts()
        process = subprocess.Popen(_command(server.base_url, duckdb_path, pipelines_dir), env=env)
        deadline = time.monotonic() + 120
        try:
            while process.poll() is None and time.monotonic() < deadline:
                requests = sum(server.request_counts.values())
                if when in ("during_extract", "second_run_extract") and requests > 40:
                    break
                if when == "after_normalize" and _normalized(pipelines_dir):
                    break
                time.sleep(0.01)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(30)
        assert process.returncode == -signal.SIGKILL, f"the run ended ({process.returncode}) before the kill"
        load(server, duckdb_path, pipelines_dir, now=world.now())
        assert_equals_ground_truth(duckdb_path, world)
