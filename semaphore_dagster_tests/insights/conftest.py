"""Fixtures of the insights tests: DuckDB files holding an emulator world's ground truth."""

from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.emulator import World
from semaphore_dagster.insights import build_insights
from semaphore_dagster_tests.conftest import make_world
from semaphore_dagster_tests.insights.tables import ground_truth_tables, write_tables


def world_db(world: World, path: Path) -> Path:
    """A DuckDB file with the world's tables in `semaphore` and every insight built."""
    con = duckdb.connect(str(path))
    try:
        write_tables(con, ground_truth_tables(world))
        build_insights(con)
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def small_world() -> World:
    return make_world("small")


@pytest.fixture(scope="session")
def small_db(small_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Named like the dataset on purpose: catalog `semaphore` = schema `semaphore` must still resolve.
    return world_db(small_world, tmp_path_factory.mktemp("small") / "semaphore.duckdb")
