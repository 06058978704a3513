"""Flaky jobs over a rolling window (dbt var flaky_window_days, default 14), and the stage split and job queue
wait dated as performance dates a pipeline (the UTC day of done_at)."""

from pathlib import Path

import duckdb

from semaphore_dagster_tests.insights.parity_support import dbt_build, rows
from semaphore_dagster_tests.insights.tables import job, pipeline, write_tables

DAY = 24 * 60.0  # minutes


def world() -> dict[str, list[dict]]:
    """Commit X: rspec PASSED then FAILED 20 days before the latest run (out of a 14-day window);
    commit Y: e2e FAILED then PASSED in the last day. Pipeline q runs across midnight: created on day 0
    at 23:50, done on day 1 at 00:20 (minutes after T0 = 2026-10-01)."""
    pipelines = [
        pipeline("x1", created=0, done=5, result="PASSED", commit="X"),
        pipeline("x2", created=10, done=15, result="FAILED", commit="X"),
        pipeline("y1", created=20 * DAY, done=20 * DAY + 5, result="FAILED", commit="Y"),
        pipeline("y2", created=20 * DAY + 10, done=20 * DAY + 15, result="PASSED", commit="Y"),
        pipeline("q", created=23 * 60 + 50, done=DAY + 20, result="PASSED", commit="Q", running=23 * 60 + 55),
    ]
    jobs = [
        job("j1", "x1", name="rspec", result="PASSED", start=1, finish=2),
        job("j2", "x2", name="rspec", result="FAILED", start=11, finish=12),
        job("j3", "y1", name="e2e", result="FAILED", start=20 * DAY + 1, finish=20 * DAY + 2),
        job("j4", "y2", name="e2e", result="PASSED", start=20 * DAY + 11, finish=20 * DAY + 12),
        job(
            "j5",
            "q",
            name="build",
            result="PASSED",
            created=23 * 60 + 56,
            start=23 * 60 + 58,
            finish=DAY + 10,
        ),
    ]
    return {"pipelines": pipelines, "jobs": jobs}


def build(tmp: Path, dbt_vars: dict | None = None) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / "semaphore_ci.duckdb"
    with duckdb.connect(str(db)) as con:
        write_tables(con, world())
    dbt_build(db, tmp, "+flaky_jobs +job_queue_wait +pipeline_stage_summary", dbt_vars)
    return db


def test_flaky_jobs_rolling_window(tmp_path: Path) -> None:
    db = build(tmp_path / "default")
    # Default 14 days up to the latest run (j4, day 20): commit X (day 0) is out.
    assert [(r["commit_sha"], r["job_name"]) for r in rows(db, "flaky_jobs")] == [("Y", "e2e")]
    db = build(tmp_path / "all", {"flaky_window_days": 0})
    assert sorted((r["commit_sha"], r["job_name"]) for r in rows(db, "flaky_jobs")) == [
        ("X", "rspec"),
        ("Y", "e2e"),
    ]
    db = build(tmp_path / "wide", {"flaky_window_days": 30})
    assert len(rows(db, "flaky_jobs")) == 2


def test_stage_split_and_queue_wait_dated_by_done_at(tmp_path: Path) -> None:
    db = build(tmp_path)
    (q,) = [r for r in rows(db, "pipeline_stages") if r["ppl_id"] == "q"]
    assert q["day"].isoformat() == "2026-10-02"  # done 10-02 00:20, created 10-01 23:50
    days = {r["day"].isoformat() for r in rows(db, "pipeline_stage_summary") if r["stage"] == "total"}
    assert "2026-10-02" in days
    # Every job is dated by its pipeline's done_at: j5 (created 10-01 23:56) on 10-02 with q.
    waits = {r["day"].isoformat(): r["jobs"] for r in rows(db, "job_queue_wait")}
    assert waits == {"2026-10-01": 2, "2026-10-21": 2, "2026-10-02": 1}
