"""The schedules that remain next to the automation conditions (docs/dagster.md says why each remains).

- `semaphore_ci_activity_hourly`: the API cannot notify Dagster, and the sensor only notices jobs; an hourly
  load also catches what the sensor cannot see (a pipeline stopped before any job, edited promotions).
- `semaphore_slowly_changing_daily`: projects, agents, deployment targets and history, policies, schedules
  change without any event Dagster could observe.
- `semaphore_job_logs_yesterday`: completes yesterday's partition once every job of the day has finished
  (the automation condition keeps only the latest partition, today's, current).

They start STOPPED unless `SEMAPHORE_DAGSTER_AUTOMATION=on`: nothing calls the API until someone turns them on.
"""

from datetime import timedelta

import dagster as dg

from semaphore_dagster.dagster_layer.jobs import ci_activity_job, job_logs_job, slowly_changing_job
from semaphore_dagster.dagster_layer.settings import DagsterSettings


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


def build_schedules(settings: DagsterSettings) -> list[dg.ScheduleDefinition]:
    status = default_status(settings)
    return [
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


AUTOMATION_SENSOR = "default_automation_condition_sensor"


def build_automation_sensor(settings: DagsterSettings) -> dg.AutomationConditionSensorDefinition:
    """Evaluates the assets' automation conditions (today's log partition after each jobs load; the
    insights after their upstream tables change). RUNNING when automation is on."""
    return dg.AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING
        if settings.automation_on
        else dg.DefaultSensorStatus.STOPPED,
        minimum_interval_seconds=30,
        description="Materializes what the assets' automation conditions ask for.",
    )
