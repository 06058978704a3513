"""Scenario 7: `semaphore-dagster load` killed (SIGKILL or SIGTERM) at every point of dlt's work — during
extract, before and during normalize, at each point of the load step and between tables — is completed by
the next run, with no duplicate key and the six criteria (criteria.py).

The kill happens at an exact point: `kill_at` patches dlt to signal the process there (see its docstring).
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN, make_world

from .conftest import START, assert_one_line_error, load
from .criteria import Baseline
from .kill_at import NOT_REACHED, POINTS
from .scenario import Scenario, scenario, serve  # noqa: F401 (fixture)

SIGNALS = ("KILL", "TERM")
DEFAULT = {("agents_job", "KILL"), ("job_4", "TERM")}  # the rest are slow
KILLS = [
    pytest.param(
        point, sig, marks=() if (point, sig) in DEFAULT else pytest.mark.slow, id=f"{point}-SIG{sig}"
    )
    for point in POINTS
    for sig in SIGNALS
]


def _command(
    point: str, sig: str, base_url: str, duckdb_path: Path, pipelines_dir: Path, now: str
) -> list[str]:
    return [
        sys.executable, "-m", "semaphore_dagster_tests.semaphore.kill_at", point, sig, "--",
        "--base-url", base_url, "--token-env", "EMU_TOKEN",
        "--duckdb-path", str(duckdb_path), "--pipelines-dir", str(pipelines_dir),
        "--now", now, "--start-date", START,
    ]  # fmt: skip


def killed_run(scenario: Scenario, server, point: str, sig: str, now: str) -> subprocess.CompletedProcess:  # noqa: F811
    env = {**os.environ, "EMU_TOKEN": TEST_TOKEN, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    command = _command(point, sig, server.base_url, scenario.duckdb_path, scenario.pipelines_dir, now)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode != NOT_REACHED, f"{point}: the kill point was never reached"
    assert done.returncode != 0, f"{point}/{sig}: the run survived"
    assert TEST_TOKEN not in done.stdout + done.stderr
    if done.returncode > 0:  # SIGTERM caught at a safe point (or a failure): one line and a hint
        assert_one_line_error(done.stderr)
    return done


@pytest.mark.parametrize(("point", "sig"), KILLS)
def test_killed_first_load_then_next_run_converges(scenario: Scenario, point: str, sig: str) -> None:  # noqa: F811
    baseline = scenario.baseline()
    world = make_world("tiny")
    with serve(world, latency_ms=2) as server:
        killed_run(scenario, server, point, sig, FIXED_NOW.isoformat())
        assert scenario.load(server) is None
    # the killed run's time is not the next run's: bound the converging run only
    scenario.check(baseline, factor=3.0, slack=10.0)


SECOND = [
    pytest.param("extract", "KILL", id="extract-SIGKILL"),
    pytest.param("agents_job", "TERM", marks=pytest.mark.slow, id="agents_job-SIGTERM"),
    pytest.param("job_4", "KILL", marks=pytest.mark.slow, id="job_4-SIGKILL"),
    pytest.param("before_complete", "KILL", marks=pytest.mark.slow, id="before_complete-SIGKILL"),
]


@pytest.mark.parametrize(("point", "sig"), SECOND)
def test_killed_later_load_then_next_run_converges(
    scenario: Scenario,  # noqa: F811
    tmp_path: Path,
    point: str,
    sig: str,
) -> None:
    """After a complete first load, the world moves on two hours; the second run is killed; the third
    equals a fault-free load of the moved world."""
    world = make_world("tiny")
    with serve(world, latency_ms=2) as server:
        load(server, scenario.duckdb_path, scenario.pipelines_dir)
        world.advance(timedelta(hours=2))
        killed_run(scenario, server, point, sig, world.now().isoformat())
        assert scenario.load(server, now=world.now()) is None
        fresh_db, fresh_dir = tmp_path / "fresh_ci.duckdb", tmp_path / "fresh"
        import time

        started = time.monotonic()
        load(server, fresh_db, fresh_dir, now=world.now())
        elapsed = time.monotonic() - started
    from .conftest import read_tables
    from .criteria import latest_snapshot

    baseline = Baseline(latest_snapshot(read_tables(fresh_db)), elapsed)
    scenario.check(baseline, factor=3.0, slack=10.0)
