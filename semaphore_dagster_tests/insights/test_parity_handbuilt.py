"""Semaphore parity on a hand-built world: every Semaphore-named figure equals the number Semaphore's rules give,
worked out by hand below, and equals what the emulator's real-shaped insights endpoints answer over HTTP.

The world (parity_world.py), project web, pipeline file .semaphore/semaphore.yml. Run time = done - running,
truncated to whole seconds. Runs by done time:

  2026-10-27 main  a1 PASSED 100.7 s -> 100   09:00
                   a6 PASSED 121.5 -> 121     10:00  (working directory ./.semaphore)
                   a4 STOPPED USER 50         11:00  (frequency only; opens an MTTR episode)
                   a2 FAILED 200.2 -> 200     12:00  (./.semaphore)
                   a3 STOPPED TIMEOUT 3600.9 -> 3600  13:00  (a failure for reliability)
                   a5 CANCELED, a7 MALFORMED: never ran, not runs
             feat  b1 PASSED 300              14:00
                   b2 STOPPED FAST_FAILING 40.4 -> 40  15:00
  2026-10-28 main  c1 FAILED 90.999 -> 90     08:00
                   c2 PASSED 60               09:00  (./.semaphore)
                   c3 STOPPED USER 10         10:00
             feat  b3 PASSED 20               15:00
  2026-10-29 main  d01..d20 PASSED 10, 20, ..., 190 s and 1000 s (+0.7 s each), 01:00..20:00
  2026-10-30 main  e1 FAILED 30               20:00
  2026-10-31 main  e2 PASSED 45               05:00
  2026-11-01 main  e3 PASSED 15               08:00  (today: Semaphore has no daily row for it yet)
"""

import json
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.emulator.insights import describe_project_performance, go_path_join
from semaphore_dagster_tests.conftest import TEST_TOKEN
from semaphore_dagster_tests.insights.parity_support import dbt_show, rows, world_models
from semaphore_dagster_tests.insights.parity_world import CI_FILE, NOW, SHOP, WEB, parity_world

TODAY = NOW.date()
RANGE = {"from": "2026-10-02", "to": "2026-10-31"}  # Semaphore's page default on 2026-11-01
VARS = {
    "ci_branch": "main",
    "cd_branch": "main",
    "cd_pipeline_file": ".semaphore/production.yml",
    "semaphore_range_from": RANGE["from"],
    "semaphore_range_to": RANGE["to"],
}
STATS = (
    "count",
    "mean_seconds",
    "median_seconds",
    "min_seconds",
    "max_seconds",
    "std_dev_seconds",
    "p95_seconds",
)


@pytest.fixture(scope="module")
def world():
    return parity_world()


@pytest.fixture(scope="module")
def db(world, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world_models(world, tmp_path_factory.mktemp("parity"), "+path:models/semaphore", VARS)


@pytest.fixture(scope="module")
def server(world):
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as running:
        yield running


def get(server, project: str, kind: str, query: dict[str, str]) -> tuple[int, bytes]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    url = f"{server.base_url}/api/v1alpha/projects/{project}/insights/{kind}?{params}"
    req = urllib.request.Request(url, headers={"Authorization": f"Token {TEST_TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def perf(db: Path, branch: str, day: str, outcome: str = "all") -> tuple:
    found = [
        r
        for r in rows(db, "semaphore_pipeline_performance")
        if (r["project_id"], r["pipeline_file_name"], r["branch_name"], r["day"], r["outcome"])
        == (WEB, CI_FILE, branch, date.fromisoformat(day), outcome)
    ]
    assert len(found) == 1, found
    return tuple(found[0][k] for k in STATS)


def daily(db: Path, model: str, branch: str, *columns: str) -> dict[str, tuple]:
    return {
        r["day"].isoformat(): tuple(r[c] for c in columns)
        for r in rows(db, model)
        if (r["project_id"], r["pipeline_file_name"], r["branch_name"]) == (WEB, CI_FILE, branch)
    }


def summary(db: Path, scope: str, project: str = WEB) -> dict:
    (row,) = [
        r for r in rows(db, "semaphore_project_summary") if (r["project_id"], r["scope"]) == (project, scope)
    ]
    return row


def test_daily_performance_by_hand(db: Path) -> None:
    # (count, mean, median, min, max, std dev, p95), CI branch main.
    # 10-27: runs a1 a6 a4 a2 a3 -> count 5; a4 (USER stop) out of the statistics: [100, 121, 200, 3600];
    #   mean 4021 // 4 = 1005; median (121 + 200) // 2 = 160; p95 rank ceil(0.95 * 4) = 4 -> 3600;
    #   std dev: mean 1005.25, squared deviations 819477.5625 + 781898.0625 + 648427.5625 + 6732727.5625
    #   = 8982530.75, / 4 = 2245632.6875, sqrt = 1498.5 -> 1498.
    assert perf(db, "main", "2026-10-27") == (5, 1005, 160, 100, 3600, 1498, 3600)
    # passed: a1, a6 [100, 121]: mean 221 // 2 = 110, median 110, p95 rank 2 -> 121, std dev 10.5 -> 10.
    assert perf(db, "main", "2026-10-27", "passed") == (2, 110, 110, 100, 121, 10, 121)
    # failed: a2 only (a STOPPED run is in neither list).
    assert perf(db, "main", "2026-10-27", "failed") == (1, 200, 200, 200, 200, 0, 200)
    # 10-28: c1 c2 c3 -> count 3; [60, 90]: mean 75, median 75, p95 rank 2 -> 90, std dev 15.
    assert perf(db, "main", "2026-10-28") == (3, 75, 75, 60, 90, 15, 90)
    # 10-29: 20 runs [10, 20, ..., 190, 1000]: mean (1900 + 1000) / 20 = 145; median (100 + 110) / 2 = 105;
    #   p95 rank ceil(0.95 * 20) = 19 -> 190 (interpolation would say 230.5; the max is 1000);
    #   std dev: sum of squared deviations 95475 + 855^2 = 826500, / 20 = 41325, sqrt = 203.3 -> 203.
    assert perf(db, "main", "2026-10-29") == (20, 145, 105, 10, 1000, 203, 190)
    # A day without a passed run still has its passed row, all zeros (10-30: e1 failed only).
    assert perf(db, "main", "2026-10-30", "passed") == (0, 0, 0, 0, 0, 0, 0)
    # All branches (''), 10-27: + b1 300, b2 40 -> count 7; [40, 100, 121, 200, 300, 3600]: mean
    #   4361 // 6 = 726; median (121 + 200) // 2 = 160; p95 rank ceil(5.7) = 6 -> 3600; std dev: mean
    #   726.83, squared deviations sum 9946520.8, / 6 = 1657753.5, sqrt = 1287.5 -> 1287.
    assert perf(db, "", "2026-10-27") == (7, 726, 160, 40, 3600, 1287, 3600)
    # All branches, 10-28: c1 c2 c3 b3 -> count 4; [20, 60, 90]: mean 170 // 3 = 56, median 60,
    #   p95 rank ceil(2.85) = 3 -> 90, std dev sqrt(2466.7 / 3) = 28.7 -> 28.
    assert perf(db, "", "2026-10-28") == (4, 56, 60, 20, 90, 28, 90)
    # No branch other than the CI / CD branch and '' has rows (Semaphore computes only those).
    assert {r["branch_name"] for r in rows(db, "semaphore_pipeline_performance")} == {"main", ""}


def test_daily_reliability_and_frequency_by_hand(db: Path) -> None:
    # (all, passed, failed): USER/STRATEGY stops out; a TIMEOUT or FAST_FAILING stop is a failure.
    # 10-27 main: a1 a6 a2 a3 -> 4, 2 passed, a2 + a3 = 2 failed. 10-28: c1 c2 -> 2, 1, 1.
    # 10-29: 20, 20, 0. 10-30: 1, 0, 1. 10-31: 1, 1, 0. 11-01 (today): 1, 1, 0.
    assert daily(
        db, "semaphore_pipeline_reliability", "main", "all_count", "passed_count", "failed_count"
    ) == {
        "2026-10-27": (4, 2, 2),
        "2026-10-28": (2, 1, 1),
        "2026-10-29": (20, 20, 0),
        "2026-10-30": (1, 0, 1),
        "2026-10-31": (1, 1, 0),
        "2026-11-01": (1, 1, 0),
    }
    # All branches 10-27: + b1 passed, b2 FAST_FAILING failed -> 6, 3, 3.
    assert daily(db, "semaphore_pipeline_reliability", "", "all_count", "passed_count", "failed_count")[
        "2026-10-27"
    ] == (6, 3, 3)
    # Frequency counts every run, user stops included; canceled and malformed are not runs.
    assert daily(db, "semaphore_pipeline_frequency", "main", "all_count") == {
        "2026-10-27": (5,),
        "2026-10-28": (3,),
        "2026-10-29": (20,),
        "2026-10-30": (1,),
        "2026-10-31": (1,),
        "2026-11-01": (1,),
    }
    assert daily(db, "semaphore_pipeline_frequency", "", "all_count")["2026-10-28"] == (4,)


def test_page_summary_by_hand(db: Path) -> None:
    ci = summary(db, "CI")
    assert (ci["pipeline_file_name"], ci["branch_name"]) == (CI_FILE, "main")
    # RANGE 10-02..10-31 (today's run is out): mean of the daily means 1005, 75, 145, 30, 45 = 1300 // 5 = 260;
    # of the daily std devs 1498, 15, 203, 0, 0 = 1716 // 5 = 343.
    assert (ci["mean_seconds"], ci["std_dev_seconds"]) == (260, 343)
    # passed: days 27 (110), 28 (60), 29 (145), 31 (45) -> 360 // 4 = 90; std devs 10, 0, 203, 0 -> 53.
    assert (ci["passed_mean_seconds"], ci["passed_std_dev_seconds"]) == (90, 53)
    # failed: days 27 (200), 28 (90), 30 (30) -> 320 // 3 = 106.
    assert ci["failed_mean_seconds"] == 106
    # reliability sums: all 4 + 2 + 20 + 1 + 1 = 28, passed 2 + 1 + 20 + 0 + 1 = 24, failed 4;
    # pass rate round(100 * 24 / 28) = round(85.7) = 86 %.
    assert (ci["all_count"], ci["passed_count"], ci["failed_count"], ci["pass_rate_percent"]) == (
        28,
        24,
        4,
        86,
    )
    # frequency 5 + 3 + 20 + 1 + 1 = 30 runs over 29 days (to - from).
    assert (ci["runs"], ci["range_days"]) == (30, 29)
    # MTTR episodes of the CI file, every branch:
    #   main a4 (USER stop, 10-27 11:00) -> c2 (10-28 09:00) = 22 h = 79200 s (a2, a3 fall inside it);
    #   main c3 (USER stop, 10-28 10:00) -> d01 (10-29 01:00) = 15 h = 54000 s;
    #   main e1 (10-30 20:00) -> e2 (10-31 05:00) = 32400 s, closed after `to` 10-31 00:00: out;
    #   feat b2 (FAST_FAILING, 10-27 15:00) -> b3 (10-28 15:00) = 86400 s: in, although the CI branch is main.
    # (79200 + 54000 + 86400) / 3 = 73200 s.
    assert ci["mean_time_to_recovery_seconds"] == 73200
    assert ci["last_successful_run_at"] == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)  # e3, today
    every = summary(db, "ALL")
    # All branches: daily means 726, 56, 145, 30, 45 -> 1002 // 5 = 200; std devs 1287, 28, 203, 0, 0 -> 303.
    # reliability 6 + 3 + 20 + 1 + 1 = 31, passed 3 + 2 + 20 + 0 + 1 = 26 -> 84 %; runs 7 + 4 + 20 + 1 + 1 = 33.
    assert (every["mean_seconds"], every["std_dev_seconds"], every["all_count"], every["passed_count"]) == (
        200,
        303,
        31,
        26,
    )
    assert (every["pass_rate_percent"], every["runs"], every["last_successful_run_at"]) == (84, 33, None)
    # CD of project shop: deploy pipelines d1..d6 and s1, one failed (deploy-d5 14:05) then deploy-d6 passed
    # (16:10): one episode of 2 h 5 min = 7500 s.
    assert summary(db, "CD", SHOP)["mean_time_to_recovery_seconds"] == 7500


def test_go_path_join_in_sql_matches_go(tmp_path: Path) -> None:
    cases = [
        (".semaphore", "semaphore.yml"),
        ("./.semaphore", "semaphore.yml"),
        (".semaphore/", "deploy/prod.yml"),
        (".semaphore/ci/..", "semaphore.yml"),
        ("a/b/../../c", "x.yml"),
        ("../a", "x.yml"),
        ("/", "x.yml"),
        ("/../a", "x.yml"),
        ("", "semaphore.yml"),
        (".", "x.yml"),
        ("a/./b//c", "x.yml"),
        ("", ""),
    ]
    got = dbt_show(tmp_path, "go_path_join", cases)
    assert got == [go_path_join(a, b) for a, b in cases]
    assert got[:4] == [
        ".semaphore/semaphore.yml",
        ".semaphore/semaphore.yml",
        ".semaphore/deploy/prod.yml",
    ] + [".semaphore/semaphore.yml"]


def test_the_emulator_endpoints_answer_the_models(db: Path, server, world) -> None:
    """DAILY and RANGE over HTTP equal the models, for every (project, file, branch key) Semaphore computes."""
    perf_rows = [r for r in rows(db, "semaphore_pipeline_performance") if r["day"] < TODAY]
    rel_rows = {
        (r["project_id"], r["pipeline_file_name"], r["branch_name"], r["day"]): r
        for r in rows(db, "semaphore_pipeline_reliability")
    }
    freq_rows = {
        (r["project_id"], r["pipeline_file_name"], r["branch_name"], r["day"]): r
        for r in rows(db, "semaphore_pipeline_frequency")
    }
    keys = sorted({(r["project_id"], r["pipeline_file_name"], r["branch_name"]) for r in perf_rows})
    assert len(keys) == 6  # web CI file (main, ''), shop CI file and deploy file (main, '')
    for project, file, branch in keys:
        query = {"pipeline_file": file, "branch": branch}
        status, body = get(server, project, "performance", query)
        assert status == 200
        answer = json.loads(body)
        assert sorted(answer) == ["all", "failed", "passed"]
        for outcome, entries in answer.items():
            expected = [
                {
                    **{k: r[k] for k in STATS},
                    "from_date": f"{r['day']} 00:00:00Z",
                    "to_date": f"{r['day']} 00:00:00Z",
                }
                for r in sorted(perf_rows, key=lambda r: r["day"])
                if (r["project_id"], r["pipeline_file_name"], r["branch_name"], r["outcome"])
                == (project, file, branch, outcome)
            ]
            assert entries == expected, (project, file, branch, outcome)
        days = sorted(
            {
                r["day"]
                for r in perf_rows
                if (r["project_id"], r["pipeline_file_name"], r["branch_name"]) == (project, file, branch)
            }
        )
        status, body = get(server, project, "reliability", query)
        assert json.loads(body) == {
            "metrics": [
                {
                    "all_count": rel_rows[(project, file, branch, d)]["all_count"],
                    "failed_count": rel_rows[(project, file, branch, d)]["failed_count"],
                    "from_date": f"{d} 00:00:00Z",
                    "passed_count": rel_rows[(project, file, branch, d)]["passed_count"],
                    "to_date": f"{d} 00:00:00Z",
                }
                for d in days
            ]
        }
        status, body = get(server, project, "frequency", query)
        assert json.loads(body) == {
            "metrics": [
                {
                    "all_count": freq_rows[(project, file, branch, d)]["all_count"],
                    "from_date": f"{d} 00:00:00Z",
                    "to_date": f"{d} 00:00:00Z",
                }
                for d in days
            ]
        }
    # RANGE equals the page summary, scope by scope.
    for project in (WEB, SHOP):
        for scope in ("CI", "ALL", "CD"):
            s = summary(db, scope, project)
            query = {
                "pipeline_file": s["pipeline_file_name"],
                "branch": s["branch_name"],
                **RANGE,
                "aggregate": "range",
            }
            dates = {"from_date": f"{RANGE['from']} 00:00:00Z", "to_date": f"{RANGE['to']} 00:00:00Z"}
            _, body = get(server, project, "performance", query)
            zero = dict.fromkeys(STATS, 0)
            assert json.loads(body) == {
                "all": [
                    {
                        **zero,
                        "mean_seconds": s["mean_seconds"],
                        "std_dev_seconds": s["std_dev_seconds"],
                        **dates,
                    }
                ],
                "failed": [
                    {
                        **zero,
                        "mean_seconds": s["failed_mean_seconds"],
                        "std_dev_seconds": s["failed_std_dev_seconds"],
                        **dates,
                    }
                ],
                "passed": [
                    {
                        **zero,
                        "mean_seconds": s["passed_mean_seconds"],
                        "std_dev_seconds": s["passed_std_dev_seconds"],
                        **dates,
                    }
                ],
            }, (project, scope)
            _, body = get(server, project, "reliability", query)
            assert json.loads(body) == {
                "metrics": [
                    {
                        "all_count": s["all_count"],
                        "failed_count": s["failed_count"],
                        "passed_count": s["passed_count"],
                        **dates,
                    }
                ]
            }
            _, body = get(server, project, "frequency", query)
            assert json.loads(body) == {"metrics": [{"all_count": s["runs"], **dates}]}
            # MTTR and the last successful run have no public route: the emulator's Python reference.
            reference = describe_project_performance(
                world, project, s["pipeline_file_name"], s["branch_name"], s["range_from"], s["range_to"]
            )
            assert reference == {
                "mean_time_to_recovery_seconds": s["mean_time_to_recovery_seconds"],
                "last_successful_run_at": s["last_successful_run_at"],
            }, (project, scope)


def test_endpoint_rules(server, world) -> None:
    # The public API: pipeline_file is required (a JSON-encoded string), dates that do not parse are no
    # filter, an aggregate other than "range" is DAILY, a branch Semaphore does not compute has no rows.
    status, body = get(server, WEB, "performance", {})
    assert (status, json.loads(body)) == (400, "Missing required query parameter: pipeline_file")
    _, everything = get(server, WEB, "frequency", {"pipeline_file": CI_FILE, "branch": "main"})
    _, bad_dates = get(
        server,
        WEB,
        "frequency",
        {"pipeline_file": CI_FILE, "branch": "main", "from": "nope", "aggregate": "weekly"},
    )
    assert bad_dates == everything and len(json.loads(everything)["metrics"]) == 5  # 10-27..10-31, not today
    _, feat = get(server, WEB, "performance", {"pipeline_file": CI_FILE, "branch": "feat"})
    assert json.loads(feat) == {"all": [], "failed": [], "passed": []}
    _, unmatched = get(
        server, WEB, "frequency", {"pipeline_file": "./.semaphore/semaphore.yml", "aggregate": "range"}
    )
    assert json.loads(unmatched) == {"metrics": [{"all_count": 0, "from_date": None, "to_date": None}]}
    # Authorization answers 404 Not Found for a project of no organization; an unknown kind is the router's.
    assert get(server, "00000000-0000-4000-8000-0000000000ff", "frequency", {"pipeline_file": CI_FILE}) == (
        404,
        b"Not Found",
    )
    assert get(server, WEB, "latency", {"pipeline_file": CI_FILE})[0] == 404
    # The feature gate comes first.
    world.features.discard("pipeline_summaries")
    try:
        assert get(server, WEB, "frequency", {}) == (404, b"Feature is not enabled for your organization")
    finally:
        world.features.add("pipeline_summaries")
