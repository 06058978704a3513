import dagster as dg

from semaphore_dagster.dagster_layer.settings import current_settings
from semaphore_dagster.dagster_layer.test_results import build_test_result_assets


@dg.definitions
def defs() -> dg.Definitions:
    """The test-result tables, partitioned by the UTC day the job finished."""
    return dg.Definitions(
        assets=dg.with_source_code_references([build_test_result_assets(current_settings())])
    )
