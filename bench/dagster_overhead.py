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
