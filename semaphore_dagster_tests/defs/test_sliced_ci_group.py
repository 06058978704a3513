"""The CI group's Dagster step commits a big first load in slices (`SemaphoreResource(slice_pipelines=...)`):
a step that fails in its 4th slice keeps the three slices it committed, the next run of the step describes
only the pipelines not yet committed, and the tables end equal to the ground truth.

The tiny world has 31 pipelines newly DONE on its first load; `slice_pipelines=5` makes 7 slices.
"""

from pathlib import Path

import dagster as dg
import duckdb

from semaphore_dagster.dagster_layer.catalog import table_key
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.conftest import SETTINGS, semaphore_for
from semaphore_dagster_tests.semaphore.conftest import (
    assert_no_duplicate_keys,
    assert_table_equal,
    read_tables,
)

CI_TABLES = ("workflows", "pipelines", "blocks", "jobs", "promotions")
SLICE = 5
NEWLY_DONE = 31


def _ci_job(server: EmulatorServer, db: Path, dlt_dir: Path) -> dg.JobDefinition:
    from semaphore_dagster.definitions import build_definitions

    resources = {
        # one attempt per request: the injected 503 fails the step at once
        # a lookback shorter than the world: committed pipelines older than it must stay known
        "semaphore": semaphore_for(server, slice_pipelines=SLICE, max_attempts=1, lookback="12h"),
        "destination": DestinationResource(duckdb_path=str(db), pipelines_dir=str(dlt_dir)),
    }
    defs = build_definitions(SETTINGS, resources)
    selection = dg.AssetSelection.assets(*[table_key(t) for t in CI_TABLES]).without_checks()
    merged = dg.Definitions.merge(defs, dg.Definitions(jobs=[dg.define_asset_job("ci", selection=selection)]))
    return merged.resolve_job_def("ci")


def test_step_failing_in_its_4th_slice_keeps_three_and_the_next_run_finishes(tmp_path: Path) -> None:
    world = make_world("tiny")
    db, dlt_dir = tmp_path / "semaphore_ci.duckdb", tmp_path / "dlt"
    fault = "5xx:status=503,endpoint=pipelines.describe,after=15,count=1"  # the 16th describe: 4th slice
    with EmulatorServer(world, token=TEST_TOKEN, faults=fault) as server:
        job = _ci_job(server, db, dlt_dir)
        with dg.DagsterInstance.ephemeral() as instance:
            failed = job.execute_in_process(instance=instance, raise_on_error=False)
            assert not failed.success
            failure = next(e for e in failed.all_events if e.is_step_failure)
            message = failure.step_failure_data.error.message.strip()
            assert len(message.splitlines()) == 1 and TEST_TOKEN not in message, message
            with duckdb.connect(str(db), read_only=True) as con:
                committed = con.execute("SELECT count(DISTINCT ppl_id) FROM semaphore.jobs").fetchone()[0]
                loads = con.execute("SELECT count(*) FROM semaphore._dlt_loads WHERE status = 0").fetchone()[
                    0
                ]
            assert (committed, loads) == (3 * SLICE, 3)

            server.reset_counts()
            again = job.execute_in_process(instance=instance)
            assert again.success
            assert server.request_counts["pipelines.describe"] == NEWLY_DONE - committed
            event = instance.get_latest_materialization_event(table_key("pipelines"))
            metadata = event.asset_materialization.metadata
            assert metadata["rows_loaded"].value == NEWLY_DONE - committed  # the resumed slices' rows
            assert metadata["dlt"].value.count(",") == 4 - 1  # 4 load ids: slices 4 to 7
    truth = world.ground_truth()
    tables = read_tables(db, CI_TABLES)
    for name in CI_TABLES:
        assert_table_equal(name, tables[name], truth[name])
    assert_no_duplicate_keys(db)
