"""Blocks, jobs, logs and test results go through the loader in bounded chunks of pipelines: the result equals
the ground truth with the same requests as one big chunk, the logs of the first chunk start while the jobs
list is still being walked, and the loader's peak memory does not follow the size of the organization."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import settings
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN, make_world

from .conftest import assert_equals_ground_truth, load

REPO = Path(__file__).resolve().parents[2]


def _load_counts(world, duckdb_path: Path, pipelines_dir: Path) -> dict[str, int]:
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        load(server, duckdb_path, pipelines_dir)
        return dict(server.request_counts)


def test_small_chunks_equal_the_ground_truth_with_the_same_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = _load_counts(make_world("tiny"), tmp_path / "a.duckdb", tmp_path / "a")
    monkeypatch.setattr(settings, "CHUNK_PIPELINES", 3)
    world = make_world("tiny")
    chunked = _load_counts(world, tmp_path / "b.duckdb", tmp_path / "b")
    assert_equals_ground_truth(tmp_path / "b.duckdb", world)
    assert chunked == whole


def test_logs_start_while_the_jobs_list_is_walked(
    tiny_world, duckdb_path: Path, pipelines_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "CHUNK_PIPELINES", 3)
    seen: dict[str, int] = {}
    stop = threading.Event()
    with EmulatorServer(tiny_world, token=TEST_TOKEN) as server:

        def watch() -> None:
            while not stop.is_set() and not seen:
                counts = server.request_counts
                if counts.get("logs.get"):
                    seen.update(counts)
                time.sleep(0.001)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        load(server, duckdb_path, pipelines_dir)
        stop.set()
        watcher.join()
        final = server.request_counts
    assert final["jobs.list"] >= 3, "the tiny jobs list should span several pages"
    assert seen.get("jobs.list", 0) < final["jobs.list"], (seen.get("jobs.list"), final["jobs.list"])


def _peak_rss(scale: str, tmp_path: Path) -> float:
    """Peak RSS (MiB) of a bare load in its own process, the emulator in this one."""
    world = make_world(scale)
    code = (
        "import json, resource, sys\n"
        "from semaphore_dagster.semaphore import make_pipeline, run_load, semaphore_source\n"
        "url, token, db, dlt_dir = sys.argv[1:5]\n"
        "pipeline = make_pipeline(pipelines_dir=dlt_dir, credentials=db)\n"
        "run_load(pipeline, semaphore_source(base_url=url, api_token=token, start_date='2026-01-01',\n"
        "         now=sys.argv[5]))\n"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))\n"
    )
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        out = subprocess.run(
            [sys.executable, "-c", code, server.base_url, TEST_TOKEN, str(tmp_path / f"{scale}.duckdb")]
            + [str(tmp_path / f"{scale}-dlt"), FIXED_NOW.isoformat()],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false"},
            timeout=900,
            check=True,
        )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_peak_memory_does_not_follow_the_organization(tmp_path: Path) -> None:
    """small has 20x tiny's pipelines; the loader's peak RSS grows by much less than that (imports and dlt
    dominate a tiny load; the chunks keep the rest flat)."""
    tiny, small = _peak_rss("tiny", tmp_path), _peak_rss("small", tmp_path)
    print(f"peak RSS: tiny {tiny:.0f} MiB, small {small:.0f} MiB")
    assert small < tiny * 1.6, (tiny, small)
