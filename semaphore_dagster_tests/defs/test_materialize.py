"""Everything materialized through Dagster against the emulator: tables match the ground truth, every
check passes, an old log day backfills, re-materializing is idempotent."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest

from semaphore_dagster.defs.duckdb_reader import read_duckdb
from semaphore_dagster.defs.ingestion.tables import TABLES, table_key
from semaphore_dagster.defs.summary import summarize
from semaphore_dagster_tests.defs.conftest import LoadedWorld


def _truth_counts(loaded: LoadedWorld) -> dict[str, int]:
    truth = loaded.world.ground_truth()
    return {t: len(truth.get(t, [])) for t in TABLES}


def test_every_run_succeeds_and_every_check_passes(loaded: LoadedWorld) -> None:
    assert [o.success for o in loaded.outcomes] == [True] * len(loaded.outcomes), [
        o.error for o in loaded.outcomes
    ]
    materialized = {a for o in loaded.outcomes for a in o.materialized}
    assert {table_key(t).to_user_string() for t in TABLES} <= materialized
    checks = [c for o in loaded.outcomes for c in o.checks]
    assert len(checks) > 40
    assert [(c.asset, c.name) for c in checks if not c.passed] == []


def test_tables_hold_what_the_emulator_serves(loaded: LoadedWorld) -> None:
    counts, numbers = summarize(loaded.duckdb_file)
    truth = _truth_counts(loaded)
    # agents keep one snapshot per load; everything else matches the ground truth row for row count
    assert {t: c for t, c in counts.items() if t != "agents"} == {
        t: c for t, c in truth.items() if t != "agents"
    }
    assert counts["agents"] == truth["agents"]
    assert counts["job_logs"] > 0 and counts["job_log_events"] > 0
    assert "pipeline pass rate" in numbers


def test_materializations_carry_row_counts_and_table_names(loaded: LoadedWorld) -> None:
    counts, _ = summarize(loaded.duckdb_file)
    for table in ("pipelines", "jobs", "agent_types"):
        event = loaded.instance.get_latest_materialization_event(table_key(table))
        assert event is not None and event.asset_materialization is not None
        metadata = event.asset_materialization.metadata
        assert metadata["dagster/row_count"].value == counts[table]
        assert metadata["dagster/table_name"].value == f"semaphore.{table}"


def test_log_partitions_are_recorded_per_day(loaded: LoadedWorld) -> None:
    partitions = loaded.instance.get_materialized_partitions(table_key("job_logs"))
    assert {"2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01"} <= partitions


def _jobs_finished_on(loaded: LoadedWorld, day: date) -> set[str]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return {
        j["job_id"]
        for j in loaded.world.ground_truth()["jobs"]
        if j.get("state") == "FINISHED"
        and j.get("finish_time")
        and start <= j["finish_time"] < start + timedelta(days=1)
    }


@pytest.mark.usefixtures("pointed_at")
def test_backfilling_an_old_day_loads_that_day_and_is_idempotent(
    code_location: dg.Definitions, pointed_at
) -> None:
    """Tables first, then one old day: its logs arrive even though newer days were never loaded; a
    second materialization of the same day changes nothing."""
    from semaphore_dagster.defs.schedules.jobs import CI_ACTIVITY_JOB, JOB_LOGS_JOB
    from semaphore_dagster_tests.conftest import make_world

    world = make_world("tiny")
    old_day = date(2026, 10, 30)
    expected = {
        j["job_id"]
        for j in world.ground_truth()["jobs"]
        if j.get("state") == "FINISHED" and j.get("finish_time") and j["finish_time"].date() == old_day
    }
    assert expected, "the tiny world has jobs finishing on that day"
    with dg.instance_for_test() as instance:
        ci = code_location.resolve_job_def(CI_ACTIVITY_JOB).execute_in_process(instance=instance)
        assert ci.success
        logs_job = code_location.resolve_job_def(JOB_LOGS_JOB)
        first = logs_job.execute_in_process(instance=instance, partition_key=old_day.isoformat())
        assert first.success
        with read_duckdb(pointed_at) as reader:
            loaded_ids = {r[0] for r in reader.rows(f"SELECT job_id FROM {reader.q('job_logs')}")}
            events_before = reader.scalar(f"SELECT count(*) FROM {reader.q('job_log_events')}")
        assert loaded_ids == expected
        again = logs_job.execute_in_process(instance=instance, partition_key=old_day.isoformat())
        assert again.success
        with read_duckdb(pointed_at) as reader:
            assert {r[0] for r in reader.rows(f"SELECT job_id FROM {reader.q('job_logs')}")} == expected
            assert reader.scalar(f"SELECT count(*) FROM {reader.q('job_log_events')}") == events_before
        checks = again.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks)
