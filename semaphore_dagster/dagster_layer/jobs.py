"""The asset jobs the schedules and the sensor launch (each includes its assets' checks)."""

import dagster as dg

from semaphore_dagster.dagster_layer.catalog import (
    TABLES,
    ci_activity_tables,
    slowly_changing_tables,
    table_key,
)

CI_ACTIVITY_JOB = "semaphore_ci_activity"
SLOWLY_CHANGING_JOB = "semaphore_slowly_changing"
JOB_LOGS_JOB = "semaphore_job_logs"


def _keys(tables: list[str]) -> dg.AssetSelection:
    return dg.AssetSelection.assets(*[table_key(t) for t in tables])


# projects rides along hourly so a new project is loaded before its workflows (blocking reference check).
ci_activity_job = dg.define_asset_job(
    CI_ACTIVITY_JOB,
    selection=_keys(["projects", *ci_activity_tables()]),
    description="Projects, workflows, pipelines, blocks, jobs and promotions (incremental).",
)
slowly_changing_job = dg.define_asset_job(
    SLOWLY_CHANGING_JOB,
    selection=_keys(slowly_changing_tables()),
    description="Projects, agents, agent types, deployment targets and history, retention policies, schedules.",
)
# Every day-partitioned table (job logs, test results): the sensor's day requests and the yesterday schedule
# complete them all, not only the latest partition the automation condition keeps current.
job_logs_job = dg.define_asset_job(
    JOB_LOGS_JOB,
    selection=_keys([t.name for t in TABLES.values() if t.partitioned]),
    description="Job logs and test results of the jobs that finished on the partition's UTC day(s).",
)

JOBS = [ci_activity_job, slowly_changing_job, job_logs_job]
