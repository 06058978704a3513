"""`job_logs_source` + `jobs_needing_logs` (the Dagster per-day log path) and `SemaphoreAPI` (the sensor)."""

from datetime import timedelta
from pathlib import Path
from typing import Any

from semaphore_dagster.semaphore import (
    SemaphoreAPI,
    job_logs_source,
    jobs_needing_logs,
    make_pipeline,
    run_load,
)
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN

from .conftest import assert_table_equal, load, read_tables

CI = ("workflows", "pipelines", "blocks", "jobs", "promotions")


def test_logs_per_day_partition(emulator, duckdb_path: Path, pipelines_dir: Path) -> None:
    pipeline = make_pipeline(pipelines_dir=pipelines_dir, credentials=str(duckdb_path))
    start, end = FIXED_NOW - timedelta(days=30), FIXED_NOW + timedelta(days=1)
    assert jobs_needing_logs(pipeline, start, end) == []  # nothing loaded yet: no tables, no error
    load(emulator, duckdb_path, pipelines_dir, resources=CI, include_logs=False)
    assert emulator.request_counts.get("logs.get", 0) == 0
    truth = emulator.world.ground_truth()
    pending = jobs_needing_logs(pipeline, start, end)
    assert {j["job_id"] for j in pending} == {r["job_id"] for r in truth["job_logs"]}
    # one "day": the jobs of its window only
    day = pending[0]["finish_time"].replace(hour=0, minute=0, second=0)
    todays = jobs_needing_logs(pipeline, day, day + timedelta(days=1))
    assert todays and all(day <= j["finish_time"] < day + timedelta(days=1) for j in todays)
    source = job_logs_source(jobs=todays, base_url=emulator.base_url, api_token=TEST_TOKEN)
    emulator.reset_counts()
    run_load(pipeline, source)
    assert emulator.request_counts.get("logs.get", 0) == len(todays)
    assert {j["job_id"] for j in jobs_needing_logs(pipeline, day, day + timedelta(days=1))} == set()
    # the rest, then the tables equal the ground truth
    rest = jobs_needing_logs(pipeline, start, end)
    run_load(pipeline, job_logs_source(jobs=rest, base_url=emulator.base_url, api_token=TEST_TOKEN))
    tables = read_tables(duckdb_path, ("job_logs", "job_log_events"))
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"])
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])


def test_sensor_api_iter_jobs_stops_at_the_cursor(emulator) -> None:
    api = SemaphoreAPI(emulator.base_url, TEST_TOKEN)
    everything = list(api.iter_jobs(["FINISHED"]))
    truth = [j for j in emulator.world.ground_truth()["jobs"] if j["state"] == "FINISHED"]
    assert {j["job_id"] for j in everything} >= {j["job_id"] for j in truth}
    created = sorted((j["create_time"] for j in everything), reverse=True)
    assert [j["create_time"] for j in everything] == created  # newest first
    cursor = created[len(created) // 2]
    recent = list(api.iter_jobs(["FINISHED"], stop_before=cursor))
    assert recent and all(j["create_time"] >= cursor for j in recent)
    assert len(recent) < len(everything)
    assert api.request_count >= 2


def test_refetch_with_a_smaller_cap_replaces_all_events(
    emulator, duckdb_path: Path, pipelines_dir: Path
) -> None:
    """Logs stored in full, then fetched again capped at 40 bytes: each job's events are replaced whole (the
    merge deletes by job_id), so no event of the longer log stays; the merge's delete is by the merge key
    alone (no OR: merge_delete.py)."""
    pipeline = make_pipeline(pipelines_dir=pipelines_dir, credentials=str(duckdb_path))
    load(emulator, duckdb_path, pipelines_dir, resources=CI, include_logs=False)
    window = (FIXED_NOW - timedelta(days=30), FIXED_NOW + timedelta(days=1))
    jobs = jobs_needing_logs(pipeline, *window)
    options = {"base_url": emulator.base_url, "api_token": TEST_TOKEN}
    run_load(pipeline, job_logs_source(jobs=jobs, **options))
    run_load(pipeline, job_logs_source(jobs=jobs, log_max_bytes=40, **options))
    truth = emulator.world.ground_truth(log_max_bytes=40)
    tables = read_tables(duckdb_path, ("job_logs", "job_log_events"))
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"])
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])
    assert _duplicate_event_keys(duckdb_path) == 0
    merges = _merge_statements(pipeline, "job_log_events")
    assert merges and all("DELETE" in sql and " OR " not in sql for sql in merges), merges


def _merge_statements(pipeline: Any, table: str) -> list[str]:
    """The merge SQL of `table` in the pipeline's last completed load package."""
    package = pipeline.get_load_package_info(pipeline.list_completed_load_packages()[-1])
    return [
        Path(job.file_path).read_text()
        for job in package.jobs["completed_jobs"]
        if job.job_file_info.table_name == table and job.file_path.endswith(".sql")
    ]


def test_arrow_loaded_log_events_carry_their_load_id(
    emulator, duckdb_path: Path, pipelines_dir: Path
) -> None:
    """job_log_events reach dlt as Arrow tables; their rows must name their load like every other table's,
    or readers could not keep a half-finished load out of sight (docs/source.md, "No half load visible")."""
    import duckdb

    load(emulator, duckdb_path, pipelines_dir)
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        events, missing, complete = con.sql(
            "SELECT count(*), count(*) FILTER (WHERE _dlt_load_id IS NULL), "
            "count(*) FILTER (WHERE _dlt_load_id IN (SELECT load_id FROM semaphore._dlt_loads WHERE status = 0)) "
            "FROM semaphore.job_log_events"
        ).fetchall()[0]
    assert events > 0
    assert missing == 0
    assert complete == events


def _duplicate_event_keys(duckdb_path: Path) -> int:
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return con.sql(
            "SELECT count(*) FROM (SELECT job_id, seq FROM semaphore.job_log_events "
            "GROUP BY job_id, seq HAVING count(*) > 1)"
        ).fetchall()[0][0]


def test_a_job_given_twice_is_stored_once(emulator, duckdb_path: Path, pipelines_dir: Path) -> None:
    """A job listed twice, in one source or in two sources of one `pipeline.run`, is fetched twice into one
    load package: dlt's merge dedups the staged events by the key (job_id, seq), so it is stored once. On
    DuckDB the dedup keeps the first staged row of each key by row id, not by a window (merge_dedup.py)."""
    pipeline = make_pipeline(pipelines_dir=pipelines_dir, credentials=str(duckdb_path))
    load(emulator, duckdb_path, pipelines_dir, resources=CI, include_logs=False)
    window = (FIXED_NOW - timedelta(days=30), FIXED_NOW + timedelta(days=1))
    jobs = jobs_needing_logs(pipeline, *window)
    options = {"base_url": emulator.base_url, "api_token": TEST_TOKEN}
    run_load(pipeline, job_logs_source(jobs=jobs + jobs[:5] + jobs[:2], **options))
    assert _duplicate_event_keys(duckdb_path) == 0
    merges = _merge_statements(pipeline, "job_log_events")
    assert merges and all("rowid IN (SELECT min(rowid)" in sql and "ROW_NUMBER" not in sql for sql in merges)
    half = len(jobs) // 2
    pipeline.run(
        [job_logs_source(jobs=jobs[: half + 3], **options), job_logs_source(jobs=jobs[half:], **options)],
        loader_file_format="parquet",
    )
    assert _duplicate_event_keys(duckdb_path) == 0
    truth = emulator.world.ground_truth()
    tables = read_tables(duckdb_path, ("job_logs", "job_log_events"))
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"], ignore={"attempts"})
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])


def test_a_log_bigger_than_a_whole_read_streams_to_the_same_rows(
    emulator_factory, duckdb_path: Path, pipelines_dir: Path
) -> None:
    """Bodies up to job_logs.WHOLE_BODY_BYTES are read whole, then parsed; a bigger one is parsed as it
    streams (the chunks read so far replayed first). Both end equal to the ground truth, stored in full."""
    from semaphore_dagster.semaphore.job_logs import WHOLE_BODY_BYTES

    from ..conftest import make_world

    world = make_world("tiny", huge_log_bytes=3 * WHOLE_BODY_BYTES)
    server = emulator_factory(world)
    pipeline = make_pipeline(pipelines_dir=pipelines_dir, credentials=str(duckdb_path))
    load(server, duckdb_path, pipelines_dir, resources=CI, include_logs=False)
    window = (FIXED_NOW - timedelta(days=30), FIXED_NOW + timedelta(days=1))
    jobs = jobs_needing_logs(pipeline, *window)
    cap = 8 * WHOLE_BODY_BYTES
    run_load(
        pipeline,
        job_logs_source(jobs=jobs, base_url=server.base_url, api_token=TEST_TOKEN, log_max_bytes=cap),
    )
    truth = world.ground_truth(log_max_bytes=cap)
    tables = read_tables(duckdb_path, ("job_logs", "job_log_events"))
    huge = max(tables["job_logs"], key=lambda r: r["bytes"] or 0)
    assert huge["bytes"] > WHOLE_BODY_BYTES and not huge["truncated"]
    assert_table_equal("job_logs", tables["job_logs"], truth["job_logs"])
    assert_table_equal("job_log_events", tables["job_log_events"], truth["job_log_events"])
