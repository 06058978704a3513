"""The insight checks as dbt tests: they pass on an emulator world and catch negative durations, bad rates
and lost rows."""

import shutil
from pathlib import Path

import duckdb

from semaphore_dagster.insights import DbtTarget, run_dbt
from semaphore_dagster.insights.runner import build
from semaphore_dagster_tests.insights.backends import duckdb_target
from semaphore_dagster_tests.insights.tables import pipeline


def failed(result) -> set[str]:
    return {n.name for n in result.tests() if n.status == "fail"}


def test_every_test_passes_on_an_emulator_world(small_target: DbtTarget) -> None:
    result = run_dbt("test", small_target)
    tests = result.tests()
    assert len(tests) >= 50
    assert [(n.name, n.message) for n in tests if n.status != "pass"] == []
    names = {n.name for n in tests}
    for kind in (
        "non_negative_",
        "rate_within_0_1_",
        "_total_matches",
        "_add_up",
        "unique_",
        "relationships_",
    ):
        assert any(kind in name for name in names), kind
    assert "pipeline_performance_counts_per_outcome" in names  # a singular test


def test_negative_durations_are_caught(tmp_path: Path) -> None:
    # done before created: a clock gone wrong
    target = duckdb_target(
        {"pipelines": [pipeline("a", created=10, pending=11, done=5, result="PASSED")]},
        tmp_path / "neg.duckdb",
    )
    result = build(target)
    negative = failed(result)
    # every duration that spans done_at is negative: performance (all its statistics but the stddev of one
    # pipeline) and the stage total
    expected = {
        f"non_negative_pipeline_performance_{c}" for c in ("mean_s", "median_s", "min_s", "max_s", "p95_s")
    }
    assert negative == expected | {"non_negative_pipeline_stages_total_s"}
    # dbt build does not build on a table whose test failed: the stage summary is skipped, not wrong
    summary = next(n for n in result.nodes if n.name == "pipeline_stage_summary")
    assert summary.status == "skipped"


def test_bad_rates_and_lost_rows_are_caught(tmp_path: Path) -> None:
    rows = [
        pipeline(f"p{i}", created=i, done=i + 1, result="PASSED" if i % 2 else "FAILED") for i in range(6)
    ]
    target = duckdb_target({"pipelines": rows}, tmp_path / "rates.duckdb")
    assert failed(build(target)) == set()
    con = duckdb.connect(target.duckdb_path)
    con.execute("UPDATE semaphore_insights.pipeline_reliability SET pass_rate = 1.5")
    con.execute("DELETE FROM semaphore_insights.pipeline_frequency")
    con.execute(
        "UPDATE semaphore_insights.pipeline_performance SET pipelines = pipelines + 1 WHERE outcome = 'PASSED'"
    )
    con.close()
    result = run_dbt("test", target)
    got = failed(result)
    assert "rate_within_0_1_pipeline_reliability_pass_rate" in got
    assert "pipeline_performance_counts_per_outcome" in got
    assert "pipeline_frequency_pipelines_total_matches" in got
    assert len(got) == 3, got


def test_tests_fail_when_insights_are_not_built(small_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(small_db, copy)
    con = duckdb.connect(str(copy))
    con.execute("DROP TABLE semaphore_insights.mttr")
    con.close()
    result = run_dbt("test", DbtTarget(kind="duckdb", duckdb_path=str(copy)), select=["mttr"])
    assert not result.success
    assert {n.status for n in result.tests()} == {"error"}
    assert all("mttr" in (n.message or "") for n in result.tests())
