"""Everything materialized through Dagster against the emulator: tables match the ground truth, every
check passes, an old log day backfills, re-materializing is idempotent."""

from datetime import date

import dagster as dg
import duckdb
from dagster_shared.serdes import serialize_value

from semaphore_dagster.dagster_layer.catalog import TABLES, table_key
from semaphore_dagster.dagster_layer.readers import read_duckdb
from semaphore_dagster.dagster_layer.summary import summarize
from semaphore_dagster_tests.conftest import TEST_TOKEN
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


def test_backfilling_an_old_day_loads_that_day_and_is_idempotent(
    copy_defs: dg.Definitions, loaded: LoadedWorld, loaded_copy
) -> None:
    """With every later day loaded, an old day whose logs are missing loads them again (no cursor
    crossing partitions); a second materialization of the same day changes nothing."""
    from semaphore_dagster.dagster_layer.jobs import JOB_LOGS_JOB

    old_day = date(2026, 10, 30)
    expected = {
        j["job_id"]
        for j in loaded.world.ground_truth()["jobs"]
        if j.get("state") == "FINISHED" and j.get("finish_time") and j["finish_time"].date() == old_day
    }
    assert expected, "the tiny world has jobs finishing on that day"
    con = duckdb.connect(str(loaded_copy))
    try:
        ids = ", ".join(f"'{i}'" for i in expected)
        con.execute(f"DELETE FROM semaphore.job_log_events WHERE job_id IN ({ids})")
        con.execute(f"DELETE FROM semaphore.job_logs WHERE job_id IN ({ids})")
        all_logs = con.execute("SELECT count(*) FROM semaphore.job_logs").fetchall()[0][0]
    finally:
        con.close()
    logs_job = copy_defs.resolve_job_def(JOB_LOGS_JOB)
    with dg.instance_for_test() as instance:
        first = logs_job.execute_in_process(instance=instance, partition_key=old_day.isoformat())
        assert first.success
        with read_duckdb(loaded_copy) as reader:
            day_ids = {
                r[0]
                for r in reader.rows(
                    f"SELECT job_id FROM {reader.q('job_logs')} WHERE finish_time::DATE = ?", [old_day]
                )
            }
            counts = (
                reader.scalar(f"SELECT count(*) FROM {reader.q('job_logs')}"),
                reader.scalar(f"SELECT count(*) FROM {reader.q('job_log_events')}"),
            )
        assert day_ids == expected
        assert counts[0] == all_logs + len(expected)
        metadata = first.get_asset_materialization_events()[0].materialization.metadata
        assert metadata["jobs_fetched"].value == len(expected)
        again = logs_job.execute_in_process(instance=instance, partition_key=old_day.isoformat())
        assert again.success
        assert again.get_asset_materialization_events()[0].materialization.metadata["jobs_fetched"].value == 0
        with read_duckdb(loaded_copy) as reader:
            assert (
                reader.scalar(f"SELECT count(*) FROM {reader.q('job_logs')}"),
                reader.scalar(f"SELECT count(*) FROM {reader.q('job_log_events')}"),
            ) == counts
        checks = again.get_asset_check_evaluations()
        assert checks and all(c.passed for c in checks)


def test_the_token_appears_in_no_dagster_event_and_not_in_the_database(loaded: LoadedWorld) -> None:
    runs = loaded.instance.get_runs()
    assert len(runs) >= 3
    for run in runs:
        for entry in loaded.instance.all_logs(run.run_id):
            assert TEST_TOKEN not in serialize_value(entry)
    assert TEST_TOKEN.encode() not in loaded.duckdb_file.read_bytes()
