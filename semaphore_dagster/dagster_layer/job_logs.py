"""`semaphore/job_logs` and `semaphore/job_log_events`, partitioned by UTC day of job finish.

A run covers a window of days (a single-run backfill covers many): it asks the destination which jobs
finished in the window and have no log row yet (`jobs_needing_logs`), then loads exactly those logs. Nothing
is a dlt cursor, so an old day loads its logs whenever it is materialized, and re-materializing a day loads
only what is still missing (idempotent; rows merge on their keys). Each day's materialization carries that
day's own figures (jobs fetched, rows in the table for that day), not the whole run's.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

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


@dataclass(frozen=True)
class DayPartitionedLoad:
    """What a day-partitioned load is: its dlt pipeline, its tables, which jobs of a window still need
    loading, the source that loads them, and the per-day row counts shown on each day's materialization."""

    pipeline_name: str
    tables: tuple[str, ...]
    description: str
    what: str  # "logs", "test reports": for the run log
    jobs_needing: Callable[[Any, datetime, datetime], list[dict[str, Any]]]
    source_factory: Callable[..., Any]
    source_keys: tuple[str, ...]
    day_counts: Callable[[Reader, list[str]], dict[str, dict[str, int]]]


def build_day_partitioned_assets(
    load_def: DayPartitionedLoad, settings: DagsterSettings
) -> dg.AssetsDefinition:
    """One multi-asset for `load_def.tables`, partitioned by UTC day of job finish (single-run backfills)."""
    translator = SemaphoreDltTranslator(settings)
    partitions = job_log_partitions(settings.logs_start_date)
    pipeline_name = load_def.pipeline_name

    @dg.multi_asset(
        name=pipeline_name,
        specs=[translator.spec_of(t).replace_attributes(partitions_def=partitions) for t in load_def.tables],
        can_subset=False,  # one fetch writes all the tables
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=pool_for(settings.destination_kind, pipeline_name),
        description=load_def.description,
    )
    def _day_assets(
        context: dg.AssetExecutionContext, semaphore: SemaphoreResource, destination: DestinationResource
    ) -> Iterator[dg.MaterializeResult]:
        kwargs = source_kwargs(semaphore)
        pipeline = open_pipeline(destination, pipeline_name)
        window = context.partition_time_window  # a range when backfilled in one run; never partition_key
        wait_for_lock(destination, context)  # the jobs still needing a load are read from the destination
        jobs = list(load_def.jobs_needing(pipeline, window.start, window.end))
        context.log.info(
            f"{len(jobs)} finished job(s) without {load_def.what} between {window.start.isoformat()} "
            f"and {window.end.isoformat()}"
        )
        source_kwargs_ = {
            k: v for k, v in kwargs.items() if k in ("base_url", "api_token", *load_def.source_keys)
        }
        source = build_source(load_def.source_factory, jobs=jobs, **source_kwargs_).clone(
            with_name=pipeline_name
        )
        info = load(context, destination, pipeline, source)
        days = list(context.partition_keys)
        fetched = dict.fromkeys(days, 0)
        for job in jobs:
            day = job["finish_time"].astimezone(UTC).date().isoformat()
            if day in fetched:
                fetched[day] += 1
        with destination.read() as reader:
            per_day = load_def.day_counts(reader, days)
        for day in days:
            for table in load_def.tables:
                context.add_asset_metadata(
                    {"jobs_fetched_this_day": fetched[day], **per_day.get(day, {}).get(table, {})},
                    asset_key=table_key(table),
                    partition_key=day,
                )
        for result in materializations(context, destination, pipeline, info, list(load_def.tables)):
            metadata = dict(result.metadata or {})
            metadata["jobs_fetched"] = len(jobs)  # the whole run (all its days)
            yield dg.MaterializeResult(asset_key=result.asset_key, metadata=metadata)

    return _day_assets


def _log_day_counts(reader: Reader, days: list[str]) -> dict[str, dict[str, dict[str, int]]]:
    counts = _day_counts(reader, days)
    return {
        day: {
            "job_logs": {"log_rows_this_day": c["logs"]},
            "job_log_events": {"event_rows_this_day": c["events"]},
        }
        for day, c in counts.items()
    }


def job_logs_load() -> DayPartitionedLoad:
    from semaphore_dagster.semaphore import job_logs_source, jobs_needing_logs

    return DayPartitionedLoad(
        pipeline_name=PIPELINE_LOGS,
        tables=tuple(LOG_TABLES),
        description="Loads the job logs of the jobs that finished on the partition's UTC day(s).",
        what="logs",
        jobs_needing=lambda pipeline, start, end: list(jobs_needing_logs(pipeline, start, end)),
        source_factory=job_logs_source,
        source_keys=LOG_SOURCE_KEYS,
        day_counts=_log_day_counts,
    )


def build_job_log_assets(settings: DagsterSettings) -> dg.AssetsDefinition:
    return build_day_partitioned_assets(job_logs_load(), settings)
