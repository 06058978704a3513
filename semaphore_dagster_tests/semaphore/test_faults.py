"""Each fault of the emulator: the final tables equal the fault-free run (the ground truth), or the run fails
clearly and the next fault-free run completes."""

import time
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import AuthError
from semaphore_dagster.semaphore.errors import root_semaphore_error
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

from .conftest import assert_equals_ground_truth, load, read_tables

SLOW = pytest.mark.slow
TRANSIENT = [
    "429:burst=3,retry_after=1",
    pytest.param("429:rate=0.05,retry_after=date,date_in=1", marks=SLOW),
    pytest.param("429:burst=2,retry_after=none", marks=SLOW),
    pytest.param("429:burst=1,retry_after=huge", marks=SLOW),  # capped by max_retry_delay
    pytest.param("5xx:status=503,rate=0.05", marks=SLOW),
    "5xx:status=500,endpoint=pipelines.list,count=2",
    pytest.param("5xx:status=502,endpoint=logs.get,rate=0.1", marks=SLOW),
    pytest.param("reset:rate=0.03", marks=SLOW),
    "reset:at=body,rate=0.03",
    "truncate:rate=0.03",
    pytest.param("half_json:rate=0.05", marks=SLOW),
    "half_json:endpoint=logs.get,rate=0.1",
    pytest.param("trickle:bytes_per_s=20000,rate=0.02", marks=SLOW),
    pytest.param("slow:seconds=2,rate=0.02", marks=SLOW),
    "empty_page:endpoint=workflows.list,page=1,once",
]


def _load_with(faults: str, duckdb_path: Path, pipelines_dir: Path, **options):
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN, faults=faults) as server:
        started = time.monotonic()
        try:
            load(server, duckdb_path, pipelines_dir, **options)
            error = None
        except Exception as exc:  # the run failed: return the error for the test to judge
            error = exc
        counts = dict(server.request_counts)
    return world, error, counts, time.monotonic() - started


@pytest.mark.parametrize("faults", TRANSIENT)
def test_transient_fault_gives_the_fault_free_tables(
    faults: str, duckdb_path: Path, pipelines_dir: Path
) -> None:
    world, error, _, elapsed = _load_with(faults, duckdb_path, pipelines_dir, request_timeout=1.0)
    assert error is None, f"{faults}: {error}"
    assert_equals_ground_truth(duckdb_path, world)
    assert elapsed < 60


@pytest.mark.parametrize(
    "faults",
    [
        "5xx:status=503,endpoint=pipelines.list",  # persistent 5xx
        "429:retry_after=1,endpoint=workflows.list",  # the retry budget is spent
        "repeat_page:endpoint=pipelines.list,page=2",  # a page that always repeats: counts do not reconcile
        "html:endpoint=projects.list",  # a proxy page
    ],
)
def test_persistent_fault_fails_cleanly_then_next_run_completes(
    faults: str, duckdb_path: Path, pipelines_dir: Path
) -> None:
    knobs = {"projects": 1, "days": 14, "pipelines_per_day": 8.0, "blocks_per_pipeline": (1, 1)}
    world = make_world("tiny", **knobs)
    with EmulatorServer(world, token=TEST_TOKEN, faults=faults) as server:
        with pytest.raises(Exception) as failure:
            load(server, duckdb_path, pipelines_dir, max_attempts=3)
    error = root_semaphore_error(failure.value)
    assert error is not None and "\n" not in str(error) and TEST_TOKEN not in str(error)
    if faults.startswith("html"):
        assert "HTML" in str(error) and "base_url" in str(error)
    tables = read_tables(duckdb_path)
    assert not tables["pipelines"] and not tables["jobs"], "nothing partial may be visible"
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir)
    assert_equals_ground_truth(duckdb_path, world)


def test_repeated_page_once_is_reconciled(duckdb_path: Path, pipelines_dir: Path) -> None:
    world = make_world("tiny", projects=1, days=14, pipelines_per_day=8.0, blocks_per_pipeline=(1, 1))
    assert len(world.ground_truth()["pipelines"]) > 100, "needs two pages of pipelines"
    with EmulatorServer(
        world, token=TEST_TOKEN, faults="repeat_page:endpoint=pipelines.list,page=2,once"
    ) as srv:
        load(srv, duckdb_path, pipelines_dir)
    assert_equals_ground_truth(duckdb_path, world)


def test_revoked_token_fails_fast_without_retry_storm(duckdb_path: Path, pipelines_dir: Path) -> None:
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN, faults="revoke_after=12") as server:
        started = time.monotonic()
        with pytest.raises(Exception) as failure:
            load(server, duckdb_path, pipelines_dir)
        elapsed = time.monotonic() - started
        total = sum(server.request_counts.values())
    error = root_semaphore_error(failure.value)
    assert isinstance(error, AuthError)
    message = str(error)
    assert "API_TOKEN" in message and "auth_scheme" in message and TEST_TOKEN not in message
    assert total <= 12 + 2 * 8 + 2, "no retry storm after the 401"
    assert elapsed < 10
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir)
    assert_equals_ground_truth(duckdb_path, world)


@pytest.mark.slow
def test_huge_log_is_truncated_with_bounded_memory(duckdb_path: Path, pipelines_dir: Path) -> None:
    import psutil

    world = make_world("tiny", huge_log_bytes=60_000_000)
    process = psutil.Process()
    before = process.memory_info().rss
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, log_max_bytes=1_000_000)
    logs = read_tables(duckdb_path, ("job_logs",))["job_logs"]
    huge = max(logs, key=lambda r: r["bytes"] or 0)
    assert (
        huge["bytes"] >= 60_000_000 and huge["truncated"] and huge["stored_event_count"] < huge["event_count"]
    )
    growth = (process.memory_info().rss - before) / 1e6
    assert growth < 300, f"RSS grew {growth:.0f} MB for a 60 MB log"
    truth = world.ground_truth(log_max_bytes=1_000_000)
    assert len(logs) == len(truth["job_logs"])


def test_after_a_429_no_worker_bursts(tiny_world) -> None:
    """A 429's Retry-After holds back every worker thread, not only the one that got it."""
    from concurrent.futures import ThreadPoolExecutor

    from semaphore_dagster.semaphore import ApiError
    from semaphore_dagster.semaphore.client import SemaphoreClient

    with EmulatorServer(tiny_world, token=TEST_TOKEN, faults="429:burst=1,retry_after=2") as server:
        client = SemaphoreClient(server.base_url, TEST_TOKEN, max_attempts=1)
        with pytest.raises(ApiError, match="429"):
            client.get_json("projects")  # the 429 closes the gate for 2 s
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: client.get_json("projects"), range(6)))
        elapsed = time.monotonic() - started
    assert all(len(r) == 2 for r in results)
    assert elapsed >= 1.5, f"workers went on after {elapsed:.2f} s"
