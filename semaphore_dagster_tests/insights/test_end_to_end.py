"""End to end: the dlt source loads the emulator over HTTP into DuckDB, the insights are built on what it
loaded, and they agree with the emulator's own insights endpoints."""

from pathlib import Path

import duckdb
import pytest
from semaphore_dagster.insights.checks import run_checks

from semaphore_dagster.insights import build_insights
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


@pytest.mark.slow
def test_loaded_data_agrees_with_the_emulator(emulator, tmp_path: Path) -> None:
    db = tmp_path / "loaded.duckdb"
    pipeline = make_pipeline(pipelines_dir=tmp_path / "dlt", credentials=str(db))
    source = semaphore_source(
        base_url=emulator.base_url, api_token=TEST_TOKEN, start_date="2026-01-01", now=FIXED_NOW
    )
    run_load(pipeline, source)
    con = duckdb.connect(str(db))
    try:
        built = build_insights(con)
        failures = [o for o in run_checks(lambda sql: con.execute(sql).fetchall()) if not o.passed]
    finally:
        con.close()
    empty = [n for n in ("pipeline_performance", "mttr", "dora_summary", "failing_commands") if not built[n]]
    assert empty == []
    assert failures == [], [(o.check.insight, o.check.name, o.sample) for o in failures]
    t = tables(db)
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
