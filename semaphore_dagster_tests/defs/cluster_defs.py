"""The project's code location plus two jobs on the multiprocess executor (each step in its own process, as
Kubernetes' per-step pods are), for test_cluster.py. Nothing here changes the project's definitions."""

import dagster as dg

import semaphore_dagster.definitions as project
from semaphore_dagster.dagster_layer.catalog import TABLES

# The day-partitioned tables (job logs, test results) run in the partitioned job.
LOG_TABLES = tuple(t for t, info in TABLES.items() if info.partitioned)
TABLES_JOB = "cluster_tables_multiprocess"
LOGS_JOB = "cluster_job_logs_multiprocess"

_tables = dg.AssetSelection.assets(*[dg.AssetKey(["semaphore", t]) for t in TABLES if t not in LOG_TABLES])
_logs = dg.AssetSelection.assets(*[dg.AssetKey(["semaphore", t]) for t in LOG_TABLES])

defs = dg.Definitions.merge(
    project.defs,
    dg.Definitions(
        jobs=[
            # Checks left out: each would be one more step process (~2 s each on these machines).
            dg.define_asset_job(
                TABLES_JOB, selection=_tables.without_checks(), executor_def=dg.multiprocess_executor
            ),
            dg.define_asset_job(
                LOGS_JOB, selection=_logs.without_checks(), executor_def=dg.multiprocess_executor
            ),
        ]
    ),
)
