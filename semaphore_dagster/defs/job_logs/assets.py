"""`semaphore/job_logs` and `semaphore/job_log_events`, partitioned by UTC day of job finish.

A run covers a window of days (a single-run backfill covers many): it asks the source which jobs finished
in the window and have no log row yet (`jobs_needing_logs`), then loads exactly those logs. Nothing is a
dlt cursor, so an old day loads its logs whenever it is materialized, and re-materializing a day loads only
what is still missing (idempotent; rows merge on their keys).
"""

from collections.abc import Iterator
from datetime import date

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult
from dagster_dlt import DagsterDltResource, dlt_assets

from semaphore_dagster.defs.ingestion.runtime import (
    build_source,
    connection_kwargs,
    placeholder_connection,
    placeholder_pipeline,
    real_pipeline,
    require_connection,
    run_dlt,
)
from semaphore_dagster.defs.ingestion.translator import SemaphoreDltTranslator
from semaphore_dagster.defs.job_logs.partitions import job_log_partitions
from semaphore_dagster.defs.settings import DUCKDB_POOL, PIPELINE_LOGS


def _placeholder_source():
    from semaphore_dagster.semaphore import job_logs_source

    return job_logs_source(jobs=[], **placeholder_connection()).clone(with_name=PIPELINE_LOGS)


def build_job_log_assets(start: date) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=_placeholder_source(),
        dlt_pipeline=placeholder_pipeline(PIPELINE_LOGS),
        name=PIPELINE_LOGS,
        dagster_dlt_translator=SemaphoreDltTranslator(),
        partitions_def=job_log_partitions(start),
        pool=DUCKDB_POOL,
    )
    def _job_logs(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[MaterializeResult]:
        from semaphore_dagster.semaphore import job_logs_source, jobs_needing_logs

        connection = require_connection()
        pipeline = real_pipeline(PIPELINE_LOGS)
        window = context.partition_time_window  # a range when backfilled in one run; never partition_key
        jobs = list(jobs_needing_logs(pipeline, window.start, window.end))
        context.log.info(
            f"{len(jobs)} finished job(s) without logs between {window.start.isoformat()} "
            f"and {window.end.isoformat()}"
        )
        source = build_source(job_logs_source, jobs=jobs, **connection_kwargs(connection)).clone(
            with_name=PIPELINE_LOGS  # its own dlt schema name: see defs/ingestion/assets.py `_source`
        )
        for result in run_dlt(context, dlt, source, pipeline):
            metadata = dict(result.metadata or {})
            metadata["jobs_fetched"] = len(jobs)
            yield MaterializeResult(asset_key=result.asset_key, metadata=metadata)

    return _job_logs
