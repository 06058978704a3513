"""The insight checks pass on an emulator world and catch negative durations, bad rates and lost rows."""

from pathlib import Path

import duckdb
from semaphore_dagster.insights.checks import CHECKS, CheckOutcome, run_checks

from semaphore_dagster.insights import build_insights
from semaphore_dagster_tests.insights.tables import pipeline, write_tables


def outcomes(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], CheckOutcome]:
    return {(o.check.insight, o.check.name): o for o in run_checks(lambda sql: con.execute(sql).fetchall())}


def failed(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {key for key, o in outcomes(con).items() if not o.passed}


def test_every_check_passes_on_an_emulator_world(small_db: Path) -> None:
    con = duckdb.connect(str(small_db), read_only=True)
    try:
        results = outcomes(con)
    finally:
        con.close()
    assert len(results) == len(CHECKS) >= 20
    assert [key for key, o in results.items() if not o.passed] == []


def test_negative_durations_are_caught() -> None:
    con = duckdb.connect()
    # done before created: a clock gone wrong
    write_tables(con, {"pipelines": [pipeline("a", created=10, pending=11, done=5, result="PASSED")]})
    build_insights(con)
    assert failed(con) == {
        ("pipeline_performance", "no_negative_durations"),
        ("pipeline_stages", "no_negative_durations"),
        ("pipeline_stage_summary", "no_negative_durations"),
    }
    sample = outcomes(con)[("pipeline_stages", "no_negative_durations")].sample
    assert len(sample) == 1 and sample[0][0] == "a"


def test_bad_rates_and_lost_rows_are_caught() -> None:
    con = duckdb.connect()
    rows = [
        pipeline(f"p{i}", created=i, done=i + 1, result="PASSED" if i % 2 else "FAILED") for i in range(6)
    ]
    write_tables(con, {"pipelines": rows})
    build_insights(con)
    assert failed(con) == set()
    con.execute("UPDATE semaphore_insights.pipeline_reliability SET pass_rate = 1.5")
    con.execute("DELETE FROM semaphore_insights.pipeline_frequency")
    con.execute(
        "UPDATE semaphore_insights.pipeline_performance SET pipelines = pipelines + 1 WHERE outcome = 'PASSED'"
    )
    assert failed(con) == {
        ("pipeline_reliability", "rates_within_0_1"),
        ("pipeline_frequency", "counts_add_up"),
        ("pipeline_performance", "counts_add_up"),
    }


def test_an_insight_not_built_fails_with_a_note() -> None:
    con = duckdb.connect()
    results = outcomes(con)
    assert all(not o.passed for o in results.values())
    assert "is not built yet" in results[("mttr", "counts_add_up")].note


def test_a_database_file_not_created_yet_fails_every_check() -> None:
    """The Dagster reader of a missing file answers every query with no rows."""
    results = run_checks(lambda sql: [])
    assert len(results) == len(CHECKS)
    assert all(not o.passed and "is not built yet" in o.note for o in results)
