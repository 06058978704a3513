"""The benchmark harness stays alive: `bench/run.py --quick` runs every section and writes sane figures."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REQUIRED_KEYS = (
    "full_load_vs_seed_style",
    "full_load_vs_floor",
    "incremental_requests",
    "incremental_budget",
    "log_events_per_s",
    "log_100mb_peak_rss_mb",
    "sensor_tick_requests",
    "sensor_tick_s",
    "resume_refetch_ratio",
    "incremental_vs_floor",
    "dagster_vs_bare_load",
)


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_bench_quick_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--json", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=590,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    figures = json.loads(out.read_text())
    assert figures["errors"] == {}
    missing = [key for key in REQUIRED_KEYS if key not in figures]
    assert not missing, f"missing keys: {missing}"

    # ratios and rates are positive numbers
    for key in ("full_load_vs_seed_style", "full_load_vs_floor", "log_events_per_s", "log_100mb_peak_rss_mb"):
        assert _positive(figures[key]), (key, figures[key])
    assert isinstance(figures["incremental_budget"], int) and figures["incremental_budget"] >= 10
    assert isinstance(figures["incremental_requests"], int) and figures["incremental_requests"] >= 1
    assert isinstance(figures["sensor_tick_requests"], int) and figures["sensor_tick_requests"] >= 0
    assert _positive(figures["sensor_tick_s"])

    assert _positive(figures["incremental_vs_floor"]) and _positive(figures["dagster_vs_bare_load"])
    assert figures["dagster_vs_bare"]["rows_equal"], figures["dagster_vs_bare"]

    # a first load killed at 80% and run again: it ends with the uninterrupted load's rows, and in slices it
    # fetches less than the whole again (one commit fetches everything again)
    resume = figures["resume"]
    assert resume["sliced"]["rows_equal_whole"] and resume["default"]["rows_equal_whole"]
    assert resume["sliced"]["whole_commits"] > 1 and resume["default"]["whole_commits"] == 1
    assert 0 < figures["resume_refetch_ratio"] < 1 <= resume["default"]["ratio"] + 1e-9

    # both loaders fetched the same world: ours loaded every project, and both made real requests
    load = figures["full_load"]["0"]
    world_rows = figures["world"]["rows"]
    assert load["ours"]["rows"]["projects"] == world_rows["projects"]
    assert load["ours"]["rows"]["pipelines"] == world_rows["pipelines"]
    assert load["seed_style"]["requests"] > load["ours"]["requests"] > 0
    # the floor is a lower bound of what any loader needs
    assert 0 < figures["floor"]["requests"] <= load["ours"]["requests"]
    # the job-log section stored events
    assert figures["job_logs"]["throughput"]["events"] > 0
    assert figures["job_logs"]["huge_log"]["events"] > 0
