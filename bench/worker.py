"""One measured load, run in its own subprocess: `python -m bench.worker <task.json>`.

The parent (`bench/run.py`) serves the emulator and counts its requests. The worker does its imports and
set-up, then calls `checkpoint(name)`: it prints `BENCH-CHECKPOINT <name>` and blocks until the parent, having
saved and reset the emulator's request counts, answers `go`. So requests are attributed to the phase that made
them, and import time is kept out of the measured wall. Peak RSS is this process's own
(`RUSAGE_SELF`, plus `RUSAGE_CHILDREN` for any worker processes it spawned). The result is written as JSON to
the path the task names; a failure is written there too (`error`), and the exit code is non-zero.
"""

import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHECKPOINT = "BENCH-CHECKPOINT"


def checkpoint(name: str) -> None:
    """Hand over to the parent between phases (see the module docstring)."""
    print(f"{CHECKPOINT} {name}", flush=True)
    answer = sys.stdin.readline().strip()
    if answer != "go":
        raise SystemExit(f"bench worker: expected 'go' from the parent, got {answer!r}")


def own_peak_rss_mb() -> float:
    """This process's peak RSS in MiB, from /proc's VmHWM: `ru_maxrss` of RUSAGE_SELF keeps the peak of the
    process that forked us across exec (a big parent makes every worker look as big as it is)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> dict[str, float]:
    """Peak resident set size so far, in MiB (ru_maxrss is in KiB on Linux)."""
    own = own_peak_rss_mb()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(own, 1), "children": round(children, 1)}


def table_rows(db_path: str, dataset: str) -> dict[str, int]:
    """Rows in every table of `dataset` (dlt's own `_dlt_*` tables left out)."""
    import duckdb

    if not Path(db_path).exists():
        return {}
    con = duckdb.connect(db_path, read_only=True)
    try:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1",
                [dataset],
            ).fetchall()
            if not row[0].startswith("_dlt_")
        ]
        return {
            name: con.execute(f'select count(*) from "{dataset}"."{name}"').fetchall()[0][0] for name in names
        }
    finally:
        con.close()


def trace_phases(pipeline: Any) -> dict[str, float]:
    """Seconds spent in extract, normalize and load by the last `pipeline.run` (from dlt's trace)."""
    trace = pipeline.last_trace
    phases: dict[str, float] = {}
    for step in trace.steps if trace else []:
        if step.step in ("extract", "normalize", "load") and step.finished_at and step.started_at:
            seconds = (step.finished_at - step.started_at).total_seconds()
            phases[f"{step.step}_s"] = round(phases.get(f"{step.step}_s", 0.0) + seconds, 3)
    return phases


def _timed(run: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = run()
    return value, time.perf_counter() - start


# --- tasks -------------------------------------------------------------------------------------------------


def task_ours(task: dict) -> dict:
    """A load by our source (full or incremental, depending on the state left in the task's dirs)."""
    start = time.perf_counter()
    from semaphore_dagster.semaphore import load_all, make_pipeline, semaphore_source

    import_s = time.perf_counter() - start
    pipeline = make_pipeline(
        pipeline_name="semaphore",
        destination="duckdb",
        dataset_name="semaphore",
        pipelines_dir=task["pipelines_dir"],
    )
    checkpoint("load")

    def load() -> Any:
        source = semaphore_source(
            base_url=task["base_url"], api_token=task["token"], **task.get("source_args", {})
        )
        if task.get("resources"):
            source = source.with_resources(*task["resources"])
        return load_all(pipeline, source)

    cpu_start = time.process_time()
    result, wall = _timed(load)
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - cpu_start,  # every thread of this process (not the emulator's)
        "phases": trace_phases(pipeline),  # of the last commit (a load in slices commits several times)
        "commits": len(result.infos),
        "import_s": import_s,  # importing the source (dlt, pyarrow, ...): not in `wall_s`
        "rows_loaded": {t: n for t, n in result.row_counts.items() if not t.startswith("_dlt_")},
        "rows": table_rows(task["db_path"], "semaphore"),
    }


def task_seed(task: dict) -> dict:
    """A full load by the seed-style `rest_api` loader (phases timed separately)."""
    from bench.seed_style import seed_style_pipeline, seed_style_source

    pipeline = seed_style_pipeline(task["pipelines_dir"])
    checkpoint("load")
    phases: dict[str, float] = {}
    start = time.perf_counter()
    _, phases["extract_s"] = _timed(
        lambda: pipeline.extract(seed_style_source(task["base_url"], task["token"]))
    )
    _, phases["normalize_s"] = _timed(pipeline.normalize)
    _, phases["load_s"] = _timed(pipeline.load)
    wall = time.perf_counter() - start
    rows = table_rows(task["db_path"], "seed_style")
    return {"wall_s": wall, "phases": phases, "rows_loaded": rows, "rows": rows}


def task_logs(task: dict) -> dict:
    """Job logs only, for the given jobs (events/s and the huge-log peak RSS)."""
    from semaphore_dagster.semaphore import job_logs_source, make_pipeline, run_load

    pipeline = make_pipeline(
        pipeline_name="semaphore_logs",
        destination="duckdb",
        dataset_name="semaphore",
        pipelines_dir=task["pipelines_dir"],
    )
    before = peak_rss_mb()
    checkpoint("load")

    def load() -> Any:
        source = job_logs_source(
            jobs=task["jobs"],
            base_url=task["base_url"],
            api_token=task["token"],
            **task.get("source_args", {}),
        )
        return run_load(pipeline, source)

    _, wall = _timed(load)
    rows = table_rows(task["db_path"], "semaphore")
    events = rows.get("job_log_events", 0)
    return {
        "wall_s": wall,
        "phases": trace_phases(pipeline),
        "rows": rows,
        "events": events,
        "events_per_s": events / wall if wall > 0 else 0.0,
        "rss_before_load_mb": before["self"],
    }


def task_overhead(task: dict) -> dict:
    """Per-request cost at 0 ms latency through dlt's requests client, over a sample of the floor's mix."""
    from dlt.sources.helpers import requests

    session = requests.Session()
    headers = {"Authorization": f"Token {task['token']}"}
    base = task["base_url"].rstrip("/")
    for path in task["paths"][:5]:  # warm the connection and the emulator's caches
        session.get(base + path, headers=headers).raise_for_status()
    checkpoint("requests")
    start = time.perf_counter()
    sizes = 0
    for path in task["paths"]:
        response = session.get(base + path, headers=headers)
        response.raise_for_status()
        sizes += len(response.content)
    wall = time.perf_counter() - start
    return {
        "wall_s": wall,
        "requests": len(task["paths"]),
        "per_request_s": wall / len(task["paths"]),
        "bytes": sizes,
    }


def _failure(result: Any) -> str:
    """The first failed step of an in-process run and the first line of its error."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            while getattr(error, "cause", None) is not None:  # the root cause says what broke
                error = error.cause
            message = (getattr(error, "message", "") or "").strip().splitlines()
            return f"step {event.step_key}: {message[0] if message else 'failed'}"
    return "failed"


def task_dagster(task: dict) -> dict:
    """The Dagster layer in one process: import the code location (timed), two ticks of the sensor (the
    first sets the cursor, the second has nothing new), then the CI-activity job and one job-log partition
    executed in-process."""
    checkpoint("import")
    start = time.perf_counter()
    from semaphore_dagster.definitions import defs

    out: dict[str, Any] = {"import_s": time.perf_counter() - start, "import_rss_mb": peak_rss_mb()["self"]}
    out["assets"] = len(list(defs.resolve_all_asset_keys()))
    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    sensor = defs.resolve_sensor_def(task["sensor"])
    # A sensor called directly gets its resources from the context, as the daemon would give them.
    resources = {"semaphore": defs.resources["semaphore"]}
    cursor = None
    for name in ("first_tick", "tick"):
        checkpoint(name)
        start = time.perf_counter()
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, definitions=defs, resources=resources
        )
        result = sensor(context)
        wall = time.perf_counter() - start
        cursor = getattr(result, "cursor", None) or cursor
        skip = getattr(result, "skip_reason", None) or (result if isinstance(result, dg.SkipReason) else None)
        out[name] = {
            "wall_s": wall,
            "run_requests": len(getattr(result, "run_requests", None) or []),
            "skip_reason": getattr(skip, "skip_message", None),
        }
    for phase, job_name, partition in (
        ("ci_activity", task["ci_job"], None),
        ("partition", task["logs_job"], task["partition"]),
    ):
        job = defs.resolve_job_def(job_name)
        checkpoint(phase)
        start = time.perf_counter()
        result = job.execute_in_process(instance=instance, partition_key=partition, raise_on_error=False)
        out[f"{phase}_s"] = time.perf_counter() - start
        if not result.success:
            raise RuntimeError(f"{job_name} failed in-process: {_failure(result)}")
    out["rows"] = table_rows(task["db_path"], "semaphore")
    out["wall_s"] = out["partition_s"]
    return out


def task_dagster_all(task: dict) -> dict:
    """Every Semaphore table through the Dagster layer, as `materialize_all` runs them without the checks
    and insights: one run of the unpartitioned tables, then one backfill run of every log day (job logs and
    test results); the code location's import is not in the wall (the bare load's is not either)."""
    from datetime import date

    import dagster as dg
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from semaphore_dagster.dagster_layer.materialize_all import _selections
    from semaphore_dagster.definitions import defs

    tables, logs = _selections()
    jobs = [
        dg.define_asset_job("bench_tables", selection=tables.without_checks()),
        dg.define_asset_job("bench_logs", selection=logs.without_checks()),
    ]
    with_jobs = dg.Definitions.merge(defs, dg.Definitions(jobs=jobs))
    instance = dg.DagsterInstance.ephemeral()
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: date.fromisoformat(task["first_day"]).isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: date.fromisoformat(task["last_day"]).isoformat(),
    }
    checkpoint("load")
    start = time.perf_counter()
    walls = {}
    for name, run_tags in (("bench_tables", None), ("bench_logs", tags)):
        step = time.perf_counter()
        result = with_jobs.resolve_job_def(name).execute_in_process(
            instance=instance, tags=run_tags, raise_on_error=False
        )
        walls[name] = round(time.perf_counter() - step, 3)
        if not result.success:
            raise RuntimeError(f"{name} failed in-process: {_failure(result)}")
    return {
        "wall_s": time.perf_counter() - start,
        "runs_s": walls,
        "rows": table_rows(task["db_path"], "semaphore"),
    }


TASKS: dict[str, Callable[[dict], dict]] = {
    "ours": task_ours,
    "seed": task_seed,
    "logs": task_logs,
    "overhead": task_overhead,
    "dagster": task_dagster,
    "dagster_all": task_dagster_all,
}


def main(task_path: str) -> int:
    task = json.loads(Path(task_path).read_text())
    result_path = Path(task["result_path"])
    try:
        result = TASKS[task["kind"]](task)
        result["peak_rss_mb"] = peak_rss_mb()
        result_path.write_text(json.dumps(result, default=str))
        return 0
    except BaseException as error:  # the parent reports it; the traceback goes to stderr
        traceback.print_exc()
        message = f"{type(error).__name__}: {error}".replace(task.get("token", "\0"), "<token>")
        result_path.write_text(json.dumps({"error": message.splitlines()[0][:500]}))
        return 1


if __name__ == "__main__":
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    sys.exit(main(sys.argv[1]))
