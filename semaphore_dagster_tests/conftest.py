"""Shared fixtures: the emulator over real HTTP on 127.0.0.1 and a temp DuckDB / dlt working dir.

Tests use real parts: no mocks of our own code.
"""

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer, World, WorldConfig

# A fixed "now" so every world is reproducible.
FIXED_NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)
TEST_TOKEN = "emu-secret-token-5f2c9a"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, otherwise in collection order. The workers take whole files in this order
    (`--dist loadfile`): the long end-to-end files then start at once and the short ones fill in around them,
    instead of a long file starting last and running alone at the end of the suite."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _isolate_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep dlt's working files and telemetry out of the user's global folders."""
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    for key in list(os.environ):
        if key.startswith("SOURCES__SEMAPHORE__"):
            monkeypatch.delenv(key)


def make_world(scale: str = "tiny", seed: int = 7, **knobs) -> World:
    return World.generate(WorldConfig.preset(scale, seed=seed, now=FIXED_NOW, **knobs))


@pytest.fixture
def tiny_world() -> World:
    return make_world("tiny")


@pytest.fixture
def emulator(tiny_world: World) -> Iterator[EmulatorServer]:
    """A tiny world served over loopback; stopped after the test."""
    with EmulatorServer(tiny_world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., EmulatorServer]]:
    """Start emulators with any option (`faults=`, `log_mode=`, `live=`, `latency_ms=`, ...); all stop after the test.

    `emulator_factory(world=None, **options)`: `world` defaults to a fresh tiny world, `token` to TEST_TOKEN.
    """
    started: list[EmulatorServer] = []

    def start(world: World | None = None, **options) -> EmulatorServer:
        options.setdefault("token", TEST_TOKEN)
        options.setdefault("host", "127.0.0.1")
        options.setdefault("port", 0)
        server = EmulatorServer(world if world is not None else make_world("tiny"), **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "semaphore_ci.duckdb"


@contextmanager
def holding_duckdb_lock(path: Path) -> Iterator[None]:
    """Another process holds a read-write connection to `path` (DuckDB's single-writer lock) meanwhile."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        yield
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL server per test process (127.0.0.1, free port, non-root, stopped by PID).
    Tests take a fresh database each: `pg_server.create_database(name)` returns its URL."""
    from semaphore_dagster_tests.pg_server import postgres_server

    with postgres_server() as server:
        yield server
