"""Materialize the whole code location through Dagster, in dependency order, in three in-process runs:

1. every unpartitioned Semaphore table, with their checks;
2. the day partitions (job logs, test results) of a range of days, as one single-run backfill, with their
   checks;
3. whatever else the code location holds (e.g. the insights room's assets), with their checks.

Used by `semaphore-dagster demo` and by the end-to-end tests.
"""

from dataclasses import dataclass, field
from datetime import date

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from semaphore_dagster.dagster_layer.catalog import TABLES, table_key

TABLES_JOB = "__semaphore_tables"
LOGS_JOB = "__semaphore_job_logs_range"
REST_JOB = "__semaphore_everything_else"


@dataclass
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    severity: str


@dataclass
class RunOutcome:
    name: str
    success: bool
    materialized: list[str] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    error: str | None = None


def _selections() -> tuple[dg.AssetSelection, dg.AssetSelection]:
    # The day-partitioned tables (job logs, test results) go in the one partitioned backfill run.
    table_keys = [table_key(t) for t, info in TABLES.items() if not info.partitioned]
    log_keys = [table_key(t) for t, info in TABLES.items() if info.partitioned]
    return dg.AssetSelection.assets(*table_keys), dg.AssetSelection.assets(*log_keys)


def _outcome(name: str, result: dg.ExecuteInProcessResult) -> RunOutcome:
    checks = [
        CheckOutcome(
            e.asset_key.to_user_string(), e.check_name, e.passed, e.severity.value if e.severity else "ERROR"
        )
        for e in result.get_asset_check_evaluations()
    ]
    materialized = sorted({e.asset_key.to_user_string() for e in result.get_asset_materialization_events()})
    error = None
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure or e.is_run_failure]
        error = failures[0].message if failures else "run failed"
    return RunOutcome(name, result.success, materialized, checks, error)


def materialize_all(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    first_day: date,
    last_day: date,
    log_level: str = "INFO",
    include_rest: bool = True,
) -> list[RunOutcome]:
    """Run the three runs above; a later run is skipped when an earlier one failed. `log_level` is the
    console log level of the runs (the demo keeps them quiet); `include_rest=False` skips the third."""
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    tables, logs = _selections()
    rest = dg.AssetSelection.all() - tables - logs
    has_rest = include_rest and bool(rest.resolve(defs.resolve_asset_graph()))
    jobs = [dg.define_asset_job(TABLES_JOB, selection=tables), dg.define_asset_job(LOGS_JOB, selection=logs)]
    if has_rest:
        jobs.append(dg.define_asset_job(REST_JOB, selection=rest))
    with_jobs = dg.Definitions.merge(defs, dg.Definitions(jobs=jobs))
    outcomes: list[RunOutcome] = []
    tables_result = with_jobs.resolve_job_def(TABLES_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config
    )
    outcomes.append(_outcome("tables", tables_result))
    if not tables_result.success:
        return outcomes
    range_tags = {
        ASSET_PARTITION_RANGE_START_TAG: first_day.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last_day.isoformat(),
    }
    logs_result = with_jobs.resolve_job_def(LOGS_JOB).execute_in_process(
        instance=instance, raise_on_error=False, tags=range_tags, run_config=run_config
    )
    outcomes.append(_outcome(f"job logs {first_day}..{last_day}", logs_result))
    if not logs_result.success:
        return outcomes
    if has_rest:
        rest_result = with_jobs.resolve_job_def(REST_JOB).execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config
        )
        outcomes.append(_outcome("everything else", rest_result))
    return outcomes
