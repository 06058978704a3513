"""Our insight tables agree with the emulator's own insights endpoints (computed from its world model).

The endpoint is called as a function over a small world's every project, pipeline file and branch, and over
real HTTP against the emulator fixture.
"""

from datetime import date
from pathlib import Path

from semaphore_dagster.emulator import World
from semaphore_dagster.emulator.insights import insights_response
from semaphore_dagster_tests.insights.agreement import (
    assert_performance_agrees,
    assert_reliability_agrees,
    fetch_endpoint,
    full_range,
    scopes,
    select,
    sum_by_day,
    tables,
)
from semaphore_dagster_tests.insights.conftest import world_db


def test_every_scope_agrees_with_the_emulator(small_world: World, small_db: Path) -> None:
    t = tables(small_db)
    perf, rel, freq = t["pipeline_performance"], t["pipeline_reliability"], t["pipeline_frequency"]
    window = full_range(perf + freq)
    compared = 0
    for project, file, branch in sorted(scopes(perf) | scopes(freq)):
        query = {"pipeline_file": file, "branch": branch, **window}
        status, body = insights_response(small_world, project, "performance", query)
        assert status == 200
        compared += assert_performance_agrees(body, select(perf, project, file, branch))
        status, body = insights_response(small_world, project, "reliability", query)
        assert_reliability_agrees(body, select(rel, project, file, branch))
        status, body = insights_response(small_world, project, "frequency", query)
        assert {e["date"]: e["count"] for e in body["frequency"]} == {
            d: v[0] for d, v in sum_by_day(select(freq, project, file, branch), ("pipelines",)).items()
        }
    assert compared > 200  # the small world has hundreds of (day, outcome) performance entries


def test_all_branches_and_range_aggregate_agree(small_world: World, small_db: Path) -> None:
    t = tables(small_db)
    rel, freq = t["pipeline_reliability"], t["pipeline_frequency"]
    window = full_range(rel + freq)
    for project, file in sorted({(p, f) for p, f, _ in scopes(freq)}):
        query = {"pipeline_file": file, **window}
        _, body = insights_response(small_world, project, "reliability", query)
        counts = sum_by_day(select(rel, project, file, None), ("passed_count", "failed_count"))
        assert {e["date"]: (e["passed_count"], e["failed_count"]) for e in body["reliability"]} == counts
        _, body = insights_response(small_world, project, "frequency", {**query, "aggregate": "range"})
        total = sum(r["pipelines"] for r in select(freq, project, file, None))
        assert body == {"frequency": [{"date": window["from"], "count": total}]}


def test_http_endpoints_agree_with_the_tables(emulator, tmp_path: Path) -> None:
    db = world_db(emulator.world, tmp_path / "semaphore_ci.duckdb")
    t = tables(db)
    perf, rel = t["pipeline_performance"], t["pipeline_reliability"]
    window = full_range(perf)
    checked = 0
    for project, file, branch in sorted(scopes(perf)):
        query = {"pipeline_file": file, "branch": branch, **window}
        body = fetch_endpoint(emulator.base_url, project, "performance", query)
        checked += assert_performance_agrees(body, select(perf, project, file, branch))
        body = fetch_endpoint(emulator.base_url, project, "reliability", query)
        assert_reliability_agrees(body, select(rel, project, file, branch))
    assert checked > 0


def test_endpoint_errors_say_what_to_fix(small_world: World) -> None:
    project = small_world.projects[0].id
    status, body = insights_response(small_world, project, "performance", {})
    assert status == 400 and "pipeline_file is required" in body["message"]
    status, body = insights_response(
        small_world, project, "performance", {"pipeline_file": "x", "from": "nope"}
    )
    assert status == 400 and "YYYY-MM-DD" in body["message"]
    status, body = insights_response(
        small_world, project, "frequency", {"pipeline_file": "x", "aggregate": "weekly"}
    )
    assert status == 400 and "daily or range" in body["message"]
    assert insights_response(small_world, "no-such-project", "frequency", {"pipeline_file": "x"})[0] == 404
    assert insights_response(small_world, project, "latency", {"pipeline_file": "x"})[0] == 404


def test_default_range_is_the_last_30_days(small_world: World) -> None:
    project = small_world.projects[0]
    _, body = insights_response(
        small_world, project.id, "frequency", {"pipeline_file": project.pipeline_file}
    )
    days = [date.fromisoformat(e["date"]) for e in body["frequency"]]
    today = small_world.now().date()
    assert days and all((today - d).days < 30 for d in days)
