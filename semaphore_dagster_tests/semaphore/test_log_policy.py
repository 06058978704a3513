"""`log_policy` (all / failed / none) and `log_tail_bytes`: what is stored equals the ground truth for the
policy, and the log requests are exactly the logs the policy wants (counted by the emulator)."""

from datetime import timedelta
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import job_logs_source, jobs_needing_logs, make_pipeline, run_load
from semaphore_dagster.semaphore.errors import ConfigError
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

from .conftest import assert_equals_ground_truth, assert_table_equal, load, read_tables

LOG_TABLES = ("job_logs", "job_log_events")
CI = ("workflows", "pipelines", "blocks", "jobs", "promotions", "job_logs", "job_log_events")


def _done_jobs(world) -> list:
    return [j for p in world.pipelines.values() if p.state == "DONE" for j in p.jobs()]


def _log_requests(server: EmulatorServer) -> int:
    return server.request_counts.get("logs.get", 0)


@pytest.mark.parametrize("policy", ["all", "failed", "none"])
def test_policy_equals_ground_truth_and_counts_requests(
    tiny_world, duckdb_path: Path, pipelines_dir: Path, policy: str
) -> None:
    done = _done_jobs(tiny_world)
    failed = [j for j in done if j.result == "FAILED"]
    assert failed and len(failed) < len(done), "the tiny world should have failed and other jobs"
    with EmulatorServer(tiny_world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, log_policy=policy)
        requests = _log_requests(server)
    assert_equals_ground_truth(duckdb_path, tiny_world, log_policy=policy)
    expected = {"all": len(done), "failed": len(failed), "none": 0}[policy]
    assert requests == expected, f"{policy}: {requests} log requests, {expected} wanted"
    stored = read_tables(duckdb_path, ("job_logs",))["job_logs"]
    assert len(stored) == expected


def test_include_logs_false_still_means_none(tiny_world, duckdb_path: Path, pipelines_dir: Path) -> None:
    with EmulatorServer(tiny_world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, resources=CI, include_logs=False, log_policy="failed")
        assert _log_requests(server) == 0
    assert read_tables(duckdb_path, LOG_TABLES) == {"job_logs": [], "job_log_events": []}


@pytest.mark.parametrize("tail", [1, 40, 300])
def test_tail_keeps_the_end_of_each_log(
    tiny_world, duckdb_path: Path, pipelines_dir: Path, tail: int
) -> None:
    with EmulatorServer(tiny_world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, resources=CI, log_tail_bytes=tail)
    truth = tiny_world.ground_truth(log_tail_bytes=tail)
    full = tiny_world.ground_truth()
    tables = read_tables(duckdb_path, LOG_TABLES)
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"])
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])
    # the tail is the END: each job's last event is stored, and fewer events than in full when truncated
    last = {}
    for row in full["job_log_events"]:
        last[row["job_id"]] = max(last.get(row["job_id"], -1), row["seq"])
    stored_last = {}
    for row in tables["job_log_events"]:
        stored_last[row["job_id"]] = max(stored_last.get(row["job_id"], -1), row["seq"])
    assert stored_last == last
    truncated = [r for r in tables["job_logs"] if r["truncated"]]
    assert truncated, "some tiny logs are longer than the tail"
    assert all(r["stored_event_count"] <= r["event_count"] for r in truncated)
    if tail == 1:
        assert any(r["stored_event_count"] < r["event_count"] for r in truncated)


def test_failed_policy_and_tail_in_the_per_day_log_path(
    tiny_world, duckdb_path: Path, pipelines_dir: Path
) -> None:
    """The Dagster path: `jobs_needing_logs` (with each job's result) + `job_logs_source` under the policy."""
    with EmulatorServer(tiny_world, token=TEST_TOKEN) as server:
        pipeline, _ = load(server, duckdb_path, pipelines_dir, resources=CI, include_logs=False)
        jobs = jobs_needing_logs(
            pipeline, tiny_world.now().replace(year=2000), tiny_world.now() + timedelta(days=1)
        )
        assert jobs and all("result" in j for j in jobs)
        before = _log_requests(server)
        source = job_logs_source(
            jobs=jobs,
            base_url=server.base_url,
            api_token=TEST_TOKEN,
            log_policy="failed",
            log_tail_bytes=40,
            backoff_factor=0.05,
        )
        run_load(make_pipeline(pipelines_dir=pipelines_dir, credentials=str(duckdb_path)), source)
        requests = _log_requests(server) - before
    truth = tiny_world.ground_truth(log_policy="failed", log_tail_bytes=40)
    tables = read_tables(duckdb_path, LOG_TABLES)
    assert requests == len([j for j in jobs if j["result"] == "FAILED"]) == len(truth["job_logs"])
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"])
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"log_policy": "errors"}, ("log_policy", "all, failed or none", "SOURCES__SEMAPHORE__LOG_POLICY")),
        ({"log_tail_bytes": 0}, ("log_tail_bytes", "at least 1", "SOURCES__SEMAPHORE__LOG_TAIL_BYTES")),
        ({"log_tail_bytes": "1k"}, ("log_tail_bytes", "integer", "SOURCES__SEMAPHORE__LOG_TAIL_BYTES")),
        ({"log_tail_bytes": 2.5}, ("log_tail_bytes", "integer", "SOURCES__SEMAPHORE__LOG_TAIL_BYTES")),
    ],
)
def test_bad_policy_settings_fail_in_one_line(options: dict, words: tuple[str, ...]) -> None:
    from semaphore_dagster.semaphore import semaphore_source

    with pytest.raises(ConfigError) as failure:
        semaphore_source(base_url="http://127.0.0.1:1", api_token=TEST_TOKEN, **options)
    message = str(failure.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_policy_names_are_case_insensitive(tiny_world, duckdb_path: Path, pipelines_dir: Path) -> None:
    with EmulatorServer(tiny_world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, resources=CI, log_policy=" Failed ")
        requests = _log_requests(server)
    assert requests == len([j for j in _done_jobs(tiny_world) if j.result == "FAILED"])


@pytest.mark.slow
def test_small_world_failed_policy_equals_ground_truth(duckdb_path: Path, pipelines_dir: Path) -> None:
    world = make_world("small")
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, resources=CI, log_policy="failed", log_tail_bytes=2000)
        requests = _log_requests(server)
    truth = world.ground_truth(log_policy="failed", log_tail_bytes=2000)
    tables = read_tables(duckdb_path, LOG_TABLES)
    assert requests == len(truth["job_logs"]) < len(_done_jobs(world)) / 2
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"])
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])
