import dagster as dg

from semaphore_dagster.dagster_layer.job_logs import build_job_log_assets
from semaphore_dagster.dagster_layer.settings import current_settings


@dg.definitions
def defs() -> dg.Definitions:
    """The job-log tables, partitioned by the UTC day the job finished."""
    return dg.Definitions(assets=dg.with_source_code_references([build_job_log_assets(current_settings())]))
