"""Scenarios 1-6, 9, 10, 11 of docs/reliability.md: each fault of the emulator, asserted with the six
criteria (criteria.py): the final tables equal the fault-free run, or the run fails clearly and the next
fault-free run converges to it."""

import time

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import AuthError
from semaphore_dagster.semaphore.errors import root_semaphore_error
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

from .conftest import read_tables
from .scenario import Scenario, scenario, serve  # noqa: F401 (fixture)

SLOW = pytest.mark.slow
# (scenario row, fault spec)
TRANSIENT = [
    pytest.param("429:burst=3,retry_after=1", id="1-429-seconds"),
    pytest.param("429:rate=0.05,retry_after=date,date_in=1", marks=SLOW, id="1-429-date"),
    pytest.param("429:burst=2,retry_after=none", marks=SLOW, id="1-429-absent"),
    pytest.param("429:burst=1,retry_after=huge", marks=SLOW, id="1-429-huge-capped"),
    pytest.param("5xx:status=503,rate=0.05", marks=SLOW, id="2-503-random"),
    pytest.param("5xx:status=500,endpoint=pipelines.list,count=2", id="2-500-twice-mid-pagination"),
    pytest.param("5xx:status=502,endpoint=logs.get,rate=0.1", marks=SLOW, id="2-502-logs"),
    pytest.param("reset:rate=0.03", marks=SLOW, id="3-reset-before"),
    pytest.param("reset:at=body,rate=0.03", id="3-reset-inside-body"),
    pytest.param("truncate:rate=0.03", id="4-truncated-content-length"),
    pytest.param("half_json:rate=0.05", marks=SLOW, id="4-half-json"),
    pytest.param("half_json:endpoint=logs.get,rate=0.1", id="4-half-json-logs"),
    pytest.param("trickle:bytes_per_s=20000,rate=0.02", marks=SLOW, id="5-trickle-fast"),
    pytest.param("slow:seconds=2,rate=0.02", marks=SLOW, id="5-slow-past-timeout"),
    pytest.param("empty_page:endpoint=workflows.list,page=1,once", id="10-empty-first-page"),
    pytest.param("repeat_page:endpoint=pipelines.list,page=2,once", id="9-repeated-page-once"),
]
TWO_PAGES = {"projects": 1, "days": 14, "pipelines_per_day": 8.0, "blocks_per_pipeline": (1, 1)}


@pytest.mark.parametrize("faults", TRANSIENT)
def test_transient_fault_gives_the_fault_free_tables(scenario: Scenario, faults: str) -> None:  # noqa: F811
    knobs = TWO_PAGES if faults.startswith("repeat_page") else {}
    baseline = scenario.baseline(**knobs)
    with serve(make_world("tiny", **knobs), faults=faults) as server:
        error = scenario.load(server, request_timeout=1.0)
    assert error is None, f"{faults}: {error}"
    scenario.check(baseline, factor=4.0, slack=15.0)


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param("5xx:status=503,endpoint=pipelines.list", id="2-persistent-5xx"),
        pytest.param("429:retry_after=1,endpoint=workflows.list", id="1-429-budget-spent"),
        pytest.param("repeat_page:endpoint=pipelines.list,page=2", id="9-page-always-repeats"),
        pytest.param("html:endpoint=projects.list", id="17-html-from-a-proxy"),
    ],
)
def test_persistent_fault_fails_cleanly_then_next_run_completes(scenario: Scenario, faults: str) -> None:  # noqa: F811
    baseline = scenario.baseline(**TWO_PAGES)
    world = make_world("tiny", **TWO_PAGES)
    with serve(world, faults=faults) as server:
        error = scenario.load(server, max_attempts=3)
    ours = root_semaphore_error(error) if error else None
    assert ours is not None and "\n" not in str(ours) and TEST_TOKEN not in str(ours), error
    if faults.startswith("html"):
        assert "HTML" in str(ours) and "base_url" in str(ours)
    tables = read_tables(scenario.duckdb_path)
    assert not tables["pipelines"] and not tables["jobs"], "nothing partial may be visible"
    with serve(world) as server:
        assert scenario.load(server) is None
    scenario.check(baseline, factor=4.0, slack=20.0)


def test_revoked_token_fails_fast_without_retry_storm(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 6: 401 from request 12 on: one line naming the fix, no retry storm, the next run resumes."""
    baseline = scenario.baseline()
    world = make_world("tiny")
    with serve(world, faults="revoke_after=12") as server:
        started = time.monotonic()
        error = scenario.load(server)
        elapsed = time.monotonic() - started
        total = sum(server.request_counts.values())
    ours = root_semaphore_error(error)
    assert isinstance(ours, AuthError)
    message = str(ours)
    assert "API_TOKEN" in message and "auth_scheme" in message and TEST_TOKEN not in message
    assert total <= 12 + 2 * 8 + 2, "no retry storm after the 401"
    assert elapsed < 10
    with serve(world) as server:
        assert scenario.load(server) is None
    scenario.check(baseline)


def test_trickling_body_is_cut_at_the_deadline(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 5 / finding 6: request_timeout=2 and a body at 30 B/s took 105 s for one request. Now the
    request deadline (default 5 x request_timeout = 10 s) cuts it, the retry gets the whole body."""
    baseline = scenario.baseline()
    world = make_world("tiny")
    with serve(world, faults="trickle:bytes_per_s=30,endpoint=projects.list,once") as server:
        started = time.monotonic()
        error = scenario.load(server, request_timeout=2.0)
        elapsed = time.monotonic() - started
        assert server.fault_counts.get("trickle") == 1
    assert error is None, error
    assert elapsed < 10 + 2 + baseline.elapsed * 3 + 5, f"{elapsed:.1f} s"
    scenario.check(baseline, slack=15.0)


def test_request_deadline_is_configurable(scenario: Scenario) -> None:  # noqa: F811
    baseline = scenario.baseline()
    with serve(make_world("tiny"), faults="trickle:bytes_per_s=30,endpoint=projects.list,once") as server:
        error = scenario.load(server, request_timeout=30.0, request_deadline=2.0)
    assert error is None, error
    scenario.check(baseline, slack=6.0)


@pytest.mark.slow
def test_huge_log_is_truncated_with_bounded_memory(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 11: a 60 MB log, stored up to the cap (truncation recorded), peak memory bounded."""
    import psutil

    knobs = {"huge_log_bytes": 60_000_000}
    baseline = scenario.baseline({"log_max_bytes": 1_000_000}, **knobs)
    world = make_world("tiny", **knobs)
    process = psutil.Process()
    before = process.memory_info().rss
    with serve(world) as server:
        assert scenario.load(server, log_max_bytes=1_000_000) is None
    logs = read_tables(scenario.duckdb_path, ("job_logs",))["job_logs"]
    huge = max(logs, key=lambda r: r["bytes"] or 0)
    assert (
        huge["bytes"] >= 60_000_000 and huge["truncated"] and huge["stored_event_count"] < huge["event_count"]
    )
    growth = (process.memory_info().rss - before) / 1e6
    assert growth < 300, f"RSS grew {growth:.0f} MB for a 60 MB log"
    scenario.check(baseline, factor=2.0, slack=10.0)


def test_after_a_429_no_worker_bursts(tiny_world) -> None:
    """Scenario 1: a 429's Retry-After holds back every worker thread, not only the one that got it."""
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
