"""Runs at once against one DuckDB file, through a real Dagster instance (slow).

A temp DAGSTER_HOME with the project's dagster.yaml (queued run coordinator, 3 runs at once, one backfill at a
time, pools of 1 slot) and `dagster dev` (webserver + daemon) on 127.0.0.1. After a first load of the CI tables
(so the log runs have jobs to fetch), these start together:

- the sensor `semaphore_new_pipelines`, turned on, requests its catch-up CI-activity run;
- the daily slowly-changing schedule is evaluated and its run launched, as the UI's "Test schedule" does;
- a 3-partition backfill of the job logs (the UI's launch-backfill dialog);
- a UI-style materialization of the 4th day's job logs (the Materialize button's GraphQL launch);
- meanwhile another process holds a read-only DuckDB connection for 20 s (a person's `duckdb -readonly`).

None may fail (the holder neither), and the final tables equal the emulator's ground truth row by row, with
no duplicate key. Writers that meet someone else's lock must wait for it, not fail (docs/dagster.md).
"""

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from semaphore_dagster.dagster_layer.catalog import TABLES
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.dagster_http import (
    FINISHED,
    graphql,
    launch_assets,
    launch_backfill,
    wait_for_backfill,
    wait_for_run,
)
from semaphore_dagster_tests.defs.live_dagster import dagster_dev, source_env, write_dagster_home
from semaphore_dagster_tests.semaphore.conftest import assert_equals_ground_truth

# Longer than the suite's 600 s default: several real runs one after another on a 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

CI_TABLES = ("projects", "workflows", "pipelines", "blocks", "jobs", "promotions")
# Every day-partitioned table (job logs and test results), as the day job loads them.
LOG_KEYS = [["semaphore", t.name] for t in TABLES.values() if t.partitioned]
SENSOR = "semaphore_new_pipelines"
SCHEDULE = "semaphore_slowly_changing_daily"
HOLD_SECONDS = 20

HOLDER = """
import duckdb, sys, time
deadline = time.time() + 120
while True:  # a writer may hold the file right now: a person retries too
    try:
        con = duckdb.connect(sys.argv[1], read_only=True)
        break
    except duckdb.IOException:
        if time.time() > deadline:
            raise
        time.sleep(0.05)
con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
print("holding", time.time(), flush=True)
time.sleep(float(sys.argv[2]))
con.close()
print("released", time.time(), flush=True)
"""

SENSOR_MUTATION = """
mutation Sensor($selector: SensorSelector!) {
  %s(sensorSelector: $selector) { __typename ... on Sensor { sensorState { status } } ... on PythonError { message } }
}
"""
STOP_SENSOR = """
mutation Stop($id: String!) { stopSensor(id: $id) { __typename } }
"""
SENSOR_STATE = """
query S($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) { ... on Sensor { sensorState { id status } } } }
"""
SCHEDULE_DRY_RUN = """
mutation DryRun($selector: ScheduleSelector!, $ts: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $ts) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult { runRequests { runKey jobName runConfigYaml tags { key value } } skipReason error { message } }
    }
    ... on PythonError { message }
  }
}
"""
SCHEDULE_JOB = """
query J($selector: ScheduleSelector!) { scheduleOrError(scheduleSelector: $selector) { ... on Schedule { pipelineName } } }
"""
LAUNCH_JOB = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  }
}
"""
RUNS = """
{ runsOrError(limit: 100) { ... on Runs { results { runId jobName status creationTime startTime endTime tags { key value } } } } }
"""


def _runs(port: int) -> list[dict]:
    return graphql(port, RUNS)["runsOrError"]["results"]


def _tag(run: dict, key: str) -> str | None:
    return next((t["value"] for t in run["tags"] if t["key"] == key), None)


def _start_sensor(port: int, location) -> dict:
    selector = {
        "repositoryLocationName": location.name,
        "repositoryName": location.repository,
        "sensorName": SENSOR,
    }
    started = graphql(port, SENSOR_MUTATION % "startSensor", {"selector": selector})["startSensor"]
    assert started["__typename"] == "Sensor", started
    return selector


def _launch_scheduled_run(port: int, location) -> str:
    """Evaluate the schedule for its next tick and launch the run it asks for (the UI's Test schedule)."""
    selector = {
        "repositoryLocationName": location.name,
        "repositoryName": location.repository,
        "scheduleName": SCHEDULE,
    }
    tick = graphql(port, SCHEDULE_DRY_RUN, {"selector": selector, "ts": time.time()})["scheduleDryRun"]
    assert tick["__typename"] == "DryRunInstigationTick", tick
    evaluation = tick["evaluationResult"]
    assert not evaluation["error"] and len(evaluation["runRequests"]) == 1, evaluation
    request = evaluation["runRequests"][0]
    job_name = (
        request["jobName"]
        or graphql(port, SCHEDULE_JOB, {"selector": selector})["scheduleOrError"]["pipelineName"]
    )
    tags = request["tags"]
    if not any(t["key"] == "dagster/schedule_name" for t in tags):
        tags = [*tags, {"key": "dagster/schedule_name", "value": SCHEDULE}]
    params = {
        "selector": {
            "repositoryLocationName": location.name,
            "repositoryName": location.repository,
            "pipelineName": job_name,
        },
        "runConfigData": request["runConfigYaml"],
        "mode": "default",
        "executionMetadata": {"tags": tags},
    }
    launched = graphql(port, LAUNCH_JOB, {"params": params})["launchPipelineExecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def _log_days(world) -> list[str]:
    finished = {j["finish_time"].date() for j in world.ground_truth()["jobs"] if j.get("finish_time")}
    return sorted(d.isoformat() for d in finished)


def test_concurrent_runs_and_a_reader_share_the_duckdb_file(tmp_path: Path) -> None:
    world = make_world("tiny")
    days = _log_days(world)
    assert len(days) >= 4, days  # 3 for the backfill, one for the UI-style run
    duckdb_file = tmp_path / "semaphore_ci.duckdb"
    home = write_dagster_home(tmp_path / "dagster_home")
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0, latency_ms=5) as emulator:
        env = source_env(emulator.base_url, duckdb_file, tmp_path / "dlt", home=home)
        env["SEMAPHORE_DAGSTER_SENSOR_INTERVAL"] = "5"
        with dagster_dev(env, cwd=tmp_path) as server:
            port, location = server.port, server.location
            first = launch_assets(port, location, [["semaphore", t] for t in CI_TABLES])
            assert wait_for_run(port, first) == "SUCCESS"

            sensor = _start_sensor(port, location)
            scheduled = _launch_scheduled_run(port, location)
            backfill = launch_backfill(port, location, LOG_KEYS, days[:3])
            ui_run = launch_assets(port, location, LOG_KEYS, partition_key=days[3])
            sensor_run = _wait_for_sensor_run(port)
            state = graphql(port, SENSOR_STATE, {"selector": sensor})["sensorOrError"]["sensorState"]
            graphql(port, STOP_SENSOR, {"id": state["id"]})  # its one catch-up run is what we wanted
            # The reader opens the file once a writer run is executing, and keeps it 20 s.
            _wait_until_a_run_executes(port, exclude={first})
            holder = subprocess.Popen(
                [sys.executable, "-c", HOLDER, str(duckdb_file), str(HOLD_SECONDS)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                out, err = holder.communicate(timeout=HOLD_SECONDS + 120)
            finally:
                if holder.poll() is None:
                    holder.kill()
                    holder.wait()
            assert holder.returncode == 0, err
            held_at = float(out.split()[1])
            released_at = float(out.split()[3])

            statuses = {
                "sensor": wait_for_run(port, sensor_run, deadline_s=600),
                "schedule": wait_for_run(port, scheduled, deadline_s=600),
                "ui": wait_for_run(port, ui_run, deadline_s=600),
            }
            filled = wait_for_backfill(port, backfill, deadline_s=600)
            runs = _runs(port)
            assert statuses == {"sensor": "SUCCESS", "schedule": "SUCCESS", "ui": "SUCCESS"}, _failures(runs)
            assert filled["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, filled
            assert {r["status"] for r in filled["runs"]} == {"SUCCESS"}, filled["runs"]
            assert [r for r in runs if r["status"] not in FINISHED] == []
            assert [r["runId"] for r in runs if r["status"] != "SUCCESS"] == []
            _assert_they_overlapped(runs, first, held_at, released_at)
    assert_equals_ground_truth(duckdb_file, world)


def _wait_for_sensor_run(port: int, deadline_s: float = 180) -> str:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        for run in _runs(port):
            if _tag(run, "dagster/sensor_name") == SENSOR:
                return run["runId"]
        time.sleep(1)
    raise AssertionError(f"the sensor requested no run within {deadline_s} s")


def _wait_until_a_run_executes(port: int, exclude: set[str], deadline_s: float = 300) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if any(r["status"] == "STARTED" and r["runId"] not in exclude for r in _runs(port)):
            return
        time.sleep(0.5)
    raise AssertionError(f"no run started within {deadline_s} s")


def _failures(runs: list[dict]) -> list[tuple[str, str, str]]:
    return [(r["runId"], r["jobName"], r["status"]) for r in runs if r["status"] != "SUCCESS"]


def _assert_they_overlapped(runs: list[dict], first: str, held_at: float, released_at: float) -> None:
    """The test means something only if the runs were all in flight at once (launched before any of them
    ended: the instance queues them and its pool lets one writer at a time through) and a run was
    executing while the reader held the file."""
    later = [r for r in runs if r["runId"] != first]
    assert len(later) >= 4, runs
    first_end = min(r["endTime"] for r in later)
    assert all(r["creationTime"] < first_end for r in later), [
        (r["jobName"], r["creationTime"], r["startTime"], r["endTime"]) for r in later
    ]
    during_hold = [r for r in later if r["startTime"] < released_at and held_at < r["endTime"]]
    assert during_hold, (
        f"no run was executing while the reader held the file "
        f"({datetime.fromtimestamp(held_at, UTC)}..{datetime.fromtimestamp(released_at, UTC)})"
    )
