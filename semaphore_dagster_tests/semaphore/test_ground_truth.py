"""Every table equals the emulator's ground truth (tiny: fast; small: slow), with Token and Bearer, cloud and
self-hosted logs, and a per-table matrix at the HTTP boundary."""

import time
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

from .conftest import assert_equals_ground_truth, assert_table_equal, load, read_tables

# table -> the emulator endpoints (request-count names) its rows come from
ENDPOINTS = {
    "projects": ("projects.list",),
    "workflows": ("workflows.list",),
    "pipelines": ("pipelines.list",),
    "blocks": ("pipelines.describe",),
    "jobs": ("pipelines.describe", "jobs.list"),
    "promotions": ("promotions.list",),
    "job_logs": ("logs.get",),
    "job_log_events": ("logs.get",),
    "agent_types": ("agent_types.list",),
    "agents": ("agents.list",),
    "deployment_targets": ("deployment_targets.list",),
    "deployments": ("deployment_targets.history",),
    "artifact_retention_policies": ("retention_policies.describe",),
    "schedules": ("schedules.list",),
    "test_reports": ("artifacts.signed_url", "storage.get"),
    "test_suites": ("storage.get",),
    "test_cases": ("storage.get",),
    "flaky_tests": ("flaky_tests.list",),
    "members": ("members.list", "project_members.list"),
    "roles": ("roles.list",),
    "groups": ("groups.list",),
    "service_accounts": ("service_accounts.list",),
    "secrets": ("secrets.list", "project_secrets.list"),
    "notifications": ("notifications.list",),
    "dashboards": ("dashboards.list",),
}


@pytest.fixture(scope="module")
def tiny_load(tmp_path_factory: pytest.TempPathFactory):
    """One load of the tiny world (module scope: the matrix below reads it table by table)."""
    tmp = tmp_path_factory.mktemp("tiny")
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        load(server, tmp / "semaphore_ci.duckdb", tmp / "pipelines")
        counts = dict(server.request_counts)
    return world, read_tables(tmp / "semaphore_ci.duckdb"), counts


@pytest.mark.parametrize("table", list(TABLES))
def test_table_matrix(tiny_load, table: str) -> None:
    world, tables, counts = tiny_load
    truth = world.ground_truth()[table]
    assert truth, f"the tiny world should have {table} rows"
    actual = tables[table]
    if table == "agents":
        latest = max(r["snapshot_at"] for r in actual)
        actual = [r for r in actual if r["snapshot_at"] == latest]
    assert_table_equal(table, actual, truth)
    for endpoint in ENDPOINTS[table]:
        assert counts.get(endpoint, 0) >= 1, f"{table} should come from {endpoint}"


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_tiny_equals_ground_truth(emulator, duckdb_path: Path, pipelines_dir: Path, scheme: str) -> None:
    load(emulator, duckdb_path, pipelines_dir, auth_scheme=scheme)
    assert_equals_ground_truth(duckdb_path, emulator.world)


def test_self_hosted_logs_follow_the_redirect(tiny_world, duckdb_path: Path, pipelines_dir: Path) -> None:
    with EmulatorServer(tiny_world, token=TEST_TOKEN, log_mode="self_hosted") as server:
        load(server, duckdb_path, pipelines_dir)
        assert server.request_counts.get("logs.v1", 0) >= 1
    # the ground truth describes the cloud mode (INLINE for cloud jobs): only `source` differs
    assert_equals_ground_truth(duckdb_path, tiny_world, ignore={"job_logs": {"source"}})
    logs = read_tables(duckdb_path, ("job_logs",))["job_logs"]
    assert {r["source"] for r in logs if r["outcome"] == "OK"} == {"REDIRECT"}


def test_log_truncation_is_recorded(tiny_world, duckdb_path: Path, pipelines_dir: Path) -> None:
    with EmulatorServer(tiny_world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, log_max_bytes=40)
    truth = tiny_world.ground_truth(log_max_bytes=40)
    tables = read_tables(duckdb_path, ("job_logs", "job_log_events"))
    assert any(r["truncated"] for r in tables["job_logs"])
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"])
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])


@pytest.mark.slow
def test_small_equals_ground_truth(duckdb_path: Path, pipelines_dir: Path) -> None:
    world = make_world("small")
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        started = time.monotonic()
        load(server, duckdb_path, pipelines_dir)
        elapsed = time.monotonic() - started
        requests = sum(server.request_counts.values())
    assert_equals_ground_truth(duckdb_path, world)
    print(f"small first load: {elapsed:.1f} s, {requests} requests")
