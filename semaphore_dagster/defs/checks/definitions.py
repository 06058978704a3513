import dagster as dg

from semaphore_dagster.dagster_layer.checks.build import build_table_checks
from semaphore_dagster.dagster_layer.settings import current_settings


@dg.definitions
def defs() -> dg.Definitions:
    """The table checks, derived from the table contract."""
    return dg.Definitions(asset_checks=build_table_checks(current_settings()))
