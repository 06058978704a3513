"""Any selection is safe (issue 9, finding 1): whatever part of the graph a user selects, through Dagster,
followed by a full run, the tables equal the emulator's ground truth row by row.

The CI group refuses to be split before launch (one non-subsettable multi-asset); the other groups' tables
keep their own state, so running one alone and then the rest ends complete.
"""

from pathlib import Path

import dagster as dg
import pytest

from semaphore_dagster.dagster_layer.catalog import LOG_TABLES, TABLES, table_key
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.conftest import FIRST_DAY, LAST_DAY, defs_for
from semaphore_dagster_tests.semaphore.conftest import assert_equals_ground_truth

# Where the reconstructable job below points (set by the test that uses it; same process).
_POINTED: dict[str, object] = {}


def _job(defs: dg.Definitions, name: str, selection: dg.AssetSelection) -> dg.JobDefinition:
    return dg.Definitions.merge(
        defs, dg.Definitions(jobs=[dg.define_asset_job(name, selection=selection)])
    ).resolve_job_def(name)


def _keys(*tables: str) -> dg.AssetSelection:
    return dg.AssetSelection.assets(*[table_key(t) for t in tables])


def ci_job() -> dg.JobDefinition:
    """The CI group and its checks, pointed at `_POINTED` (module level, so Dagster can reconstruct it for
    a re-execution)."""
    defs = defs_for(_POINTED["server"], _POINTED["db"], _POINTED["dlt"])  # type: ignore[arg-type]
    return _job(defs, "ci_only", _keys("workflows", "pipelines", "blocks", "jobs", "promotions"))


def _full_run(defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    tables = _keys(*[t for t, info in TABLES.items() if not info.partitioned])
    assert _job(defs, "all_tables", tables).execute_in_process(instance=instance).success
    logs = _job(defs, "all_logs", _keys(*[t for t, info in TABLES.items() if info.partitioned]))
    tags = {
        "dagster/asset_partition_range_start": FIRST_DAY.isoformat(),
        "dagster/asset_partition_range_end": LAST_DAY.isoformat(),
    }
    assert logs.execute_in_process(instance=instance, tags=tags).success


@pytest.mark.parametrize(
    "tables", [("pipelines",), ("blocks", "jobs"), ("workflows", "pipelines", "blocks", "jobs")]
)
def test_part_of_the_ci_group_is_refused_before_launch(
    tables: tuple[str, ...], pointed_at: dg.Definitions
) -> None:
    with pytest.raises(dg.DagsterInvalidDefinitionError) as raised:
        _job(pointed_at, "part_of_ci", _keys(*tables))
    assert "does not support subsetting" in str(raised.value.__cause__)


@pytest.mark.slow
def test_partial_selections_then_a_full_run_equal_the_ground_truth(tmp_path: Path) -> None:
    world = make_world("tiny")
    db, dlt_dir = tmp_path / "semaphore_ci.duckdb", tmp_path / "dlt"
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        defs = defs_for(server, db, dlt_dir)
        with dg.instance_for_test() as instance:
            # checks only, before anything is loaded: nothing offends, nothing is written
            checks_only = _job(
                defs, "checks_only", dg.AssetSelection.checks_for_assets(*[table_key(t) for t in TABLES])
            )
            result = checks_only.execute_in_process(instance=instance)
            assert result.success and not result.get_asset_materialization_events()
            # one group, then one table of another group alone (its own dlt state)
            assert (
                _job(defs, "org", dg.AssetSelection.groups("organization"))
                .execute_in_process(instance=instance)
                .success
            )
            assert (
                _job(defs, "targets_alone", _keys("deployment_targets"))
                .execute_in_process(instance=instance)
                .success
            )
            # a child before its parent: loaded, and its blocking reference check says the parent is missing
            child_first = _job(defs, "agents_alone", _keys("agents")).execute_in_process(
                instance=instance, raise_on_error=False
            )
            assert {e.asset_key for e in child_first.get_asset_materialization_events()} == {
                table_key("agents")
            }
            assert [e.check_name for e in child_first.get_asset_check_evaluations() if not e.passed] == [
                "type_references_agent_types"
            ]
            # the CI group fails half-way (token revoked), then is re-executed from failure by Dagster
            _POINTED.update(server=server, db=db, dlt=dlt_dir)
            server.revoke_token()
            failed = dg.execute_job(dg.reconstructable(ci_job), instance=instance, raise_on_error=False)
            assert not failed.success
            server.set_tokens(TEST_TOKEN)
            options = dg.ReexecutionOptions.from_failure(failed.run_id, instance)
            again = dg.execute_job(dg.reconstructable(ci_job), instance=instance, reexecution_options=options)
            assert again.success
            materialized = {e.asset_key for e in again.get_asset_materialization_events()}
            assert materialized == set(
                _keys("workflows", "pipelines", "blocks", "jobs", "promotions").resolve(
                    defs.resolve_asset_graph()
                )
            )
            # a log day alone, then everything
            logs = _job(defs, "one_log_day", _keys(*LOG_TABLES))
            assert logs.execute_in_process(instance=instance, partition_key="2026-10-31").success
            _full_run(defs, instance)
    assert_equals_ground_truth(db, world)
