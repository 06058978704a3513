"""Dagster overhead: definitions import time, a sensor tick with nothing new, one partition materialized.

One subprocess (`bench.worker` task `dagster`) imports the code location, ticks the sensor twice and
executes the CI-activity job then one job-log partition in-process, against the benchmark's world served
at the incremental runs' latency, with the Dagster layer's configuration in the environment
(`SOURCES__SEMAPHORE__*`, `DESTINATION__DUCKDB__CREDENTIALS`, a fresh `DAGSTER_HOME`) as a user's code
location would have it.
"""

from collections import Counter
from datetime import timedelta
from typing import Any

from bench.sections import Bench

SENSOR = "semaphore_new_pipelines"
CI_JOB = "semaphore_ci_activity"
LOGS_JOB = "semaphore_job_logs"


def _busiest_day(bench: Bench) -> str:
    """The UTC day on which most jobs finished: the job-log partition materialized."""
    days = Counter(
        row["finish_time"].date().isoformat() for row in bench.tables["jobs"] if row.get("finish_time")
    )
    return max(sorted(days), key=lambda day: days[day])


def section_dagster(bench: Bench) -> None:
    assert bench.world is not None
    start_date = (bench.world.now() - timedelta(days=bench.world.config.days + 1)).date().isoformat()
    env = {"SEMAPHORE_DAGSTER_LOGS_START_DATE": start_date, "SOURCES__SEMAPHORE__START_DATE": start_date}
    latency = bench.plan.incremental_latency_ms
    day = _busiest_day(bench)
    task = {"sensor": SENSOR, "ci_job": CI_JOB, "logs_job": LOGS_JOB, "partition": day}
    with bench.serve(bench.world, latency) as server:
        run, _ = bench.run("dagster", task, server, extra_env=env)
    r = run.result
    out: dict[str, Any] = {
        "latency_ms": latency,
        "definitions_import_s": round(r["import_s"], 3),
        "definitions_import_rss_mb": r["import_rss_mb"],
        "assets": r["assets"],
        "sensor_first_tick": {**r["first_tick"], "requests": run.phase_requests("first_tick")},
        "sensor_tick_nothing_new": {**r["tick"], "requests": run.phase_requests("tick")},
        "ci_activity_s": round(r["ci_activity_s"], 3),
        "ci_activity_requests": run.total("ci_activity"),
        "partition": day,
        "partition_s": round(r["partition_s"], 3),
        "partition_requests": run.total("partition"),
        "rows": r["rows"],
        "peak_rss_mb": r["peak_rss_mb"]["self"],
    }
    bench.results["dagster"] = out
    bench.results["sensor_tick_requests"] = run.total("tick")
    bench.results["sensor_tick_s"] = round(r["tick"]["wall_s"], 4)
    bench.results["definitions_import_s"] = out["definitions_import_s"]
    bench.results["partition_materialize_s"] = out["partition_s"]


def _rows(run: Any) -> dict[str, int]:
    return {t: n for t, n in run.result.get("rows", {}).items() if t not in ("agents", "agent_types")}


def section_dagster_vs_bare(bench: Bench) -> None:
    """`dagster_vs_bare_load`: every Semaphore table of the same world at the same latency and settings,
    once by a bare `load` (one process: `load_all`) and once through the Dagster layer (the unpartitioned
    tables' run, then one backfill run of every log day; no checks, no insights). Walls after imports."""
    assert bench.world is not None
    start = (bench.world.now() - timedelta(days=bench.world.config.days + 1)).date()
    last = bench.world.now().date()
    env = {
        "SEMAPHORE_DAGSTER_LOGS_START_DATE": start.isoformat(),
        "SOURCES__SEMAPHORE__START_DATE": start.isoformat(),
    }
    latency = bench.plan.incremental_latency_ms
    with bench.serve(bench.world, latency) as server:
        bare, _ = bench.run("ours", {"source_args": {"start_date": start.isoformat()}}, server)
        task = {"first_day": start.isoformat(), "last_day": last.isoformat()}
        dagster, _ = bench.run("dagster_all", task, server, extra_env=env)
    out = {
        "latency_ms": latency,
        "bare_wall_s": round(bare.result["wall_s"], 3),
        "bare_requests": bare.total("load"),
        "dagster_wall_s": round(dagster.result["wall_s"], 3),
        "dagster_runs_s": dagster.result.get("runs_s"),
        "dagster_requests": dagster.total("load"),
        "dagster_peak_rss_mb": dagster.result["peak_rss_mb"]["self"],
        "bare_peak_rss_mb": bare.result["peak_rss_mb"]["self"],
        "rows_equal": _rows(bare) == _rows(dagster),
        "rows_bare": _rows(bare),
        "rows_dagster": _rows(dagster),
    }
    bench.results["dagster_vs_bare"] = out
    bench.results["dagster_vs_bare_load"] = round(out["dagster_wall_s"] / out["bare_wall_s"], 3)
