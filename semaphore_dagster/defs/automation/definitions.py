import dagster as dg

from semaphore_dagster.dagster_layer.jobs import JOBS
from semaphore_dagster.dagster_layer.schedules import build_automation_sensor, build_schedules
from semaphore_dagster.dagster_layer.sensor import build_new_pipelines_sensor
from semaphore_dagster.dagster_layer.settings import current_settings


@dg.definitions
def defs() -> dg.Definitions:
    """Jobs, schedules and sensors; they start RUNNING only with SEMAPHORE_DAGSTER_AUTOMATION=on."""
    settings = current_settings()
    return dg.Definitions(
        jobs=JOBS,
        schedules=build_schedules(settings),
        sensors=[build_new_pipelines_sensor(settings), build_automation_sensor(settings)],
    )
