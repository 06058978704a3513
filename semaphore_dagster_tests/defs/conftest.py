"""Fixtures of the Dagster-layer tests: the code location with its resources pointed at the emulator and a
temp DuckDB file (configured through resources, never through os.environ)."""

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from semaphore_dagster.dagster_layer.materialize_all import RunOutcome, materialize_all
from semaphore_dagster.dagster_layer.settings import DagsterSettings
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.emulator import EmulatorServer, World
from semaphore_dagster.resources import DestinationResource, SemaphoreResource
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

# The tiny world ends at FIXED_NOW (2026-11-01 12:00 UTC) and spans 3 days.
FIRST_DAY = date(2026, 10, 27)
LAST_DAY = date(2026, 11, 1)
SETTINGS = DagsterSettings(logs_start_date=FIRST_DAY)


def semaphore_for(server: EmulatorServer, **options) -> SemaphoreResource:
    return SemaphoreResource(
        base_url=server.base_url, api_token=TEST_TOKEN, start_date=FIRST_DAY.isoformat(), **options
    )


def resources_for(
    server: EmulatorServer, duckdb_file: Path, dlt_dir: Path
) -> dict[str, dg.ConfigurableResource]:
    return {
        "semaphore": semaphore_for(server),
        "destination": DestinationResource(duckdb_path=str(duckdb_file), pipelines_dir=str(dlt_dir)),
    }


def defs_for(
    server: EmulatorServer, duckdb_file: Path, dlt_dir: Path, settings: DagsterSettings = SETTINGS
) -> dg.Definitions:
    """The code location with its resources pointed at `server` and `duckdb_file`."""
    return build_definitions(settings, resources_for(server, duckdb_file, dlt_dir))


@pytest.fixture
def pointed_at(emulator: EmulatorServer, tmp_path: Path) -> dg.Definitions:
    """The code location pointed at this test's emulator and a fresh DuckDB file (`tmp_path`)."""
    return defs_for(emulator, tmp_path / "semaphore_ci.duckdb", tmp_path / "dlt")


@pytest.fixture(scope="session")
def code_location() -> dg.Definitions:
    """The code location as a user gets it (default resources: dlt config of the environment)."""
    return build_definitions(SETTINGS)


@dataclass
class LoadedWorld:
    world: World
    server: EmulatorServer
    duckdb_file: Path
    outcomes: list[RunOutcome]
    instance: dg.DagsterInstance
    defs: dg.Definitions


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedWorld]:
    """Everything materialized once per session (tables, log days FIRST_DAY..LAST_DAY, all checks).
    Tests that change data work on a copy (`loaded_copy`, `copy_defs`)."""
    tmp = tmp_path_factory.mktemp("loaded")
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        defs = defs_for(server, tmp / "semaphore_ci.duckdb", tmp / "dlt")
        with dg.DagsterInstance.ephemeral() as instance:
            outcomes = materialize_all(defs, instance, FIRST_DAY, LAST_DAY)
            yield LoadedWorld(world, server, tmp / "semaphore_ci.duckdb", outcomes, instance, defs)


@pytest.fixture
def loaded_copy(loaded: LoadedWorld, tmp_path: Path) -> Path:
    """A copy of the loaded DuckDB file."""
    copy = tmp_path / "semaphore_ci.duckdb"
    shutil.copyfile(loaded.duckdb_file, copy)
    return copy


@pytest.fixture
def copy_defs(loaded: LoadedWorld, loaded_copy: Path, tmp_path: Path) -> dg.Definitions:
    """The code location pointed at the loaded world's emulator and the copy."""
    return defs_for(loaded.server, loaded_copy, tmp_path / "dlt")


def run_sql(path: Path, *statements: str) -> None:
    """Run `statements` on the DuckDB file at `path` (a test's copy), e.g. to break a table on purpose."""
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
