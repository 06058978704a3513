"""Test results through the artifacts API: the loaded tables equal the emulator's ground truth; signed URLs go to
the second port without the Authorization header and are never stored; gates, expiry and reused jobs."""

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import jobs_needing_test_results, make_pipeline, run_load
from semaphore_dagster.semaphore import test_results_source as results_source
from semaphore_dagster.semaphore.endpoints import TEST_RESULT_TABLES
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN, make_world

from .conftest import assert_table_equal, load, read_tables

# a tiny world with flaky re-runs, partial re-runs (reused test jobs) and long failure messages
TEST_WORLD = dict(seed=3, failure_rate=0.4, flaky_rate=0.4, partial_rerun_rate=0.4)
NEW_TABLES = (*TEST_RESULT_TABLES, "flaky_tests")
RESULT_RESOURCES = ("projects", "workflows", "pipelines", "blocks", "jobs", "promotions", *TEST_RESULT_TABLES)


def files_bytes(*roots: Path) -> bytes:
    """Every byte of every file under `roots` (the DuckDB file, dlt's working directory)."""
    out = bytearray()
    for root in roots:
        paths = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in paths:
            out += path.read_bytes()
    return bytes(out)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("test_results")
    world = make_world("tiny", **TEST_WORLD)
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, tmp / "semaphore_ci.duckdb", tmp / "pipelines")
        counts = dict(server.request_counts)
        refused = server.store.refused_with_authorization
        store_url = server.store_url
    return world, tmp, read_tables(tmp / "semaphore_ci.duckdb"), counts, refused, store_url


@pytest.mark.parametrize("table", NEW_TABLES)
def test_tables_equal_ground_truth(loaded, table: str) -> None:
    world, _tmp, tables, _counts, _refused, _url = loaded
    truth = world.ground_truth()[table]
    assert truth, f"the test world should have {table} rows"
    assert_table_equal(table, tables[table], truth)


def test_content_is_realistic_and_complete(loaded) -> None:
    _world, _tmp, tables, counts, refused, _url = loaded
    reports = tables["test_reports"]
    assert {r["outcome"] for r in reports} == {"OK", "NOT_FOUND"}
    ok = [r for r in reports if r["outcome"] == "OK"]
    assert {r["compressed"] for r in ok} == {True, False}, "gzip and --no-compress files"
    assert any(r["source_job_id"] for r in ok), "a reused job resolves to its source job"
    assert len({fw for r in ok for fw in r["frameworks"]}) >= 3
    cases = tables["test_cases"]
    assert {"PASSED", "FAILED", "SKIPPED"} <= {c["state"] for c in cases}
    assert any(c["message_truncated"] and len(c["failure_message"]) == 4096 for c in cases)
    assert max(c["duration_seconds"] for c in cases) > 8, "slow tests"
    # a flaky test: the same test id failed and passed on the same commit
    pipelines = {
        p["ppl_id"]: p for p in read_tables(_tmp / "semaphore_ci.duckdb", ("pipelines",))["pipelines"]
    }
    states: dict[tuple, set] = {}
    for c in cases:
        states.setdefault((c["test_id"], pipelines[c["ppl_id"]]["commit_sha"]), set()).add(c["state"])
    assert any({"PASSED", "FAILED"} <= s or {"PASSED", "ERROR"} <= s for s in states.values())
    # every finished job once: one signed-URL request per job (+ the sources of reused ones), one download each
    assert counts["storage.get"] == len(ok)
    assert refused == 0, "the Authorization header never reached the artifact store"


def test_signed_urls_are_never_stored(loaded) -> None:
    _world, tmp, _tables, _counts, _refused, store_url = loaded
    blob = files_bytes(tmp / "semaphore_ci.duckdb", tmp / "pipelines")
    for needle in (b"Signature=", b"GoogleAccessId", store_url.encode(), b"semaphore-artifacts/artifacts"):
        assert needle not in blob


def test_second_run_fetches_nothing_again(loaded, tmp_path: Path) -> None:
    world, tmp, _tables, _counts, _refused, _url = loaded
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, tmp / "semaphore_ci.duckdb", tmp / "pipelines")
        assert server.request_counts.get("artifacts.signed_url", 0) == 0
        assert server.request_counts.get("storage.get", 0) == 0


def test_feature_gates_are_recorded_not_errors(tmp_path: Path) -> None:
    world = make_world("tiny", **TEST_WORLD)
    features = {"artifacts_api": False, "superjerry_tests": False}
    with EmulatorServer(world, token=TEST_TOKEN, features=features) as server:
        pipeline, _ = load(server, tmp_path / "semaphore_ci.duckdb", tmp_path / "pipelines")
    tables = read_tables(
        tmp_path / "semaphore_ci.duckdb", ("test_reports", "test_cases", "flaky_tests", "jobs")
    )
    assert tables["jobs"], "the CI load went on"
    assert {r["outcome"] for r in tables["test_reports"]} == {"FEATURE_DISABLED"}
    assert "artifacts api feature is not enabled" in tables["test_reports"][0]["message"]
    assert tables["test_cases"] == [] and tables["flaky_tests"] == []
    state = pipeline.state["sources"]["semaphore"]["availability"]["flaky_tests"]
    assert state["available"] is False and state["message"] == "Feature is not enabled for your organization"


def test_expired_signed_urls_are_an_error_without_the_url(tmp_path: Path) -> None:
    world = make_world("tiny", **TEST_WORLD)
    with EmulatorServer(world, token=TEST_TOKEN, signed_url_ttl_s=-1) as server:
        load(server, tmp_path / "semaphore_ci.duckdb", tmp_path / "pipelines", max_attempts=1)
    reports = read_tables(tmp_path / "semaphore_ci.duckdb", ("test_reports",))["test_reports"]
    errors = [r for r in reports if r["outcome"] == "ERROR"]
    assert errors and all("400" in r["message"] and "Signature" not in r["message"] for r in errors)


def test_day_partitions_through_test_results_source(tmp_path: Path) -> None:
    """Like the Dagster layer: CI tables first without test results, then one day's jobs by `jobs=`."""
    world = make_world("tiny", **TEST_WORLD)
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        pipeline, _ = load(
            server, tmp_path / "semaphore_ci.duckdb", tmp_path / "pipelines", include_test_results=False
        )
        assert read_tables(tmp_path / "semaphore_ci.duckdb", ("test_reports",))["test_reports"] == []
        start = FIXED_NOW - timedelta(days=10)
        jobs = jobs_needing_test_results(pipeline, start, FIXED_NOW + timedelta(days=1))
        assert jobs and all(j["block_name"] and j["job_name"] for j in jobs)
        source = results_source(jobs=jobs, base_url=server.base_url, api_token=TEST_TOKEN)
        run_load(
            make_pipeline(
                pipelines_dir=tmp_path / "pipelines", credentials=str(tmp_path / "semaphore_ci.duckdb")
            ),
            source,
        )
        assert jobs_needing_test_results(pipeline, start, FIXED_NOW + timedelta(days=1)) == []
    truth = world.ground_truth()
    tables = read_tables(tmp_path / "semaphore_ci.duckdb", TEST_RESULT_TABLES)
    for table in TEST_RESULT_TABLES:
        assert_table_equal(table, tables[table], truth[table])


@pytest.mark.slow
def test_small_world_equals_ground_truth(tmp_path: Path) -> None:
    world = make_world("small")
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, tmp_path / "semaphore_ci.duckdb", tmp_path / "pipelines")
    truth = world.ground_truth()
    tables = read_tables(tmp_path / "semaphore_ci.duckdb", NEW_TABLES)
    for table in NEW_TABLES:
        assert_table_equal(table, tables[table], truth[table])
    with duckdb.connect(str(tmp_path / "semaphore_ci.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM semaphore.test_cases").fetchall()[0][0] > 10_000


def test_missing_artifacts_permission_is_an_error_row_not_a_failed_run(tmp_path: Path) -> None:
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN, permissions={"project.view"}) as server:
        load(server, tmp_path / "semaphore_ci.duckdb", tmp_path / "pipelines", resources=RESULT_RESOURCES)
    tables = read_tables(tmp_path / "semaphore_ci.duckdb", ("test_reports", "jobs"))
    assert tables["jobs"] and {r["outcome"] for r in tables["test_reports"]} == {"ERROR"}
    assert "project.artifacts.view" in tables["test_reports"][0]["message"]
