"""End to end: the dlt source loads the emulator over HTTP into DuckDB and into PostgreSQL, dbt builds the
insights on what it loaded, their tests pass, and they agree with the emulator's own insights endpoints."""

from pathlib import Path

import dlt
import pytest

from semaphore_dagster.insights import DbtTarget
from semaphore_dagster.insights.runner import build, build_insights
from semaphore_dagster.semaphore import make_pipeline, run_load, semaphore_source
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN
from semaphore_dagster_tests.insights.agreement import (
    assert_performance_agrees,
    assert_reliability_agrees,
    fetch_endpoint,
    full_range,
    scopes,
    select,
    sum_by_day,
    tables,
)


def assert_agrees(emulator, target: DbtTarget) -> None:
    result = build(target)
    assert [(n.name, n.message) for n in result.tests() if n.status != "pass"] == []
    assert len(result.tests()) >= 50
    built = build_insights(target, names=["pipeline_performance", "mttr", "dora_summary", "failing_commands"])
    assert [n for n, rows in built.items() if not rows] == []
    t = tables(target)
    perf, rel, freq = t["pipeline_performance"], t["pipeline_reliability"], t["pipeline_frequency"]
    window = full_range(perf + freq)
    for project, file, branch in sorted(scopes(freq)):
        query = {"pipeline_file": file, "branch": branch, **window}
        body = fetch_endpoint(emulator.base_url, project, "frequency", query)
        expected = sum_by_day(select(freq, project, file, branch), ("pipelines",))
        assert {e["date"]: e["count"] for e in body["frequency"]} == {d: v[0] for d, v in expected.items()}
        body = fetch_endpoint(emulator.base_url, project, "performance", query)
        assert_performance_agrees(body, select(perf, project, file, branch))
        body = fetch_endpoint(emulator.base_url, project, "reliability", query)
        assert_reliability_agrees(body, select(rel, project, file, branch))


def source(emulator):
    return semaphore_source(
        base_url=emulator.base_url, api_token=TEST_TOKEN, start_date="2026-01-01", now=FIXED_NOW
    )


@pytest.mark.slow
def test_loaded_data_agrees_with_the_emulator(emulator, tmp_path: Path) -> None:
    db = tmp_path / "loaded.duckdb"
    run_load(make_pipeline(pipelines_dir=tmp_path / "dlt", credentials=str(db)), source(emulator))
    assert_agrees(emulator, DbtTarget(kind="duckdb", duckdb_path=str(db)))


@pytest.mark.slow
def test_loaded_into_postgres_agrees_with_the_emulator(emulator, pg_server, tmp_path: Path) -> None:
    """The same, loaded by dlt into PostgreSQL (dlt.destinations.postgres) and built there by dbt."""
    url = pg_server.create_database("e2e_insights")
    pipeline = dlt.pipeline(
        pipeline_name="semaphore_pg_e2e",
        destination=dlt.destinations.postgres(credentials=url),
        dataset_name="semaphore",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    pipeline.run(source(emulator))  # dlt's default loader format for PostgreSQL (parquet is DuckDB's)
    assert_agrees(emulator, DbtTarget(kind="postgres", postgres_credentials=url))
