"""Our insight tables agree with the emulator's own insights endpoints (computed from its world model).

The endpoint is called as a function over a small world's every project, pipeline file and branch, and over
real HTTP against the emulator fixture.
"""

import json
import urllib.request
from datetime import date
from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.emulator import World
from semaphore_dagster.emulator.insights import insights_response
from semaphore_dagster.insights import fetch_rows
from semaphore_dagster_tests.conftest import TEST_TOKEN
from semaphore_dagster_tests.insights.conftest import world_db

STATS = {
    "count": "pipelines",
    "mean_seconds": "mean_s",
    "median_seconds": "median_s",
    "min_seconds": "min_s",
    "max_seconds": "max_s",
    "std_dev_seconds": "stddev_s",
    "p95_seconds": "p95_s",
}
RELIABILITY = ("passed_count", "failed_count", "all_count", "stopped_count", "canceled_count")


def tables(db: Path) -> dict[str, list[dict]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            n: fetch_rows(con, n)
            for n in ("pipeline_performance", "pipeline_reliability", "pipeline_frequency")
        }
    finally:
        con.close()


def full_range(rows: list[dict]) -> dict[str, str]:
    days = [r["day"] for r in rows]
    return {"from": min(days).isoformat(), "to": max(days).isoformat()}


def scopes(rows: list[dict]) -> set[tuple[str, str, str]]:
    return {(r["project_id"], r["pipeline_file"], r["branch_name"]) for r in rows}


def select(rows: list[dict], project: str, file: str, branch: str | None) -> list[dict]:
    return [
        r
        for r in rows
        if r["project_id"] == project
        and r["pipeline_file"] == file
        and (branch is None or r["branch_name"] == branch)
    ]


def assert_performance_agrees(body: dict, rows: list[dict]) -> int:
    expected = {(r["day"].isoformat(), r["outcome"]): r for r in rows}
    got = {
        (e["date"], outcome.upper()): e for outcome, entries in body["performance"].items() for e in entries
    }
    assert got.keys() == expected.keys()
    for key, entry in got.items():
        row = expected[key]
        for api_name, column in STATS.items():
            assert entry[api_name] == pytest.approx(row[column], abs=1e-6), (key, api_name)
        assert entry["value_in_seconds"] == round(row["mean_s"])
    return len(got)


def assert_reliability_agrees(body: dict, rows: list[dict]) -> None:
    expected = {r["day"].isoformat(): r for r in rows}
    got = {e["date"]: e for e in body["reliability"]}
    assert got.keys() == expected.keys()
    for day, entry in got.items():
        assert tuple(entry[k] for k in RELIABILITY) == tuple(expected[day][k] for k in RELIABILITY), day
        assert entry["pass_rate"] == pytest.approx(expected[day]["pass_rate"]), day


def sum_by_day(rows: list[dict], keys: tuple[str, ...]) -> dict[str, tuple]:
    out: dict[str, list[int]] = {}
    for r in rows:
        acc = out.setdefault(r["day"].isoformat(), [0] * len(keys))
        for i, k in enumerate(keys):
            acc[i] += r[k]
    return {day: tuple(v) for day, v in out.items()}


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
    db = world_db(emulator.world, tmp_path / "semaphore.duckdb")
    t = tables(db)
    perf, rel = t["pipeline_performance"], t["pipeline_reliability"]
    window = full_range(perf)
    checked = 0
    for project, file, branch in sorted(scopes(perf)):
        for kind in ("performance", "reliability"):
            url = (
                f"{emulator.base_url}/api/v1alpha/projects/{project}/insights/{kind}?"
                f"pipeline_file={file}&branch={branch}&from={window['from']}&to={window['to']}"
            )
            req = urllib.request.Request(url, headers={"Authorization": f"Token {TEST_TOKEN}"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 200
                body = json.loads(resp.read())
            if kind == "performance":
                checked += assert_performance_agrees(body, select(perf, project, file, branch))
            else:
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
