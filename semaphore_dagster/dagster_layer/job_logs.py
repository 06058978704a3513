"""`semaphore/job_logs` and `semaphore/job_log_events`, partitioned by UTC day of job finish.

A run covers a window of days (a single-run backfill covers many): it asks the destination which jobs
finished in the window and have no log row yet (`jobs_needing_logs`), then loads exactly those logs. Nothing
is a dlt cursor, so an old day loads its logs whenever it is materialized, and re-materializing a day loads
only what is still missing (idempotent; rows merge on their keys). Each day's materialization carries that
day's own figures (jobs fetched, rows in the table for that day), not the whole run's.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from semaphore_dagster.dagster_layer.catalog import LOG_TABLES, table_key
from semaphore_dagster.dagster_layer.readers import Reader
from semaphore_dagster.dagster_layer.runtime import (
    build_source,
    load,
    materializations,
    open_pipeline,
    source_kwargs,
    wait_for_lock,
)
from semaphore_dagster.dagster_layer.settings import PIPELINE_LOGS, DagsterSettings, pool_for
from semaphore_dagster.dagster_layer.translator import SemaphoreDltTranslator
from semaphore_dagster.resources import DestinationResource, SemaphoreResource

LOG_SOURCE_KEYS = (
    "log_max_bytes",
    "max_concurrency",
    "request_timeout",
    "max_attempts",
    "max_retry_delay",
    "backoff_factor",
    "auth_scheme",
)


def job_log_partitions(start: date) -> dg.DailyPartitionsDefinition:
    """Daily UTC partitions from `start`; `end_offset=1` makes today's (still filling) day a partition,
    so the sensor and the automation condition can load the logs of jobs that finished today."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC", end_offset=1)


def _day_counts(reader: Reader, days: list[str]) -> dict[str, dict[str, int]]:
    """Per day: log rows and events in the tables (completed loads), by the job's finish day."""
    out = {day: {"logs": 0, "events": 0} for day in days}
    if not days or not reader.has_table("job_logs"):
        return out
    start = datetime.fromisoformat(days[0]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(days[-1]).replace(tzinfo=UTC) + timedelta(days=1)
    logs = reader.q("job_logs", "l")
    for day, n in reader.rows(
        f"SELECT CAST(CAST(l.finish_time AS DATE) AS VARCHAR), count(*) FROM {logs} "
        "WHERE l.finish_time >= ? AND l.finish_time < ? GROUP BY 1",
        [start, end],
    ):
        if str(day) in out:
            out[str(day)]["logs"] = int(n)
    if reader.has_table("job_log_events"):
        events = reader.q("job_log_events", "e")
        for day, n in reader.rows(
            f"SELECT CAST(CAST(l.finish_time AS DATE) AS VARCHAR), count(*) FROM {events} JOIN {logs} "
            "ON e.job_id = l.job_id WHERE l.finish_time >= ? AND l.finish_time < ? GROUP BY 1",
            [start, end],
        ):
            if str(day) in out:
                out[str(day)]["events"] = int(n)
    return out


def build_job_log_assets(settings: DagsterSettings) -> dg.AssetsDefinition:
    translator = SemaphoreDltTranslator(settings)
    partitions = job_log_partitions(settings.logs_start_date)

    @dg.multi_asset(
        name=PIPELINE_LOGS,
        specs=[translator.spec_of(t).replace_attributes(partitions_def=partitions) for t in LOG_TABLES],
        can_subset=False,  # one fetch writes both tables
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=pool_for(settings.destination_kind, PIPELINE_LOGS),
        description="Loads the job logs of the jobs that finished on the partition's UTC day(s).",
    )
    def _job_logs(
        context: dg.AssetExecutionContext, semaphore: SemaphoreResource, destination: DestinationResource
    ) -> Iterator[dg.MaterializeResult]:
        from semaphore_dagster.semaphore import job_logs_source, jobs_needing_logs

        kwargs = source_kwargs(semaphore)
        pipeline = open_pipeline(destination, PIPELINE_LOGS)
        window = context.partition_time_window  # a range when backfilled in one run; never partition_key
        wait_for_lock(destination, context)  # jobs_needing_logs reads the file
        jobs = list(jobs_needing_logs(pipeline, window.start, window.end))
        context.log.info(
            f"{len(jobs)} finished job(s) without logs between {window.start.isoformat()} "
            f"and {window.end.isoformat()}"
        )
        log_kwargs = {k: v for k, v in kwargs.items() if k in ("base_url", "api_token", *LOG_SOURCE_KEYS)}
        source = build_source(job_logs_source, jobs=jobs, **log_kwargs).clone(with_name=PIPELINE_LOGS)
        info = load(context, destination, pipeline, source)
        days = list(context.partition_keys)
        fetched = {day: 0 for day in days}
        for job in jobs:
            day = job["finish_time"].astimezone(UTC).date().isoformat()
            if day in fetched:
                fetched[day] += 1
        with destination.read() as reader:
            per_day = _day_counts(reader, days)
        for day in days:
            context.add_asset_metadata(
                {"jobs_fetched_this_day": fetched[day], "log_rows_this_day": per_day[day]["logs"]},
                asset_key=table_key("job_logs"),
                partition_key=day,
            )
            context.add_asset_metadata(
                {"jobs_fetched_this_day": fetched[day], "event_rows_this_day": per_day[day]["events"]},
                asset_key=table_key("job_log_events"),
                partition_key=day,
            )
        for result in materializations(context, destination, pipeline, info, list(LOG_TABLES)):
            metadata = dict(result.metadata or {})
            metadata["jobs_fetched"] = len(jobs)  # the whole run (all its days)
            yield dg.MaterializeResult(asset_key=result.asset_key, metadata=metadata)

    return _job_logs
