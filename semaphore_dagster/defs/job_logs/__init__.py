"""Job logs: the day-partitioned `semaphore/job_logs` and `semaphore/job_log_events`."""

import dagster as dg

from semaphore_dagster.defs.job_logs.assets import build_job_log_assets
from semaphore_dagster.defs.settings import DagsterSettings


def build_defs(settings: DagsterSettings) -> dg.Definitions:
    return dg.Definitions(assets=[build_job_log_assets(settings.logs_start_date)])
