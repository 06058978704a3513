"""`semaphore/test_reports`, `semaphore/test_suites`, `semaphore/test_cases`, partitioned by UTC day of job
finish, exactly like the job logs (defs/job_logs/): a run covers a window of days, asks the destination which
finished jobs of the window have no test report yet (`jobs_needing_test_results`) and loads exactly those.
No dlt cursor, so backfilling an old day works and re-materializing a day loads only what is missing.

Asset specs come from the table contract (`semaphore/endpoints.py`: description, group, the table each depends
on), so this folder needs no entry in the ingestion catalog.
"""

from collections.abc import Iterator
from datetime import date

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec, MaterializeResult
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from semaphore_dagster.defs.ingestion.runtime import (
    build_source,
    connection_kwargs,
    placeholder_connection,
    placeholder_pipeline,
    real_pipeline,
    require_connection,
    run_dlt,
)
from semaphore_dagster.defs.job_logs.partitions import job_log_partitions
from semaphore_dagster.defs.settings import DATASET_NAME, DUCKDB_POOL

PIPELINE_TEST_RESULTS = "semaphore_test_results"
UPSTREAM = {"test_reports": "jobs", "test_suites": "test_reports", "test_cases": "test_suites"}


class TestResultsTranslator(DagsterDltTranslator):
    """Keys `semaphore/<table>`, group and description from the table contract, deps along the data."""

    __test__ = False  # not a pytest class

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        from semaphore_dagster.semaphore.endpoints import TABLES

        name = data.resource.name
        spec = TABLES[name]
        return AssetSpec(
            key=AssetKey(["semaphore", name]),
            deps=[AssetKey(["semaphore", UPSTREAM[name]])],
            description=spec.description,
            group_name=spec.group,
            kinds={"dlt", "duckdb"},
            metadata={"dagster/table_name": f"{DATASET_NAME}.{name}", "dlt_pipeline": PIPELINE_TEST_RESULTS},
        )


def _placeholder_source():
    from semaphore_dagster.semaphore import test_results_source

    return test_results_source(jobs=[], **placeholder_connection()).clone(with_name=PIPELINE_TEST_RESULTS)


def build_test_result_assets(start: date) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=_placeholder_source(),
        dlt_pipeline=placeholder_pipeline(PIPELINE_TEST_RESULTS),
        name=PIPELINE_TEST_RESULTS,
        dagster_dlt_translator=TestResultsTranslator(),
        partitions_def=job_log_partitions(start),
        pool=DUCKDB_POOL,
    )
    def _test_results(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[MaterializeResult]:
        from semaphore_dagster.semaphore import jobs_needing_test_results, test_results_source

        connection = require_connection()
        pipeline = real_pipeline(PIPELINE_TEST_RESULTS)
        window = context.partition_time_window  # a range when backfilled in one run; never partition_key
        jobs = jobs_needing_test_results(pipeline, window.start, window.end)
        context.log.info(
            f"{len(jobs)} finished job(s) without a test report between {window.start.isoformat()} "
            f"and {window.end.isoformat()}"
        )
        source = build_source(test_results_source, jobs=jobs, **connection_kwargs(connection)).clone(
            with_name=PIPELINE_TEST_RESULTS  # its own dlt schema name, like the job logs
        )
        for result in run_dlt(context, dlt, source, pipeline):
            metadata = dict(result.metadata or {})
            metadata["jobs_fetched"] = len(jobs)
            yield MaterializeResult(asset_key=result.asset_key, metadata=metadata)

    return _test_results
