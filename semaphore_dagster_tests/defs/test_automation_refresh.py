"""Nobody clicks: new pipelines on Semaphore -> the sensor requests a CI-activity run -> once it has loaded,
the automation conditions ask for the insights downstream of what changed -> materialized, the insights count
the new pipelines. Then the conditions are quiet again (no refresh loop). All of it in-process: the sensor
ticked with its resources as the daemon gives them, the requested runs executed in the same instance, and
`evaluate_automation_conditions` as the automation sensor evaluates them, at the emulated world's clock."""

from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from semaphore_dagster.dagster_layer.catalog import TABLES, table_key
from semaphore_dagster.dagster_layer.jobs import CI_ACTIVITY_JOB, JOB_LOGS_JOB
from semaphore_dagster.dagster_layer.materialize_all import materialize_all
from semaphore_dagster.dagster_layer.sensor import build_new_pipelines_sensor
from semaphore_dagster.defs.insights.report import REPORT_KEY
from semaphore_dagster.defs.insights.translator import insight_key
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.conftest import FIRST_DAY, LAST_DAY, SETTINGS, defs_for, semaphore_for

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
VALID_DONE = (
    "SELECT count(*) FROM semaphore.pipelines WHERE state = 'DONE' AND coalesce(result, '') <> 'CANCELED'"
    " AND coalesce(result_reason, '') <> 'MALFORMED' AND running_at IS NOT NULL AND done_at IS NOT NULL"
)


def _count(duckdb_file: Path, sql: str) -> int:
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def _requested(result) -> set[dg.AssetKey]:
    return {key for key in result._requested_partitions_by_asset_key if result.get_num_requested(key)}


@pytest.mark.slow
def test_new_pipelines_refresh_the_insights_without_a_click(tmp_path: Path) -> None:
    world = make_world("tiny")
    duckdb_file = tmp_path / "semaphore_ci.duckdb"
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        defs = defs_for(server, duckdb_file, tmp_path / "dlt")
        sensor = build_new_pipelines_sensor(SETTINGS)
        with dg.instance_for_test() as instance:
            outcomes = materialize_all(defs, instance, FIRST_DAY, LAST_DAY, log_level="WARNING")
            assert all(o.success for o in outcomes), [o.error for o in outcomes if not o.success]
            runs_before = _count(
                duckdb_file, "SELECT count(*) FROM semaphore_insights.semaphore_pipeline_runs"
            )

            def tick(cursor):
                context = dg.build_sensor_context(
                    instance=instance,
                    cursor=cursor,
                    definitions=defs,
                    resources={"semaphore": semaphore_for(server)},
                )
                return sensor.evaluate_tick(context)

            # Everything is current: the sensor sets its watermark, the conditions ask for nothing downstream.
            watch = tick(None)
            for request in watch.run_requests:  # the first tick's catch-up run, as the daemon would launch it
                defs.resolve_job_def(request.job_name).execute_in_process(
                    instance=instance, tags=request.tags, run_config=QUIET
                )
            automation = dg.evaluate_automation_conditions(defs, instance, evaluation_time=world.now())
            automation = dg.evaluate_automation_conditions(
                defs, instance, evaluation_time=world.now(), cursor=automation.cursor
            )
            assert insight_key("semaphore_pipeline_runs") not in _requested(automation)

            world.advance(timedelta(hours=3))  # new pipelines start, running ones finish
            news = tick(watch.cursor)
            assert [r.job_name for r in news.run_requests] == [CI_ACTIVITY_JOB]
            ci = defs.resolve_job_def(CI_ACTIVITY_JOB).execute_in_process(
                instance=instance, tags=news.run_requests[0].tags, run_config=QUIET
            )
            assert ci.success
            assert _count(duckdb_file, VALID_DONE) > runs_before, (
                "the advanced world has new finished pipelines"
            )

            automation = dg.evaluate_automation_conditions(
                defs, instance, evaluation_time=world.now(), cursor=automation.cursor
            )
            requested = _requested(automation)
            # What depends on the CI tables is asked for, the report included, and today's partition of the
            # day tables (logs, test results of the jobs just loaded); no unpartitioned source table, and not
            # what reads only tables that did not change (agent types come from the daily load).
            assert {insight_key("semaphore_pipeline_runs"), REPORT_KEY} <= requested, sorted(
                map(str, requested)
            )
            days = {k for k in requested if k.path[0] == "semaphore"}
            assert days == {table_key(t) for t, info in TABLES.items() if info.partitioned}
            today = world.now().date().isoformat()
            assert {k: automation.get_requested_partitions(k) for k in days} == dict.fromkeys(days, {today})
            assert dg.AssetKey(["semaphore_insights_staging", "stg_agent_types"]) not in requested

            # The runs the automation sensor launches: today's day partition, then the insights.
            assert (
                defs.resolve_job_def(JOB_LOGS_JOB)
                .execute_in_process(instance=instance, partition_key=today, run_config=QUIET)
                .success
            )
            refresh = defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=instance, asset_selection=sorted(requested - days), run_config=QUIET
            )
            assert refresh.success
            assert _count(duckdb_file, "SELECT count(*) FROM semaphore_insights.semaphore_pipeline_runs") == (
                _count(duckdb_file, VALID_DONE)
            )

            # Refreshed once: the next evaluation is quiet.
            after = dg.evaluate_automation_conditions(
                defs, instance, evaluation_time=world.now(), cursor=automation.cursor
            )
            again = _requested(after)
            assert not (again & requested), sorted(map(str, again & requested))
