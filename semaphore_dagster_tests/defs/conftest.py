"""Fixtures of the Dagster-layer tests: the code location pointed at the emulator and a temp DuckDB file."""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.defs.materialize_all import RunOutcome, materialize_all
from semaphore_dagster.defs.settings import DagsterSettings
from semaphore_dagster.emulator import EmulatorServer, World
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

# The tiny world ends at FIXED_NOW (2026-11-01 12:00 UTC) and spans 3 days.
FIRST_DAY = date(2026, 10, 27)
LAST_DAY = date(2026, 11, 1)
SETTINGS = DagsterSettings(logs_start_date=FIRST_DAY)


def source_env(server: EmulatorServer, duckdb_file: Path, dlt_dir: Path) -> dict[str, str]:
    return {
        "SOURCES__SEMAPHORE__BASE_URL": server.base_url,
        "SOURCES__SEMAPHORE__API_TOKEN": TEST_TOKEN,
        "SOURCES__SEMAPHORE__START_DATE": FIRST_DAY.isoformat(),
        "DESTINATION__DUCKDB__CREDENTIALS": str(duckdb_file),
        "DLT_DATA_DIR": str(dlt_dir),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    }


@pytest.fixture
def pointed_at(emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point this test's source at the emulator; returns the DuckDB path."""
    duckdb_file = tmp_path / "semaphore_ci.duckdb"
    for key, value in source_env(emulator, duckdb_file, tmp_path / "dlt").items():
        monkeypatch.setenv(key, value)
    return duckdb_file


@pytest.fixture(scope="session")
def code_location() -> dg.Definitions:
    return build_definitions(SETTINGS)


@dataclass
class LoadedWorld:
    world: World
    server: EmulatorServer
    duckdb_file: Path
    outcomes: list[RunOutcome]
    instance: dg.DagsterInstance


@pytest.fixture(scope="session")
def loaded(code_location: dg.Definitions, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedWorld]:
    """Everything materialized once per session (tables, log days FIRST_DAY..LAST_DAY, all checks).
    Tests that change data work on a copy (`loaded_copy`)."""
    tmp = tmp_path_factory.mktemp("loaded")
    world = make_world("tiny")
    saved = dict(os.environ)
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        os.environ.update(source_env(server, tmp / "semaphore_ci.duckdb", tmp / "dlt"))
        try:
            with dg.DagsterInstance.ephemeral() as instance:
                outcomes = materialize_all(code_location, instance, FIRST_DAY, LAST_DAY)
                yield LoadedWorld(world, server, tmp / "semaphore_ci.duckdb", outcomes, instance)
        finally:
            os.environ.clear()
            os.environ.update(saved)


@pytest.fixture
def loaded_copy(loaded: LoadedWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the loaded DuckDB file, with the source pointed at the loaded world's emulator."""
    copy = tmp_path / "semaphore_ci.duckdb"
    shutil.copyfile(loaded.duckdb_file, copy)
    for key, value in source_env(loaded.server, copy, tmp_path / "dlt").items():
        monkeypatch.setenv(key, value)
    return copy
