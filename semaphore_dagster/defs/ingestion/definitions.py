import dagster as dg

from semaphore_dagster.dagster_layer.ingestion import build_ingestion_assets
from semaphore_dagster.dagster_layer.settings import current_settings


@dg.definitions
def defs() -> dg.Definitions:
    """Every unpartitioned table of the contract (`semaphore_dagster/semaphore/endpoints.py`)."""
    return dg.Definitions(assets=dg.with_source_code_references(build_ingestion_assets(current_settings())))
