"""Job logs are partitioned by the UTC day their job finished."""

from datetime import date

from dagster import DailyPartitionsDefinition


def job_log_partitions(start: date) -> DailyPartitionsDefinition:
    """Daily UTC partitions from `start`; `end_offset=1` makes today's (still filling) day a partition,
    so the sensor can load the logs of jobs that finished today."""
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC", end_offset=1)
