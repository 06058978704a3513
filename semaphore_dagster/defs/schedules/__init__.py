"""Schedules: hourly CI activity, daily slowly-changing entities, daily logs of yesterday.

They start STOPPED unless `SEMAPHORE_DAGSTER_AUTOMATION=on` (the demo's `--ui` sets it): nothing calls the
Semaphore API until someone turns them on.
"""

from datetime import timedelta

import dagster as dg

from semaphore_dagster.defs.schedules.jobs import JOBS, ci_activity_job, job_logs_job, slowly_changing_job
from semaphore_dagster.defs.settings import DagsterSettings


def default_status(settings: DagsterSettings) -> dg.DefaultScheduleStatus:
    return dg.DefaultScheduleStatus.RUNNING if settings.automation_on else dg.DefaultScheduleStatus.STOPPED


def yesterdays_log_partition(settings: DagsterSettings):
    """The UTC day before the tick: complete by now (jobs finished, logs frozen)."""

    def _evaluate(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        day = (context.scheduled_execution_time - timedelta(days=1)).date()
        if day < settings.logs_start_date:
            return dg.SkipReason(f"{day} is before the first log partition ({settings.logs_start_date})")
        return dg.RunRequest(run_key=f"job-logs-{day.isoformat()}", partition_key=day.isoformat())

    return _evaluate


def build_defs(settings: DagsterSettings) -> dg.Definitions:
    status = default_status(settings)
    schedules = [
        dg.ScheduleDefinition(
            name="semaphore_ci_activity_hourly",
            job=ci_activity_job,
            cron_schedule="7 * * * *",
            execution_timezone="UTC",
            default_status=status,
        ),
        dg.ScheduleDefinition(
            name="semaphore_slowly_changing_daily",
            job=slowly_changing_job,
            cron_schedule="23 2 * * *",
            execution_timezone="UTC",
            default_status=status,
        ),
        dg.ScheduleDefinition(
            name="semaphore_job_logs_yesterday",
            job=job_logs_job,
            cron_schedule="47 2 * * *",
            execution_timezone="UTC",
            default_status=status,
            execution_fn=yesterdays_log_partition(settings),
        ),
    ]
    return dg.Definitions(jobs=JOBS, schedules=schedules)
