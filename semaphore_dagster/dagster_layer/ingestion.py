"""The unpartitioned Semaphore tables: one multi-asset (and dlt pipeline) per group of the table contract.

The CI group (workflows, pipelines, blocks, jobs, promotions) shares one planner and one dlt state in the
source, so its multi-asset is not subsettable: the UI shows its tables run together, and no selection can
advance the shared state for some of them only. Every other group's tables keep their own dlt resource
state, so those multi-assets can be subset (one table alone, then the rest, ends complete).
"""

from collections.abc import Iterator

import dagster as dg

from semaphore_dagster.dagster_layer.catalog import (
    SHARED_STATE_GROUPS,
    TABLES,
    group_pipelines,
    table_key,
    tables_of_pipeline,
)
from semaphore_dagster.dagster_layer.runtime import build_source, run_tables, source_kwargs
from semaphore_dagster.dagster_layer.settings import DagsterSettings, pool_for
from semaphore_dagster.dagster_layer.translator import SemaphoreDltTranslator
from semaphore_dagster.resources import DestinationResource, SemaphoreResource


def build_group_assets(pipeline_name: str, settings: DagsterSettings) -> dg.AssetsDefinition:
    """One multi-asset for the tables that `pipeline_name` loads."""
    tables = tables_of_pipeline(pipeline_name)
    group = TABLES[tables[0]].group
    translator = SemaphoreDltTranslator(settings)
    shared = group in SHARED_STATE_GROUPS

    @dg.multi_asset(
        name=pipeline_name,
        specs=[translator.spec_of(t) for t in tables],
        can_subset=not shared,
        pool=pool_for(settings.destination_kind, pipeline_name),
        description=(
            f"Loads {', '.join(tables)} with dlt pipeline {pipeline_name}"
            + (" (together: they share one state in the source)." if shared else ".")
        ),
    )
    def _assets(
        context: dg.AssetExecutionContext, semaphore: SemaphoreResource, destination: DestinationResource
    ) -> Iterator[dg.MaterializeResult]:
        from semaphore_dagster.semaphore import semaphore_source

        selected = [t for t in tables if table_key(t) in context.selected_asset_keys]
        # Logs and test results are loaded per day partition (defs/job_logs, defs/test_results).
        source = build_source(
            semaphore_source, **source_kwargs(semaphore), include_logs=False, include_test_results=False
        )
        # Its own dlt schema name per pipeline: every group loads into the one dataset, and one shared
        # schema name would make `_dlt_version` flip between the groups' table subsets.
        source = source.with_resources(*selected).clone(with_name=pipeline_name)
        yield from run_tables(context, destination, source, pipeline_name, selected)

    return _assets


def build_ingestion_assets(settings: DagsterSettings) -> list[dg.AssetsDefinition]:
    return [build_group_assets(name, settings) for name in group_pipelines()]
