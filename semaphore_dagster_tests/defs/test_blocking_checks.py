"""Blocking checks fail on data broken on purpose and stop the assets downstream of their table."""

from collections.abc import Callable

import dagster as dg
import pytest

from semaphore_dagster.dagster_layer.catalog import table_key
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster_tests.conftest import holding_duckdb_lock
from semaphore_dagster_tests.defs.conftest import SETTINGS, LoadedWorld, resources_for, run_sql


def _run_check_then_downstream(
    code_location: dg.Definitions,
    instance: dg.DagsterInstance,
    table: str,
    check_name: str,
    downstream: str | None,
) -> dg.ExecuteInProcessResult:
    selection = dg.AssetSelection.checks(dg.AssetCheckKey(table_key(table), check_name))
    if downstream:
        selection = selection | dg.AssetSelection.assets(table_key(downstream))
    job = dg.define_asset_job(f"broken_{table}_{check_name}", selection=selection)
    defs = dg.Definitions.merge(code_location, dg.Definitions(jobs=[job]))
    return defs.resolve_job_def(job.name).execute_in_process(instance=instance, raise_on_error=False)


CASES: dict[str, tuple[str, str, str, Callable[[], tuple[str, ...]]]] = {
    "duplicate key": (
        "projects",
        "primary_key_unique_not_null",
        "schedules",
        lambda: ("INSERT INTO semaphore.projects SELECT * FROM semaphore.projects LIMIT 1",),
    ),
    "leaked secret": (
        "agent_types",
        "no_registration_tokens",
        "agents",
        lambda: (
            "ALTER TABLE semaphore.agent_types ADD COLUMN registration_token VARCHAR",
            "UPDATE semaphore.agent_types SET registration_token = 'leaked'",
        ),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_blocking_check_fails_and_stops_downstream(case: str, copy_defs: dg.Definitions, loaded_copy) -> None:
    code_location = copy_defs
    table, check_name, downstream, statements = CASES[case]
    with dg.instance_for_test() as instance:
        run_sql(loaded_copy, *statements())
        result = _run_check_then_downstream(code_location, instance, table, check_name, downstream)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations[check_name].passed is False
    assert evaluations[check_name].metadata["offending"].value >= 1
    assert table_key(downstream) in code_location.resolve_asset_graph().get(table_key(table)).child_keys
    assert not result.success
    assert table_key(downstream) not in {e.asset_key for e in result.get_asset_materialization_events()}


def test_orphan_job_blocks_its_logs(copy_defs: dg.Definitions, loaded_copy) -> None:
    code_location = copy_defs
    with dg.instance_for_test() as instance:
        run_sql(
            loaded_copy,
            "UPDATE semaphore.jobs SET ppl_id = 'no-such-pipeline' WHERE job_id IN "
            "(SELECT job_id FROM semaphore.jobs LIMIT 1)",
        )
        selection = dg.AssetSelection.checks(
            dg.AssetCheckKey(table_key("jobs"), "ppl_id_references_pipelines")
        ) | dg.AssetSelection.assets(table_key("job_logs"), table_key("job_log_events"))
        job = dg.define_asset_job("orphans_then_logs", selection=selection)
        defs = dg.Definitions.merge(code_location, dg.Definitions(jobs=[job]))
        result = defs.resolve_job_def(job.name).execute_in_process(
            instance=instance, raise_on_error=False, partition_key="2026-10-31"
        )
    evaluation = next(iter(result.get_asset_check_evaluations()))
    assert not evaluation.passed
    sample = evaluation.metadata["offending_sample"].value  # a table with named columns
    assert [r.data["ppl_id"] for r in sample.records] == ["no-such-pipeline"]
    assert not result.success
    assert not result.get_asset_materialization_events()  # job_logs and job_log_events never ran


def test_leaked_deployment_parameter_fails_its_check(copy_defs: dg.Definitions, loaded_copy) -> None:
    code_location = copy_defs
    with dg.instance_for_test() as instance:
        run_sql(
            loaded_copy,
            """UPDATE semaphore.deployments SET env_vars = '[{"name": "DB_PASSWORD", "value": "hunter2"}]'
               WHERE id IN (SELECT id FROM semaphore.deployments LIMIT 1)""",
        )
        result = _run_check_then_downstream(
            code_location, instance, "deployments", "no_deployment_parameter_values", None
        )
    evaluation = next(e for e in result.get_asset_check_evaluations())
    assert not evaluation.passed and evaluation.metadata["offending"].value == 1


def test_a_file_locked_by_another_process_warns_and_blocks_nothing(
    loaded: LoadedWorld, loaded_copy, tmp_path
) -> None:
    resources = resources_for(loaded.server, loaded_copy, tmp_path / "dlt")
    resources["destination"] = DestinationResource(duckdb_path=str(loaded_copy), lock_wait_seconds=1.0)
    code_location = build_definitions(SETTINGS, resources)
    with holding_duckdb_lock(loaded_copy):
        with dg.instance_for_test() as instance:
            result = _run_check_then_downstream(
                code_location, instance, "projects", "primary_key_unique_not_null", None
            )
    evaluation = next(iter(result.get_asset_check_evaluations()))
    assert result.success  # a WARN does not fail the run
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "is locked by PID" in evaluation.description and "close that session" in evaluation.description
