"""The unpartitioned Semaphore tables as `@dlt_assets`, one multi-asset (and dlt pipeline) per group.

Each decorator gets a source built with placeholder connection values (import must work with nothing
configured); the body builds the real source from dlt config. Every writer is in the `duckdb` pool.
"""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult
from dagster_dlt import DagsterDltResource, dlt_assets

from semaphore_dagster.defs.ingestion.runtime import (
    build_source,
    connection_kwargs,
    placeholder_connection,
    placeholder_pipeline,
    real_pipeline,
    require_connection,
    run_dlt,
)
from semaphore_dagster.defs.ingestion.tables import tables_of_pipeline
from semaphore_dagster.defs.ingestion.translator import SemaphoreDltTranslator
from semaphore_dagster.defs.settings import (
    DUCKDB_POOL,
    PIPELINE_CI,
    PIPELINE_DEPLOYMENTS,
    PIPELINE_FLEET,
    PIPELINE_ORG,
)


def _source(connection: dict[str, str], tables: list[str], pipeline_name: str):
    """The source restricted to `tables`, with its dlt schema named after the pipeline.

    Every group loads into the one dataset `semaphore`; were all their schemas named `semaphore`, dlt would
    keep one schema name with a different table subset per pipeline in `_dlt_version`, and
    `pipeline.dataset()` (and dlt's schema restore) would see whichever group loaded last.
    """
    from semaphore_dagster.semaphore import semaphore_source

    source = build_source(semaphore_source, **connection, include_logs=False).with_resources(*tables)
    return source.clone(with_name=pipeline_name)


def build_group_assets(pipeline_name: str) -> AssetsDefinition:
    """One `@dlt_assets` multi-asset for the tables that `pipeline_name` loads."""
    tables = tables_of_pipeline(pipeline_name)

    @dlt_assets(
        dlt_source=_source(placeholder_connection(), tables, pipeline_name),
        dlt_pipeline=placeholder_pipeline(pipeline_name),
        name=pipeline_name,
        dagster_dlt_translator=SemaphoreDltTranslator(),
        pool=DUCKDB_POOL,
    )
    def _assets(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[MaterializeResult]:
        connection = require_connection()
        source = _source(connection_kwargs(connection), tables, pipeline_name)
        yield from run_dlt(context, dlt, source, real_pipeline(pipeline_name))

    return _assets


def build_ingestion_assets() -> list[AssetsDefinition]:
    return [
        build_group_assets(name) for name in (PIPELINE_ORG, PIPELINE_CI, PIPELINE_FLEET, PIPELINE_DEPLOYMENTS)
    ]
