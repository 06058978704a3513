"""A load committed in slices (`slice_pipelines`): the same data and the same requests as one commit, nothing
half-visible at any commit, and a first load killed midway resumes after its last committed slice without
fetching again what that slice holds.

The tiny world has 31 pipelines newly DONE on its first load; `slice_pipelines=5` makes 7 slices.
"""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN, make_world

from .conftest import START, assert_one_line_error, load, read_tables
from .criteria import latest_snapshot
from .kill_at import NOT_REACHED
from .scenario import Scenario, scenario, serve  # noqa: F401 (fixture)

SLICE = 5
# shorter than the tiny world's 3 days: a first load's state keeps only pipelines within the lookback, and a
# resumed one must still know every pipeline committed before the kill
LOOKBACK = "12h"
PIPELINES_NEWLY_DONE = 31  # tiny world, first load
SLICES = -(-PIPELINES_NEWLY_DONE // SLICE)
PER_PIPELINE = ("pipelines.describe", "logs.get", "logs.v1", "artifacts.signed_url", "storage.get")


def _comparable(tables: dict[str, list[dict]]) -> dict[str, list[str]]:
    skip = {"snapshot_at", "fetched_at"}
    return {
        name: sorted(
            repr(sorted((k, v) for k, v in row.items() if k not in skip and not k.startswith("_dlt")))
            for row in rows
        )
        for name, rows in tables.items()
    }


def test_sliced_load_equals_one_commit_with_the_same_requests(tmp_path: Path) -> None:
    world = make_world("tiny")
    counts, dbs = {}, {}
    for name, options in (("whole", {}), ("sliced", {"slice_pipelines": SLICE})):
        dbs[name] = tmp_path / f"{name}_ci.duckdb"
        with serve(world) as server:
            load(server, dbs[name], tmp_path / name, **options)
            counts[name] = server.request_counts
    assert counts["sliced"] == counts["whole"]  # nothing listed, walked or described twice
    assert counts["sliced"]["pipelines.describe"] == PIPELINES_NEWLY_DONE
    whole, sliced = (_comparable(latest_snapshot(read_tables(dbs[n]))) for n in ("whole", "sliced"))
    assert sliced == whole
    with duckdb.connect(str(dbs["sliced"]), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM semaphore._dlt_loads WHERE status = 0").fetchone() == (
            SLICES,
        )
        # nothing half-visible: a DONE pipeline arrives in the same commit as its blocks and jobs
        split = con.execute(
            """SELECT count(*) FROM semaphore.pipelines p
               JOIN semaphore.jobs j ON j.ppl_id = p.ppl_id
               WHERE p.state = 'DONE' AND j._dlt_load_id <> p._dlt_load_id"""
        ).fetchone()
        assert split == (0,)
        per_load = con.execute(
            "SELECT count(DISTINCT _dlt_load_id) FROM semaphore.pipelines WHERE state = 'DONE'"
        ).fetchone()
        assert per_load == (SLICES,)


def _killed_cli(server, scenario: Scenario, sig: str) -> subprocess.CompletedProcess:  # noqa: F811
    env = {
        **os.environ,
        "EMU_TOKEN": TEST_TOKEN,
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "SOURCES__SEMAPHORE__SLICE_PIPELINES": str(SLICE),
        "SOURCES__SEMAPHORE__LOOKBACK": LOOKBACK,
    }
    command = [
        sys.executable, "-m", "semaphore_dagster_tests.semaphore.kill_at", "slice_4", sig, "--",
        "--base-url", server.base_url, "--token-env", "EMU_TOKEN",
        "--duckdb-path", str(scenario.duckdb_path), "--pipelines-dir", str(scenario.pipelines_dir),
        "--now", FIXED_NOW.isoformat(), "--start-date", START,
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode != NOT_REACHED, "the 4th slice was never reached"
    assert done.returncode != 0, "the run survived"
    assert TEST_TOKEN not in done.stdout + done.stderr
    if done.returncode > 0:
        assert_one_line_error(done.stderr)
    return done


@pytest.mark.parametrize("sig", ["KILL", pytest.param("TERM", marks=pytest.mark.slow)])
def test_first_load_killed_in_its_4th_slice_resumes_after_the_3rd(
    scenario: Scenario,  # noqa: F811
    tmp_path: Path,
    sig: str,
) -> None:
    baseline = scenario.baseline({"slice_pipelines": SLICE, "lookback": LOOKBACK})
    world = make_world("tiny")
    full = _full_requests(world, tmp_path / "uninterrupted")
    with serve(world, latency_ms=2) as server:
        _killed_cli(server, scenario, sig)
        with duckdb.connect(str(scenario.duckdb_path), read_only=True) as con:
            committed = con.execute(
                "SELECT count(DISTINCT ppl_id) FROM semaphore.jobs j JOIN semaphore._dlt_loads l "
                "ON l.load_id = j._dlt_load_id AND l.status = 0"
            ).fetchone()[0]
        assert committed >= 3 * SLICE  # three slices committed before the kill
        server.reset_counts()
        assert scenario.load(server, slice_pipelines=SLICE, lookback=LOOKBACK) is None
        resumed = server.request_counts
    # the resumed run describes, logs and fetches test results only for what was not committed
    assert resumed["pipelines.describe"] <= PIPELINES_NEWLY_DONE - committed
    for endpoint in PER_PIPELINE[1:]:
        assert resumed.get(endpoint, 0) < full.get(endpoint, 0), endpoint
    assert sum(resumed.values()) < sum(full.values()) * (1 - committed / PIPELINES_NEWLY_DONE) + 40
    scenario.check(baseline, factor=3.0, slack=10.0)


def _full_requests(world, root: Path) -> dict[str, int]:
    """Requests per endpoint of an uninterrupted sliced first load of the same world (another file)."""
    root.mkdir(parents=True)
    with serve(world) as server:
        load(server, root / "ci.duckdb", root / "pipelines", slice_pipelines=SLICE, lookback=LOOKBACK)
        return server.request_counts


def test_a_slice_extracted_then_dropped_and_run_again_loses_nothing(tmp_path: Path) -> None:
    """What the Dagster step does when another process takes the DuckDB file mid-load: the attempt's
    package is dropped with the local state (`pipeline.drop()`, state restored from the destination) and the
    same slice runs again. It gets the same chunks and writes its state again: the tables equal a whole
    load, and a next run with nothing new describes nothing."""
    from semaphore_dagster.semaphore import make_pipeline, semaphore_source
    from semaphore_dagster.semaphore.pipeline import LOADER_FILE_FORMAT
    from semaphore_dagster.semaphore.slices import load_in_slices

    world = make_world("tiny")
    whole_db, db = tmp_path / "whole_ci.duckdb", tmp_path / "retried_ci.duckdb"
    with serve(world) as server:
        load(server, whole_db, tmp_path / "whole")
        pipeline = make_pipeline(pipelines_dir=tmp_path / "retried", credentials=str(db))
        source = semaphore_source(
            base_url=server.base_url,
            api_token=TEST_TOKEN,
            now=FIXED_NOW,
            start_date=START,
            slice_pipelines=SLICE,
        )
        attempts: list[int] = []

        def run_one(part):
            attempts.append(len(attempts))
            if len(attempts) in (3, SLICES):  # the 3rd slice and the last fail once, after extract
                pipeline.extract(part, loader_file_format=LOADER_FILE_FORMAT)
                pipeline.drop()
            return pipeline.run(part, loader_file_format=LOADER_FILE_FORMAT)

        result = load_in_slices(pipeline, source, run_one)
        assert len(result.infos) == SLICES
        assert _comparable(latest_snapshot(read_tables(db))) == _comparable(
            latest_snapshot(read_tables(whole_db))
        )
        server.reset_counts()
        load(server, db, tmp_path / "retried")
        quiet = server.request_counts
    assert quiet.get("pipelines.describe", 0) == 0 and quiet.get("logs.get", 0) == 0, quiet
