"""A short text summary of the loaded dataset: tables and row counts, a few headline CI numbers (completed
loads only; DuckDB or PostgreSQL)."""

from pathlib import Path

from semaphore_dagster.dagster_layer.catalog import TABLES
from semaphore_dagster.dagster_layer.readers import Reader
from semaphore_dagster.resources import DestinationResource


def table_counts(reader: Reader) -> dict[str, int]:
    return {
        t: int(reader.scalar(f"SELECT count(*) FROM {reader.q(t)}")) if reader.has_table(t) else 0
        for t in TABLES
    }


def headline_numbers(reader: Reader) -> dict[str, str]:
    """Pipelines finished, pass rate, median duration, failed jobs, logs fetched."""
    numbers: dict[str, str] = {}
    if reader.has_table("pipelines"):
        done, passed, median_s = reader.rows(
            f"""SELECT count(*) FILTER (WHERE state = 'DONE'),
                       count(*) FILTER (WHERE state = 'DONE' AND result = 'PASSED'),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM done_at - created_at))
                         FILTER (WHERE state = 'DONE')
                FROM {reader.q("pipelines")}"""
        )[0]
        numbers["pipelines finished"] = str(done)
        if done:
            numbers["pipeline pass rate"] = f"{100 * passed / done:.1f}%"
        if median_s is not None:
            numbers["median pipeline duration"] = f"{median_s / 60:.1f} min"
    if reader.has_table("jobs"):
        failed = reader.scalar(f"SELECT count(*) FROM {reader.q('jobs')} WHERE result = 'FAILED'")
        numbers["failed jobs"] = str(failed)
    if reader.has_table("job_logs"):
        ok, events = reader.rows(
            f"SELECT count(*) FILTER (WHERE outcome = 'OK'), coalesce(sum(stored_event_count), 0) "
            f"FROM {reader.q('job_logs')}"
        )[0]
        numbers["job logs fetched"] = f"{ok} ({events} events)"
    return numbers


def summarize(where: Path | DestinationResource) -> tuple[dict[str, int], dict[str, str]]:
    """Counts and headlines of a DuckDB file (a path) or of any destination."""
    destination = (
        where if isinstance(where, DestinationResource) else DestinationResource(duckdb_path=str(where))
    )
    with destination.read() as reader:
        return table_counts(reader), headline_numbers(reader)
