"""The day-partitioned test-result assets (defs/test_results): one single-run backfill over the tiny world's
days loads every finished job's report, equal to the ground truth; a second run loads nothing more."""

from pathlib import Path

import dagster as dg
import pytest
from dagster_dlt import DagsterDltResource

from semaphore_dagster.defs.test_results import build_defs
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.endpoints import TEST_RESULT_TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.conftest import FIRST_DAY, LAST_DAY, SETTINGS, source_env
from semaphore_dagster_tests.semaphore.conftest import assert_table_equal, load, read_tables

RANGE = {
    "dagster/asset_partition_range_start": FIRST_DAY.isoformat(),
    "dagster/asset_partition_range_end": LAST_DAY.isoformat(),
}


def test_backfill_loads_the_reports_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world("tiny", seed=3, failure_rate=0.4, flaky_rate=0.4, partial_rerun_rate=0.4)
    duckdb_file = tmp_path / "semaphore_ci.duckdb"
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        for key, value in source_env(server, duckdb_file, tmp_path / "dlt").items():
            monkeypatch.setenv(key, value)
        load(server, duckdb_file, tmp_path / "pipelines", include_test_results=False)
        assets = build_defs(SETTINGS).assets
        resources = {"dlt": DagsterDltResource()}
        with dg.DagsterInstance.ephemeral() as instance:
            result = dg.materialize(assets, instance=instance, resources=resources, tags=RANGE)
            assert result.success
            keys = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
            assert keys == {f"semaphore/{t}" for t in TEST_RESULT_TABLES}
            server.reset_counts()
            again = dg.materialize(assets, instance=instance, resources=resources, tags=RANGE)
            assert again.success and server.request_counts.get("artifacts.signed_url", 0) == 0
    truth = world.ground_truth()
    tables = read_tables(duckdb_file, TEST_RESULT_TABLES)
    for table in TEST_RESULT_TABLES:
        assert_table_equal(table, tables[table], truth[table])
