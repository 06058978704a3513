"""Ingestion: the Semaphore tables loaded by the dlt source (every table but the job logs).

The `dlt` resource (`DagsterDltResource`) is bound once, in `semaphore_dagster.definitions`.
"""

import dagster as dg

from semaphore_dagster.defs.ingestion.assets import build_ingestion_assets
from semaphore_dagster.defs.settings import DagsterSettings


def build_defs(settings: DagsterSettings) -> dg.Definitions:
    return dg.Definitions(assets=build_ingestion_assets())
