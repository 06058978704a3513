"""Sensor `semaphore_new_pipelines`: loads CI activity and the days' job logs when pipelines start or
finish. It only talks to the Semaphore API (never to the destination), so a load holding the DuckDB lock
cannot make a tick fail; API errors become a `SkipReason` that never contains the token."""

from datetime import UTC, datetime

import dagster as dg

from semaphore_dagster.dagster_layer.job_watch import WatchState, observe, plan
from semaphore_dagster.dagster_layer.jobs import CI_ACTIVITY_JOB, ci_activity_job, job_logs_job
from semaphore_dagster.dagster_layer.settings import DagsterSettings
from semaphore_dagster.resources.semaphore import NotConfiguredError, SemaphoreResource

SENSOR_NAME = "semaphore_new_pipelines"

_IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def _ci_run_in_flight(instance: dg.DagsterInstance) -> bool:
    records = instance.get_run_records(dg.RunsFilter(job_name=CI_ACTIVITY_JOB, statuses=_IN_FLIGHT), limit=1)
    return bool(records)


def _safe(message: str, secret: str) -> str:
    """Defence in depth: the source's errors are token-free, but never echo the token anyway."""
    first_line = (message.splitlines() or [""])[0]
    return first_line.replace(secret, "***") if secret else first_line


def build_new_pipelines_sensor(settings: DagsterSettings) -> dg.SensorDefinition:
    @dg.sensor(
        name=SENSOR_NAME,
        jobs=[ci_activity_job, job_logs_job],
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING
        if settings.automation_on
        else dg.DefaultSensorStatus.STOPPED,
        description=(
            "Notices new and newly finished pipelines through the org-wide Jobs list and requests a "
            "CI-activity run, then the job-log partitions of the days concerned."
        ),
    )
    def _sensor(
        context: dg.SensorEvaluationContext, semaphore: SemaphoreResource
    ) -> dg.SensorResult | dg.SkipReason:
        try:
            api = semaphore.api()
        except NotConfiguredError as exc:
            return dg.SkipReason(str(exc))
        token = semaphore.resolved_token() or ""
        state = WatchState.load(context.cursor)
        if context.cursor and state is None:
            context.log.info(
                "the sensor cursor is from another version: starting afresh (one catch-up CI run)"
            )
        try:
            seen = observe(api, state)
        except Exception as exc:  # any API failure skips the tick; the cursor stays where it was
            return dg.SkipReason(
                f"Semaphore API error, will retry next tick: {type(exc).__name__}: {_safe(str(exc), token)}"
            )
        now = datetime.now(UTC)
        decided = plan(
            state,
            seen,
            now,
            ci_in_flight=_ci_run_in_flight(context.instance),
            max_runs=settings.sensor_max_runs_per_tick,
            first_day=settings.logs_start_date,
        )
        requests = []
        if decided.ci_run_key:
            requests.append(dg.RunRequest(run_key=decided.ci_run_key, job_name=ci_activity_job.name))
        today = now.date().isoformat()
        for day, run_key in decided.log_days:
            if settings.automation_on and day == today:
                continue  # today's partition follows every jobs load through its automation condition
            requests.append(dg.RunRequest(run_key=run_key, job_name=job_logs_job.name, partition_key=day))
        cursor = decided.state.dump()
        if not requests:
            return dg.SensorResult(
                skip_reason=dg.SkipReason(f"nothing to run: {decided.reason}"), cursor=cursor
            )
        context.log.info(decided.reason)
        return dg.SensorResult(run_requests=requests, cursor=cursor)

    return _sensor
