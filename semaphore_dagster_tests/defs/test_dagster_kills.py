"""A Dagster run killed anywhere, then a normal run: the tables converge to the emulator's ground truth (slow).

One `dagster dev` (temp DAGSTER_HOME, the project's dagster.yaml, run monitoring polling every 5 s) and one
DuckDB file; the emulated organization moves on between scenarios, as a real one does. Each scenario launches a
run of every unpartitioned table (as the UI's "Materialize all" does), interrupts it at one point, then runs
the same selection normally and checks, through the readers' view (rows of completed loads only, see
docs/source.md), that every table equals the ground truth, and that no table has a duplicate key:

- SIGKILL of the run process during extract (requests under way, nothing written yet);
- SIGKILL during normalize (an extracted package being normalized: dlt's `load/new`);
- SIGKILL during the load step (a normalized package whose jobs have started loading);
- SIGKILL between two tables' steps (one group's load done, the next one not started);
- SIGTERM of the run process during extract (what a supervisor or a node shutdown sends);
- `terminateRun` through GraphQL during extract, as the UI's Terminate button does.
"""

import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import duckdb
import psutil
import pytest

from semaphore_dagster.dagster_layer.catalog import TABLES as CATALOG
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.dagster_http import (
    TERMINATE_MUTATION,
    graphql,
    launch_assets,
    run_status,
    run_worker_pid,
    wait_for_run,
)
from semaphore_dagster_tests.defs.live_dagster import dagster_dev, source_env, write_dagster_home
from semaphore_dagster_tests.semaphore.conftest import assert_no_duplicate_keys, assert_table_equal

# Longer than the suite's 600 s default: several real runs one after another on a 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

LOG_TABLES = {t for t, info in CATALOG.items() if info.partitioned}  # job logs, test results
PIPELINES = ("semaphore_org", "semaphore_ci", "semaphore_fleet", "semaphore_deployments")


def _table_keys() -> list[list[str]]:
    return [["semaphore", t] for t in TABLES if t not in LOG_TABLES]


def _run_worker(port: int, root_pid: int, run_id: str) -> psutil.Process:
    """The process executing `run_id`; it must be one of the `dagster dev` tree we started."""
    pid = run_worker_pid(port, run_id)
    worker = psutil.Process(pid)
    assert pid in {p.pid for p in psutil.Process(root_pid).children(recursive=True)}, worker.cmdline()
    return worker


def _packages(dlt_dir: Path, stage: str) -> list[Path]:
    """dlt's load packages of every group pipeline in `stage` (normalize/extracted, load/new, load/normalized)."""
    found: list[Path] = []
    for name in PIPELINES:
        folder = dlt_dir / "pipelines" / name / stage
        if folder.is_dir():
            found.extend(p for p in folder.iterdir() if p.is_dir())
    return found


def _loading(dlt_dir: Path) -> bool:
    return any(
        any((package / "started_jobs").glob("*")) or any((package / "completed_jobs").glob("*"))
        for package in _packages(dlt_dir, "load/normalized")
    )


STEP_STATS = "query R($id: ID!) { runOrError(runId: $id) { ... on Run { stepStats { stepKey status } } } }"


def _steps_succeeded(port: int, run_id: str) -> int:
    stats = graphql(port, STEP_STATS, {"id": run_id})["runOrError"]["stepStats"]
    return sum(1 for s in stats if s["status"] == "SUCCESS")


def _wait_for(condition: Callable[[], bool], worker: psutil.Process, deadline_s: float = 180) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return
        if not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE:
            raise AssertionError("the run ended before the kill point was reached")
        time.sleep(0.005)
    raise AssertionError(f"kill point not reached within {deadline_s} s")


def _completed_view(duckdb_file: Path) -> dict[str, list[dict]]:
    """What the readers see: rows of completed loads only (`_dlt_loads.status = 0`)."""
    from semaphore_dagster_tests.semaphore.conftest import _row

    out: dict[str, list[dict]] = {}
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'semaphore'"
            ).fetchall()
        }
        for name in TABLES:
            if name not in present:
                out[name] = []
                continue
            cursor = con.execute(
                f'SELECT * FROM semaphore."{name}" WHERE _dlt_load_id IN '
                "(SELECT load_id FROM semaphore._dlt_loads WHERE status = 0)"
            )
            columns = [d[0] for d in cursor.description]
            out[name] = [_row(name, dict(zip(columns, v, strict=True))) for v in cursor.fetchall()]
    return out


def _assert_converged(duckdb_file: Path, world) -> None:
    truth = world.ground_truth()
    seen = _completed_view(duckdb_file)
    for name in TABLES:
        if name in LOG_TABLES:
            continue
        actual = seen[name]
        if name == "agents":  # one snapshot per load: compare the latest
            latest = max((r["snapshot_at"] for r in actual), default=None)
            actual = [r for r in actual if r["snapshot_at"] == latest]
        assert_table_equal(name, actual, truth[name])
    assert_no_duplicate_keys(duckdb_file)


SCENARIOS = [
    "sigkill_during_extract",
    "sigkill_during_normalize",
    "sigkill_during_load",
    "sigkill_between_tables",
    "sigterm_during_extract",
    "ui_terminate_during_extract",
]


def test_runs_killed_anywhere_then_a_normal_run_converge(tmp_path: Path) -> None:
    world = make_world("tiny")
    duckdb_file = tmp_path / "semaphore_ci.duckdb"
    dlt_dir = tmp_path / "dlt"
    home = write_dagster_home(
        tmp_path / "dagster_home",
        {"run_monitoring": {"poll_interval_seconds": 5, "free_slots_after_run_end_seconds": 1}},
    )
    outcomes: dict[str, str] = {}
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0, latency_ms=10) as emulator:
        env = source_env(emulator.base_url, duckdb_file, dlt_dir, home=home)
        with dagster_dev(env, cwd=tmp_path) as server:
            for scenario in SCENARIOS:
                emulator.reset_counts()
                run_id = launch_assets(server.port, server.location, _table_keys())
                worker = _run_worker(server.port, server.pid, run_id)
                if scenario.endswith("during_extract"):
                    _wait_for(lambda: sum(emulator.request_counts.values()) > 15, worker)
                elif scenario == "sigkill_during_normalize":
                    _wait_for(lambda: bool(_packages(dlt_dir, "load/new")), worker)
                elif scenario == "sigkill_during_load":
                    _wait_for(lambda: _loading(dlt_dir), worker)
                else:  # between tables: one group's step has succeeded, the others have not
                    _wait_for(lambda rid=run_id: _steps_succeeded(server.port, rid) >= 1, worker)
                if scenario.startswith("sigkill"):
                    worker.send_signal(signal.SIGKILL)
                elif scenario.startswith("sigterm"):
                    worker.send_signal(signal.SIGTERM)
                else:
                    answer = graphql(
                        server.port, TERMINATE_MUTATION, {"runId": run_id, "policy": "SAFE_TERMINATE"}
                    )["terminateRun"]
                    assert answer["__typename"] == "TerminateRunSuccess", answer
                ended = wait_for_run(server.port, run_id, deadline_s=240)
                assert ended in {"FAILURE", "CANCELED"}, (scenario, ended)
                outcomes[scenario] = ended
                again = launch_assets(server.port, server.location, _table_keys())
                assert wait_for_run(server.port, again, deadline_s=300) == "SUCCESS", (
                    scenario,
                    run_status(server.port, again),
                )
                _assert_converged(duckdb_file, world)
                world.advance(timedelta(hours=6))  # the organization moves on before the next kill
    assert set(outcomes) == set(SCENARIOS), outcomes
