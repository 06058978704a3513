"""Compare our insight tables with the emulator's insights endpoint responses."""

import json
import urllib.request
from pathlib import Path

import pytest

from semaphore_dagster.insights import DbtTarget, connect
from semaphore_dagster_tests.conftest import TEST_TOKEN

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


def tables(db: Path | DbtTarget) -> dict[str, list[dict]]:
    """The performance, reliability and frequency tables built on a DuckDB file or a dbt target."""
    target = db if isinstance(db, DbtTarget) else DbtTarget(kind="duckdb", duckdb_path=str(db))
    with connect(target) as query:
        return {
            n: query.rows(f"SELECT * FROM {target.insights_schema}.{n}")
            for n in ("pipeline_performance", "pipeline_reliability", "pipeline_frequency")
        }


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


def fetch_endpoint(base_url: str, project: str, kind: str, query: dict[str, str]) -> dict:
    """GET the emulator's insights endpoint over HTTP."""
    params = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
    url = f"{base_url}/api/v1alpha/projects/{project}/insights/{kind}?{params}"
    req = urllib.request.Request(url, headers={"Authorization": f"Token {TEST_TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        return json.loads(resp.read())
