"""Incremental rules: a second run with nothing new is cheap and loads nothing; live-mode transitions are
all captured, nothing duplicated."""

from datetime import timedelta
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.endpoints import CI_ACTIVITY, LOG_TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

from .conftest import assert_equals_ground_truth, load, read_tables

PER_ITEM_ENDPOINTS = (
    "pipelines.describe",
    "jobs.describe",
    "jobs.list",
    "logs.get",
    "logs.v1",
    "promotions.list",
)


def _budget(world) -> int:
    """About 9 requests per project + 1 per deployment target + 19 (docs/source.md)."""
    truth = world.ground_truth()
    return 9 * len(truth["projects"]) + len(truth["deployment_targets"]) + 19


def test_second_run_loads_nothing_within_budget(emulator, duckdb_path: Path, pipelines_dir: Path) -> None:
    load(emulator, duckdb_path, pipelines_dir)
    first = sum(emulator.request_counts.values())
    emulator.reset_counts()
    pipeline, _ = load(emulator, duckdb_path, pipelines_dir)
    counts = dict(emulator.request_counts)
    rows = pipeline.last_trace.last_normalize_info.row_counts
    assert {t: rows.get(t, 0) for t in (*CI_ACTIVITY, *LOG_TABLES, "deployments")} == dict.fromkeys(
        (*CI_ACTIVITY, *LOG_TABLES, "deployments"), 0
    )
    assert {e: counts.get(e, 0) for e in PER_ITEM_ENDPOINTS} == dict.fromkeys(PER_ITEM_ENDPOINTS, 0)
    total = sum(counts.values())
    assert total <= _budget(emulator.world), counts
    assert total < first
    assert_equals_ground_truth(duckdb_path, emulator.world)


def test_ci_subset_second_run(emulator, duckdb_path: Path, pipelines_dir: Path) -> None:
    """The Dagster hourly subset (CI activity without logs) also costs a handful of requests per project."""
    subset = ("workflows", "pipelines", "blocks", "jobs", "promotions")
    load(emulator, duckdb_path, pipelines_dir, resources=subset, include_logs=False)
    assert emulator.request_counts.get("logs.get", 0) == 0
    emulator.reset_counts()
    pipeline, _ = load(emulator, duckdb_path, pipelines_dir, resources=subset, include_logs=False)
    rows = pipeline.last_trace.last_normalize_info.row_counts
    assert sum(rows.get(t, 0) for t in subset) == 0
    assert sum(emulator.request_counts.values()) <= _budget(emulator.world)
    truth = emulator.world.ground_truth()
    tables = read_tables(duckdb_path, subset)
    for table in subset:
        assert len(tables[table]) == len(truth[table]), table


@pytest.mark.parametrize(
    "steps",
    [
        [timedelta(hours=3)],
        pytest.param([timedelta(minutes=20)] * 4, marks=pytest.mark.slow),
        pytest.param([timedelta(days=2, hours=7)] * 2, marks=pytest.mark.slow),  # gaps near the lookback
    ],
)
def test_live_transitions_are_captured(duckdb_path: Path, pipelines_dir: Path, steps) -> None:
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, now=world.now())
        for step in steps:
            world.advance(step)
            load(server, duckdb_path, pipelines_dir, now=world.now())
        assert_equals_ground_truth(duckdb_path, world)


def test_long_gap_between_runs(duckdb_path: Path, pipelines_dir: Path) -> None:
    """Open pipelines older than the lookback are re-described one by one (the sweep)."""
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir, now=world.now(), lookback="1h")
        world.advance(timedelta(hours=6))
        server.reset_counts()
        load(server, duckdb_path, pipelines_dir, now=world.now(), lookback="1h")
        assert_equals_ground_truth(duckdb_path, world)
