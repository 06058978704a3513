"""Sensors: `semaphore_new_pipelines` (the freshness-check sensor lives with the checks)."""

import dagster as dg

from semaphore_dagster.defs.sensors.new_pipelines import build_new_pipelines_sensor
from semaphore_dagster.defs.settings import DagsterSettings


def build_defs(settings: DagsterSettings) -> dg.Definitions:
    return dg.Definitions(sensors=[build_new_pipelines_sensor(settings)])
