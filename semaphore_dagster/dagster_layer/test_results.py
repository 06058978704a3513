"""`semaphore/test_reports`, `semaphore/test_suites`, `semaphore/test_cases`, partitioned by UTC day of job
finish exactly like the job logs: a run covers a window of days, asks the destination which finished jobs of
the window have no test report yet (`jobs_needing_test_results`) and loads exactly those. No dlt cursor, so
backfilling an old day works and re-materializing a day loads only what is missing.
"""

from datetime import UTC, datetime, timedelta

import dagster as dg

from semaphore_dagster.dagster_layer.catalog import TEST_RESULT_TABLES
from semaphore_dagster.dagster_layer.job_logs import DayPartitionedLoad, build_day_partitioned_assets
from semaphore_dagster.dagster_layer.readers import Reader
from semaphore_dagster.dagster_layer.settings import DagsterSettings, pipeline_of_group

TEST_RESULT_SOURCE_KEYS = (
    "max_concurrency",
    "test_message_max_chars",
    "test_report_max_bytes",
    "request_timeout",
    "max_attempts",
    "max_retry_delay",
    "backoff_factor",
    "auth_scheme",
)


def _report_day_counts(reader: Reader, days: list[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Per day: report rows (completed loads) by the job's finish day."""
    out: dict[str, dict[str, dict[str, int]]] = {
        day: {"test_reports": {"report_rows_this_day": 0}} for day in days
    }
    if not days or not reader.has_table("test_reports"):
        return out
    start = datetime.fromisoformat(days[0]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(days[-1]).replace(tzinfo=UTC) + timedelta(days=1)
    reports = reader.q("test_reports", "r")
    for day, n in reader.rows(
        f"SELECT CAST(CAST(r.finish_time AS DATE) AS VARCHAR), count(*) FROM {reports} "
        "WHERE r.finish_time >= ? AND r.finish_time < ? GROUP BY 1",
        [start, end],
    ):
        if str(day) in out:
            out[str(day)]["test_reports"]["report_rows_this_day"] = int(n)
    return out


def test_results_load() -> DayPartitionedLoad:
    from semaphore_dagster.semaphore import jobs_needing_test_results, test_results_source

    return DayPartitionedLoad(
        pipeline_name=pipeline_of_group("test_results"),
        tables=TEST_RESULT_TABLES,
        description="Loads the test reports of the jobs that finished on the partition's UTC day(s).",
        what="test reports",
        jobs_needing=jobs_needing_test_results,
        source_factory=test_results_source,
        source_keys=TEST_RESULT_SOURCE_KEYS,
        day_counts=_report_day_counts,
    )


def build_test_result_assets(settings: DagsterSettings) -> dg.AssetsDefinition:
    return build_day_partitioned_assets(test_results_load(), settings)
