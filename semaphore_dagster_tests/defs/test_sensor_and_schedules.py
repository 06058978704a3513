"""The sensor against the emulator (build_sensor_context) and the schedules' evaluation."""

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from semaphore_dagster.dagster_layer.job_watch import WatchState
from semaphore_dagster.dagster_layer.jobs import CI_ACTIVITY_JOB, JOB_LOGS_JOB
from semaphore_dagster.dagster_layer.sensor import build_new_pipelines_sensor
from semaphore_dagster.dagster_layer.settings import DagsterSettings
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.resources import SemaphoreResource
from semaphore_dagster_tests.conftest import TEST_TOKEN, holding_duckdb_lock
from semaphore_dagster_tests.defs.conftest import FIRST_DAY, SETTINGS


def _tick(
    sensor: dg.SensorDefinition,
    instance: dg.DagsterInstance,
    cursor: str | None,
    semaphore: SemaphoreResource | None = None,
):
    # The definitions resolve the partitioned job of the log run requests.
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        definitions=CODE_LOCATION,
        resources={"semaphore": semaphore or CONFIGURED["semaphore"]},
    )
    return sensor.evaluate_tick(context)


def _state(cursor: str | None) -> dict:
    state = WatchState.load(cursor)
    assert state is not None, cursor
    return asdict(state)


CONFIGURED: dict[str, SemaphoreResource] = {}


CODE_LOCATION = build_definitions(SETTINGS)


def _jobs_list_requests(server: EmulatorServer) -> int:
    return server.request_counts.get("jobs.list", 0)


@pytest.fixture
def configured(emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    CONFIGURED["semaphore"] = SemaphoreResource(base_url=emulator.base_url, api_token=TEST_TOKEN)
    yield emulator
    CONFIGURED.clear()


def test_sensor_first_tick_then_quiet_ticks_cost_at_most_three_requests(configured: EmulatorServer) -> None:
    sensor = build_new_pipelines_sensor(SETTINGS)
    with dg.instance_for_test() as instance:
        first = _tick(sensor, instance, None)
        assert [r.job_name for r in first.run_requests] == [CI_ACTIVITY_JOB]
        assert first.cursor and _state(first.cursor)["watermark"] is not None
        configured.reset_counts()
        quiet = _tick(sensor, instance, first.cursor)
        assert quiet.run_requests == [] and quiet.skip_message and "nothing to run" in quiet.skip_message
        assert sum(configured.request_counts.values()) <= 3
        assert _jobs_list_requests(configured) == sum(configured.request_counts.values())
        assert _state(quiet.cursor)["watermark"] == _state(first.cursor)["watermark"]


def test_sensor_sees_new_pipelines_then_requests_their_log_days(configured: EmulatorServer) -> None:
    sensor = build_new_pipelines_sensor(SETTINGS)
    with dg.instance_for_test() as instance:
        first = _tick(sensor, instance, None)
        configured.world.advance(timedelta(hours=3))  # new pipelines start, running ones finish
        news = _tick(sensor, instance, first.cursor)
        assert [r.job_name for r in news.run_requests] == [CI_ACTIVITY_JOB]
        assert news.run_requests[0].run_key != first.run_requests[0].run_key
        cursor = _state(news.cursor)
        assert cursor["watermark"] >= _state(first.cursor)["watermark"]
        assert cursor["covered_days"], "the days of the newly finished jobs wait for the CI run"
        logs = _tick(sensor, instance, news.cursor)  # no CI run in flight in this instance
        days = [r.partition_key for r in logs.run_requests]
        assert days == sorted(cursor["covered_days"], reverse=True)[: SETTINGS.sensor_max_runs_per_tick]
        assert all(r.job_name == JOB_LOGS_JOB and r.run_key for r in logs.run_requests)
        assert len({r.run_key for r in logs.run_requests}) == len(logs.run_requests)


def test_sensor_caps_requests_per_tick(configured: EmulatorServer) -> None:
    sensor = build_new_pipelines_sensor(
        DagsterSettings(logs_start_date=FIRST_DAY, sensor_max_runs_per_tick=1)
    )
    with dg.instance_for_test() as instance:
        cursor = _tick(sensor, instance, None).cursor
        configured.world.advance(timedelta(hours=30))  # crosses midnight: two days concerned
        cursor = _tick(sensor, instance, cursor).cursor
        waiting = sorted(_state(cursor)["covered_days"])
        assert len(waiting) >= 2
        seen_days = []
        for _ in waiting:
            result = _tick(sensor, instance, cursor)
            assert len(result.run_requests) == 1
            seen_days.append(result.run_requests[0].partition_key)
            cursor = result.cursor
        assert sorted(seen_days) == sorted(waiting)


def test_sensor_waits_for_a_ci_run_in_flight(configured: EmulatorServer) -> None:
    sensor = build_new_pipelines_sensor(SETTINGS)
    with dg.instance_for_test() as instance:
        cursor = _tick(sensor, instance, None).cursor
        instance.add_run(
            dg.DagsterRun(job_name=CI_ACTIVITY_JOB, run_id="ci-in-flight", status=dg.DagsterRunStatus.STARTED)
        )
        configured.world.advance(timedelta(hours=2))
        result = _tick(sensor, instance, cursor)
        assert result.run_requests == []
        assert _state(result.cursor)["ci_pending"] is True


def test_api_error_gives_a_skip_reason_without_the_token(configured: EmulatorServer) -> None:
    sensor = build_new_pipelines_sensor(SETTINGS)
    with dg.instance_for_test() as instance:
        first = _tick(sensor, instance, None)
        configured.revoke_token()
        result = _tick(sensor, instance, first.cursor)
        assert result.run_requests == [] and result.skip_message
        assert "Semaphore API error" in result.skip_message and TEST_TOKEN not in result.skip_message
        assert result.cursor in (None, first.cursor)  # the cursor does not move


def test_unconfigured_sensor_skips_saying_what_to_set() -> None:
    sensor = build_new_pipelines_sensor(SETTINGS)
    with dg.instance_for_test() as instance:
        result = _tick(sensor, instance, None, SemaphoreResource())
    assert result.skip_message and "SOURCES__SEMAPHORE__BASE_URL" in result.skip_message


def test_schedules_evaluate(code_location: dg.Definitions) -> None:
    schedules = {s.name: s for s in code_location.schedules or []}
    repo = code_location.get_repository_def()
    tick = datetime(2026, 11, 1, 2, 47, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        logs = schedules["semaphore_job_logs_yesterday"].evaluate_tick(
            dg.build_schedule_context(instance=instance, scheduled_execution_time=tick, repository_def=repo)
        )
        assert [r.partition_key for r in logs.run_requests] == ["2026-10-31"]
        too_early = schedules["semaphore_job_logs_yesterday"].evaluate_tick(
            dg.build_schedule_context(
                instance=instance,
                scheduled_execution_time=datetime(2026, 10, 27, 3, tzinfo=UTC),
                repository_def=repo,
            )
        )
        assert too_early.run_requests == [] and "before the first log partition" in (
            too_early.skip_message or ""
        )
        hourly = schedules["semaphore_ci_activity_hourly"].evaluate_tick(
            dg.build_schedule_context(instance=instance, scheduled_execution_time=tick, repository_def=repo)
        )
        assert len(hourly.run_requests) == 1
    assert schedules["semaphore_ci_activity_hourly"].job_name == CI_ACTIVITY_JOB
    assert schedules["semaphore_ci_activity_hourly"].cron_schedule == "7 * * * *"


def test_a_locked_duckdb_file_does_not_disturb_the_sensor(configured: EmulatorServer, tmp_path) -> None:
    db = tmp_path / "semaphore_ci.duckdb"
    with holding_duckdb_lock(db):
        sensor = build_new_pipelines_sensor(SETTINGS)
        with dg.instance_for_test() as instance:
            result = _tick(sensor, instance, None)
        assert [r.job_name for r in result.run_requests] == [CI_ACTIVITY_JOB]


def test_a_cursor_of_an_earlier_release_keeps_the_sensor_going(configured: EmulatorServer) -> None:
    sensor = build_new_pipelines_sensor(SETTINGS)
    with dg.instance_for_test() as instance:
        first = _tick(sensor, instance, None)
        old_format = json.dumps({**_state(first.cursor), "a_field_since_renamed": []})
        result = _tick(sensor, instance, old_format)
        assert result.cursor and result.cursor.startswith("v2 ")
        assert _state(result.cursor)["watermark"] == _state(first.cursor)["watermark"]
        garbage = _tick(sensor, instance, "v1:{broken")
        assert garbage.cursor and garbage.cursor.startswith("v2 ")  # starts afresh instead of failing ticks
