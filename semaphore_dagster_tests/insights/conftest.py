"""Fixtures of the insights tests: destinations holding an emulator world's ground truth, insights built
by dbt."""

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from semaphore_dagster.emulator import World
from semaphore_dagster.insights import DbtTarget, InsightsConfig, build_insights
from semaphore_dagster_tests.conftest import make_world
from semaphore_dagster_tests.insights.backends import duckdb_target, postgres_target
from semaphore_dagster_tests.insights.tables import ground_truth_tables

Build = Callable[..., dict]


def world_db(world: World, path: Path) -> Path:
    """A DuckDB file with the world's tables in `semaphore` and every insight built by dbt."""
    build_insights(duckdb_target(ground_truth_tables(world), path))
    return path


@pytest.fixture(scope="session")
def small_world() -> World:
    return make_world("small")


@pytest.fixture(scope="session")
def small_db(small_world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Not `semaphore.duckdb`: a catalog named like the dataset is ambiguous in DuckDB 2, and the loader
    # refuses that name (semaphore_dagster.defs.settings.check_duckdb_name).
    return world_db(small_world, tmp_path_factory.mktemp("small") / "semaphore_ci.duckdb")


@pytest.fixture(scope="session")
def small_target(small_db: Path) -> DbtTarget:
    return DbtTarget(kind="duckdb", duckdb_path=str(small_db))


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.slow)])
def build(request: pytest.FixtureRequest, tmp_path: Path) -> Build:
    """build(tables, config=None, names=None) -> {insight: rows}: the tables loaded into a fresh DuckDB file
    or PostgreSQL database (by dlt), then `dbt build` of the insights named (and what they need)."""
    counter = itertools.count()

    def run(tables: dict[str, list[dict]], config: InsightsConfig | None = None, names=None) -> dict:
        if request.param == "duckdb":
            target = duckdb_target(tables, tmp_path / f"world{next(counter)}.duckdb")
        else:
            target = postgres_target(tables, request.getfixturevalue("pg_server"), tmp_path)
        return build_insights(target, config, names)

    return run
