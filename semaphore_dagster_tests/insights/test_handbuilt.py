"""Hand-built worlds with answers worked out by hand: DORA, flaky jobs, MTTR, stage split, queue wait,
agent utilization, failing commands, and missing tables/columns — through dbt, on DuckDB and on PostgreSQL
(the data loaded there by dlt)."""

from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.insights import DbtTarget, InsightsConfig, build_insights, insight_names
from semaphore_dagster_tests.insights.conftest import Build
from semaphore_dagster_tests.insights.tables import at, job, pipeline, write_tables

MIN = 60.0


def one(rows: list[dict], **where) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in where.items())]
    assert len(found) == 1, f"expected one row where {where}, got {found}"
    return found[0]


# --- DORA -------------------------------------------------------------------------------------------------


def dora_world() -> dict[str, list[dict]]:
    """Five deployments to `production` (minutes after T0):

    d1 t=20  source sA (commit A, pushed t=0)   -> pA passed at 30   SUCCEEDED, lead 30 min
    d2 t=80  source sB (commit B, pushed t=60)  -> pB failed at 90   FAILED: incident 1 starts
    d3 t=140 source sC (commit C, pushed t=120) -> pC passed at 150  SUCCEEDED, lead 30 min, rolled back by d4
    d4 t=190 source sA again (older: rollback)  -> pA2 passed at 200 SUCCEEDED, no lead time; restores incident 1
    d5 t=310 source sD (commit D, pushed t=300) -> state FAILED, no pipeline: incident 2, never restored
    """
    workflows = [
        {"wf_id": f"w{c}", "project_id": "p1", "branch_name": "master", "commit_sha": c, "created_at": at(t)}
        for c, t in (("A", 0), ("B", 60), ("C", 120), ("D", 300))
    ]
    pipelines = [
        pipeline("sA", created=0, done=10, result="PASSED", commit="A", wf="wA"),
        pipeline("sB", created=60, done=70, result="PASSED", commit="B", wf="wB"),
        pipeline("sC", created=120, done=130, result="PASSED", commit="C", wf="wC"),
        pipeline("sD", created=300, done=305, result="PASSED", commit="D", wf="wD"),
    ]
    deploy_file = ".semaphore/production.yml"
    for ppl_id, commit, wf, created, done, result in (
        ("pA", "A", "wA", 20, 30, "PASSED"),
        ("pB", "B", "wB", 80, 90, "FAILED"),
        ("pC", "C", "wC", 140, 150, "PASSED"),
        ("pA2", "A", "wA", 190, 200, "PASSED"),
    ):
        pipelines.append(
            pipeline(
                ppl_id,
                created=created,
                done=done,
                result=result,
                commit=commit,
                wf=wf,
                file=deploy_file,
                triggered_by="PROMOTION",
            )
        )
    deployments = [
        {
            "id": f"d{i}",
            "target_id": "t1",
            "target_name": "production",
            "prev_pipeline_id": src,
            "pipeline_id": ppl,
            "triggered_at": at(t),
            "state": state,
            "env_vars": [{"name": "X", "value": "<redacted>"}],
        }
        for i, (src, ppl, t, state) in enumerate(
            (
                ("sA", "pA", 20, "STARTED"),
                ("sB", "pB", 80, "STARTED"),
                ("sC", "pC", 140, "STARTED"),
                ("sA", "pA2", 190, "STARTED"),
                ("sD", None, 310, "FAILED"),
            ),
            start=1,
        )
    ]
    targets = [{"id": "t1", "name": "production", "project_id": "p1"}]
    return {
        "workflows": workflows,
        "pipelines": pipelines,
        "deployments": deployments,
        "deployment_targets": targets,
    }


def test_dora_deployments_classify_each_deployment(build: Build) -> None:
    rows = build(dora_world(), names=["dora_deployments"])["dora_deployments"]
    by_id = {r["deployment_id"]: r for r in rows}
    assert [by_id[d]["outcome"] for d in ("d1", "d2", "d3", "d4", "d5")] == [
        "SUCCEEDED",
        "FAILED",
        "SUCCEEDED",
        "SUCCEEDED",
        "FAILED",
    ]
    assert [d for d in by_id if by_id[d]["rollback"]] == ["d4"]
    assert [d for d in by_id if by_id[d]["rolled_back"]] == ["d3"]
    assert sorted(d for d in by_id if by_id[d]["change_failure"]) == ["d2", "d3", "d5"]
    assert sorted(d for d in by_id if by_id[d]["incident_start"]) == ["d2", "d5"]
    assert by_id["d1"]["lead_time_s"] == 30 * MIN
    assert by_id["d3"]["lead_time_s"] == 30 * MIN
    assert by_id["d4"]["lead_time_s"] is None  # a rollback ships no new change
    assert by_id["d2"]["lead_time_s"] is None
    assert by_id["d2"]["restored_at"] == at(200) and by_id["d2"]["restore_s"] == 120 * MIN
    assert by_id["d5"]["restore_s"] is None
    assert all(r["project_id"] == "p1" for r in rows)


def test_dora_summary_four_keys(build: Build) -> None:
    rows = build(dora_world(), names=["dora_summary"])["dora_summary"]
    s = one(rows, project_id="p1", target_name="production")
    assert (s["deployments"], s["succeeded"], s["failed"], s["rollbacks"]) == (5, 3, 2, 1)
    assert s["window_days"] == 1
    assert s["deployment_frequency_per_day"] == 3.0
    assert s["deployment_frequency_per_week"] == 21.0
    assert s["lead_time_median_s"] == 30 * MIN
    assert s["lead_time_mean_s"] == 30 * MIN
    assert s["change_failures"] == 3 and s["change_failure_rate"] == pytest.approx(0.6)
    assert (s["incidents"], s["restored"]) == (2, 1)
    assert s["time_to_restore_median_s"] == 120 * MIN


def test_dora_restricted_to_cd_target(build: Build) -> None:
    world = dora_world()
    world["deployments"].append(
        {
            "id": "s1",
            "target_id": "t2",
            "target_name": "staging",
            "prev_pipeline_id": "sA",
            "pipeline_id": "pA",
            "triggered_at": at(15),
            "state": "STARTED",
        }
    )
    everything = build(world, names=["dora_summary"])["dora_summary"]
    assert sorted(r["target_name"] for r in everything) == ["production", "staging"]
    only = build(world, InsightsConfig(cd_target="production"), names=["dora_summary"])["dora_summary"]
    assert [r["target_name"] for r in only] == ["production"]


# --- flaky jobs ---------------------------------------------------------------------------------------------


def flaky_world() -> dict[str, list[dict]]:
    """Commit X: rspec P, F, P (2 flips over 2 pairs); lint P, P (steady); a STOPPED rspec is ignored;
    rspec in another pipeline file on X only passes (not flaky there). Commit Y: e2e F, F, P (1 flip / 2)."""
    pipelines = [
        pipeline(f"x{i}", created=10 * i, done=10 * i + 5, result="PASSED", commit="X", branch=b)
        for i, b in ((1, "master"), (2, "master"), (3, "feature"), (4, "master"))
    ]
    pipelines += [
        pipeline(f"y{i}", created=100 + 10 * i, done=105 + 10 * i, result="PASSED", commit="Y")
        for i in (1, 2, 3)
    ]
    pipelines.append(
        pipeline("o1", created=50, done=55, result="PASSED", commit="X", file=".semaphore/other.yml")
    )
    jobs = [
        job("j1", "x1", name="rspec", result="PASSED", start=11, finish=12),
        job("j2", "x2", name="rspec", result="FAILED", start=21, finish=22),
        job("j3", "x3", name="rspec", result="PASSED", start=31, finish=32),
        job("j4", "x4", name="rspec", result="STOPPED", start=41, finish=42),
        job("l1", "x1", name="lint", result="PASSED", start=11, finish=12),
        job("l2", "x2", name="lint", result="PASSED", start=21, finish=22),
        job("o1", "o1", name="rspec", result="PASSED", start=51, finish=52),
        job("e1", "y1", name="e2e", result="FAILED", start=111, finish=112),
        job("e2", "y2", name="e2e", result="FAILED", start=121, finish=122),
        job("e3", "y3", name="e2e", result="PASSED", start=131, finish=132),
    ]
    return {"pipelines": pipelines, "jobs": jobs}


def test_flaky_jobs_per_commit(build: Build) -> None:
    rows = build(flaky_world(), names=["flaky_jobs"])["flaky_jobs"]
    assert sorted((r["commit_sha"], r["job_name"]) for r in rows) == [("X", "rspec"), ("Y", "e2e")]
    rspec = one(rows, commit_sha="X", job_name="rspec")
    assert rspec["pipeline_file"] == ".semaphore/semaphore.yml"
    assert (rspec["runs"], rspec["passed_runs"], rspec["failed_runs"], rspec["flips"]) == (3, 2, 1, 2)
    assert rspec["flip_rate"] == 1.0
    assert rspec["last_seen"] == at(32) and rspec["first_seen"] == at(12)
    assert rspec["last_result"] == "PASSED"
    assert rspec["branches"] == "feature,master"
    e2e = one(rows, commit_sha="Y", job_name="e2e")
    assert (e2e["runs"], e2e["flips"], e2e["flip_rate"]) == (3, 1, 0.5)


def test_flaky_job_summary(build: Build) -> None:
    rows = build(flaky_world(), names=["flaky_job_summary"])["flaky_job_summary"]
    assert [(r["job_name"], r["flaky_commits"], r["runs"], r["flips"]) for r in rows] == [
        ("rspec", 1, 3, 2),
        ("e2e", 1, 3, 1),
    ]
    assert one(rows, job_name="e2e")["flip_rate"] == 0.5


# --- MTTR ---------------------------------------------------------------------------------------------------


def mttr_world() -> dict[str, list[dict]]:
    """CI (master, semaphore.yml) results by done time: P0 F10 F20 [STOPPED 55] P50 P60 F100 P130 F200.
    Episodes: 10->50 (40 min), 100->130 (30 min), 200->open. A feature-branch failure is out of scope.
    CD (promoted production.yml on master): F300 P330 (30 min)."""
    seq = [
        (0, "PASSED"),
        (10, "FAILED"),
        (20, "FAILED"),
        (55, "STOPPED"),
        (50, "PASSED"),
        (60, "PASSED"),
        (100, "FAILED"),
        (130, "PASSED"),
        (200, "FAILED"),
    ]
    pipelines = [pipeline(f"ci{t}", created=t - 5, done=t, result=r) for t, r in seq]
    pipelines.append(pipeline("feat", created=140, done=145, result="FAILED", branch="feature"))
    pipelines += [
        pipeline(
            "cd300",
            created=290,
            done=300,
            result="FAILED",
            file=".semaphore/production.yml",
            triggered_by="PROMOTION",
        ),
        pipeline(
            "cd330",
            created=320,
            done=330,
            result="PASSED",
            file=".semaphore/production.yml",
            triggered_by="AUTO_PROMOTION",
        ),
    ]
    return {"pipelines": pipelines}


def test_mttr_ci_and_cd_scopes(build: Build) -> None:
    rows = build(mttr_world(), names=["mttr"])["mttr"]
    ci = one(rows, scope="CI")
    assert (ci["branch_name"], ci["pipeline_file"]) == ("master", ".semaphore/semaphore.yml")
    assert (ci["runs"], ci["passed_runs"], ci["failed_runs"]) == (8, 4, 4)
    assert (ci["failure_episodes"], ci["recoveries"]) == (3, 2)
    assert ci["mttr_s"] == 35 * MIN
    assert ci["median_recovery_s"] == 35 * MIN and ci["max_recovery_s"] == 40 * MIN
    assert ci["failing_since"] == at(200)
    assert ci["last_success_at"] == at(130) and ci["last_success_ppl_id"] == "ci130"
    assert ci["last_result"] == "FAILED" and ci["last_run_at"] == at(200)
    cd = one(rows, scope="CD")
    assert cd["pipeline_file"] == ".semaphore/production.yml"
    assert (cd["mttr_s"], cd["failing_since"], cd["last_success_ppl_id"]) == (30 * MIN, None, "cd330")


def test_mttr_configured_branch_and_files(build: Build) -> None:
    config = InsightsConfig(ci_branch="feature", cd_pipeline_file=".semaphore/semaphore.yml")
    rows = build(mttr_world(), config, names=["mttr"])["mttr"]
    ci = one(rows, scope="CI")
    assert (ci["branch_name"], ci["runs"], ci["failing_since"], ci["last_success_at"]) == (
        "feature",
        1,
        at(145),
        None,
    )
    cd = one(rows, scope="CD")  # CD now = master + semaphore.yml, i.e. the CI history above
    assert cd["mttr_s"] == 35 * MIN


def test_mttr_default_branch_main_over_busier_branch(build: Build) -> None:
    pipelines = [pipeline(f"m{i}", created=i, done=i + 1, result="PASSED", branch="main") for i in range(2)]
    pipelines += [pipeline(f"f{i}", created=i, done=i + 1, result="FAILED", branch="dev") for i in range(5)]
    rows = build({"pipelines": pipelines}, names=["mttr"])["mttr"]
    assert one(rows, scope="CI")["branch_name"] == "main"


# --- stage split and queue wait ----------------------------------------------------------------------------


def test_stage_split_per_pipeline_and_summary(build: Build) -> None:
    pipelines = [
        pipeline(
            "a",
            created=0,
            pending=5 / MIN,
            queuing=7 / MIN,
            running=67 / MIN,
            done=667 / MIN,
            result="PASSED",
        ),
        pipeline("b", created=1, pending=1 + 3 / MIN, queuing=1 + 4 / MIN),  # still queuing
    ]
    out = build({"pipelines": pipelines}, names=["pipeline_stage_summary"])
    a = one(out["pipeline_stages"], ppl_id="a")
    assert (a["initialization_s"], a["pending_s"], a["queue_s"], a["run_s"], a["total_s"]) == pytest.approx(
        (5, 2, 60, 600, 667)
    )
    b = one(out["pipeline_stages"], ppl_id="b")
    assert (b["initialization_s"], b["pending_s"]) == pytest.approx((3, 1))
    assert b["queue_s"] is None and b["run_s"] is None and b["total_s"] is None
    # Dated by done_at, as performance dates a pipeline: b (still queuing) has no day yet and is
    # summarised once it is done.
    assert a["day"].isoformat() == "2026-10-01" and b["day"] is None
    summary = out["pipeline_stage_summary"]
    init = one(summary, stage="initialization")
    assert init["pipelines"] == 1 and init["mean_s"] == pytest.approx(5)
    assert one(summary, stage="queue")["pipelines"] == 1


def test_job_queue_wait_by_machine_and_agent_type(build: Build) -> None:
    jobs = [job(f"c{i}", "p", created=0, start=w / MIN, finish=5) for i, w in enumerate((10, 20, 30))]
    jobs.append(job("s", "p", created=0, start=100 / MIN, finish=5, machine_type="s1-aws", agent_name="a1"))
    jobs.append(job("never", "p", created=0, start=None, finish=None, result="STOPPED"))
    rows = build({"jobs": jobs}, names=["job_queue_wait"])["job_queue_wait"]
    cloud = one(rows, runner="CLOUD")
    assert (cloud["machine_type"], cloud["jobs"]) == ("e1-standard-2", 3)
    assert (cloud["mean_s"], cloud["median_s"], cloud["max_s"]) == pytest.approx((20, 20, 30))
    assert cloud["p95_s"] == pytest.approx(29)
    hosted = one(rows, runner="SELF_HOSTED")
    assert (hosted["machine_type"], hosted["jobs"], hosted["mean_s"]) == ("s1-aws", 1, pytest.approx(100))


# --- agent utilization and failing commands ------------------------------------------------------------------


def test_agent_utilization_from_snapshots(build: Build) -> None:
    """Agent a1 (s1-aws) connected at 00:00 and listed in a snapshot at 12:00. It ran a 3 h job; another
    1 h job ran on an agent gone before the snapshot. The day had at least 2 agents (2 ran jobs, 1 in the
    snapshot): 4 h of jobs over 2 x 24 h. Observed: a1's 12 h window, 3 h busy."""
    agents = [
        {
            "name": "a1",
            "type": "s1-aws",
            "connected_at": at(0),
            "state": "RUNNING_JOB",
            "snapshot_at": at(720),
        }
    ]
    jobs = [
        job("j1", "p", created=50, start=60, finish=240, machine_type="s1-aws", agent_name="a1"),
        job("j2", "p", created=290, start=300, finish=360, machine_type="s1-aws", agent_name="gone"),
    ]
    rows = build(
        {"agents": agents, "jobs": jobs, "agent_types": [{"name": "s1-aws"}]}, names=["agent_utilization"]
    )["agent_utilization"]
    day = one(rows, agent_type="s1-aws")
    assert (day["snapshot_agents"], day["job_agents"], day["agents"]) == (1, 2, 2)
    assert day["capacity_s"] == 2 * 86400 and day["job_s"] == 4 * 3600 and day["jobs"] == 2
    assert day["utilization"] == pytest.approx(4 / 48)
    assert day["agents_observed"] == 1
    assert day["available_s"] == 12 * 3600 and day["busy_s"] == 3 * 3600
    assert day["observed_utilization"] == 0.25
    assert day["running_share_at_snapshots"] == 1.0


def test_agent_count_comes_from_the_latest_snapshot_before_the_day_ends(build: Build) -> None:
    """Snapshots: 3 agents on day 0 at 12:00, 1 agent on day 2. Day 1 uses day 0's snapshot (3); a day
    before any snapshot uses the first one."""
    agents = [
        {
            "name": f"a{i}",
            "type": "s1-x",
            "connected_at": at(-60),
            "state": "WAITING_FOR_JOB",
            "snapshot_at": at(720),
        }
        for i in range(3)
    ]
    agents.append(
        {
            "name": "a0",
            "type": "s1-x",
            "connected_at": at(-60),
            "state": "RUNNING_JOB",
            "snapshot_at": at(2 * 1440 + 60),
        }
    )
    jobs = [
        job(
            f"j{d}",
            "p",
            created=d * 1440 + 60,
            start=d * 1440 + 60,
            finish=d * 1440 + 120,
            machine_type="s1-x",
            agent_name="a0",
        )
        for d in (-1, 1, 2)
    ]
    rows = build({"agents": agents, "jobs": jobs}, names=["agent_utilization"])["agent_utilization"]
    by_day = {(r["day"] - at(0).date()).days: r for r in rows}
    assert {d: r["snapshot_agents"] for d, r in by_day.items()} == {-1: 3, 0: 3, 1: 3, 2: 1}
    assert by_day[1]["utilization"] == pytest.approx(3600 / (3 * 86400))
    assert by_day[2]["running_share_at_snapshots"] == 1.0 and by_day[0]["running_share_at_snapshots"] == 0.0


def test_failing_commands_from_log_events(build: Build) -> None:
    events = [
        {
            "job_id": "j1",
            "seq": 3,
            "event": "CMD_FINISHED",
            "directive": "make test",
            "exit_code": 1,
            "started_at": at(0),
            "finished_at": at(2),
        },
        {
            "job_id": "j1",
            "seq": 5,
            "event": "CMD_FINISHED",
            "directive": "make lint",
            "exit_code": 0,
            "started_at": at(2),
            "finished_at": at(3),
        },
        {
            "job_id": "j2",
            "seq": 3,
            "event": "CMD_FINISHED",
            "directive": "make test",
            "exit_code": 2,
            "started_at": at(10),
            "finished_at": at(14),
        },
        {"job_id": "j2", "seq": 4, "event": "JOB_FINISHED", "result": "FAILED", "timestamp": at(14)},
        {
            "job_id": "j3",
            "seq": 2,
            "event": "CMD_FINISHED",
            "directive": "make deploy",
            "exit_code": 127,
            "started_at": at(20),
            "finished_at": at(21),
        },
    ]
    jobs = [job("j1", "x", name="unit"), job("j2", "x", name="unit 2/2"), job("j3", "x", name="deploy")]
    rows = build({"job_log_events": events, "jobs": jobs}, names=["failing_commands"])["failing_commands"]
    assert [(r["directive"], r["failures"], r["rank"]) for r in rows] == [
        ("make test", 2, 1),
        ("make deploy", 1, 2),
    ]
    test = one(rows, directive="make test")
    assert (test["jobs"], test["job_names"], test["exit_codes"]) == (2, 2, "1,2")
    assert test["last_failed_at"] == at(14) and test["mean_duration_s"] == 3 * MIN


# --- missing tables and columns ------------------------------------------------------------------------------


def test_every_insight_builds_on_an_empty_database(build: Build) -> None:
    out = build({})
    assert set(out) == set(insight_names()) and len(out) == 22
    assert all(rows == [] for rows in out.values())


def test_missing_columns_are_null_not_errors(build: Build) -> None:
    """dlt creates no column that only ever held NULL: no `running_at`, no `pipeline_file`, no agents."""
    rows = [pipeline("a", created=0, done=10, result="PASSED")]
    for r in rows:
        del r["running_at"], r["pipeline_file"]
    out = build({"pipelines": rows})
    assert one(out["pipeline_stages"], ppl_id="a")["run_s"] is None
    assert one(out["pipeline_performance"], outcome="ALL")["pipeline_file"] == ".semaphore/semaphore.yml"
    assert out["agent_utilization"] == []


# --- partial days and completed loads (DuckDB: the load time is set by hand) ---------------------------------


def _duckdb_build(tmp_path: Path, tables: dict, **load) -> dict:
    path = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(path))
    try:
        write_tables(con, tables, **load)
    finally:
        con.close()
    return build_insights(DbtTarget(kind="duckdb", duckdb_path=str(path)), names=["agent_utilization"])


def test_agent_utilization_stays_within_0_1_on_a_day_not_yet_over(tmp_path: Path) -> None:
    """Loaded at 06:00, the day has 6 h elapsed. s1-a's agent a1 (connected 00:00, in the 06:00 snapshot)
    ran jobs 00:00-04:00 and 02:00-05:00 (7 h of job time, overlapping): an agent runs one job at a time,
    so it counts as 6 h, over 1 agent x 6 h: utilization 1, observed 6 h busy of 6 h. (Busy over the
    whole day's 24 h would read 0.29; busy over observed time uncapped, 7 h / 6 h = 1.17.) s1-b's b1 ran
    01:00-04:00: 3 h over 6 h = 0.5."""
    agents = [
        {"name": n, "type": t, "connected_at": at(0), "state": "RUNNING_JOB", "snapshot_at": at(360)}
        for n, t in (("a1", "s1-a"), ("b1", "s1-b"))
    ]
    jobs = [
        job("j1", "p", created=0, start=0, finish=240, machine_type="s1-a", agent_name="a1"),
        job("j2", "p", created=0, start=120, finish=300, machine_type="s1-a", agent_name="a1"),
        job("j3", "p", created=0, start=60, finish=240, machine_type="s1-b", agent_name="b1"),
    ]
    rows = _duckdb_build(tmp_path, {"agents": agents, "jobs": jobs}, loaded_at=at(360))["agent_utilization"]
    a = one(rows, agent_type="s1-a")
    assert (a["agents"], a["capacity_s"], a["job_s"]) == (1, 6 * 3600, 6 * 3600)
    assert a["utilization"] == 1.0
    assert (a["available_s"], a["busy_s"], a["observed_utilization"]) == (6 * 3600, 6 * 3600, 1.0)
    b = one(rows, agent_type="s1-b")
    assert b["utilization"] == pytest.approx(0.5) and b["observed_utilization"] == pytest.approx(0.5)
    for r in rows:
        for column in ("utilization", "observed_utilization", "running_share_at_snapshots"):
            assert r[column] is None or 0 <= r[column] <= 1, (r["agent_type"], column, r[column])


def test_rows_of_an_unfinished_load_are_not_read(tmp_path: Path) -> None:
    """A load whose `_dlt_loads` row is not status 0 (still loading, or failed) is invisible."""
    path = tmp_path / "half.duckdb"
    con = duckdb.connect(str(path))
    try:
        rows = [
            pipeline("a", created=0, done=10, result="PASSED"),
            pipeline("b", created=0, done=10, result="FAILED"),
        ]
        write_tables(con, {"pipelines": rows}, load_id="1.1")
        con.execute("UPDATE semaphore.pipelines SET _dlt_load_id = '2.2' WHERE ppl_id = 'b'")
        con.execute("INSERT INTO semaphore._dlt_loads VALUES ('2.2', 'semaphore', 1, now(), NULL)")
    finally:
        con.close()
    out = build_insights(DbtTarget(kind="duckdb", duckdb_path=str(path)), names=["pipeline_reliability"])
    (row,) = out["pipeline_reliability"]
    assert (row["all_count"], row["passed_count"], row["failed_count"]) == (1, 1, 0)


def test_no_completed_load_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "never.duckdb"
    con = duckdb.connect(str(path))
    try:
        write_tables(con, {"pipelines": [pipeline("a", created=0, done=10, result="PASSED")]}, load_status=1)
    finally:
        con.close()
    out = build_insights(DbtTarget(kind="duckdb", duckdb_path=str(path)), names=["pipeline_frequency"])
    assert out["pipeline_frequency"] == []


def test_a_table_without_load_ids_is_read_whole(tmp_path: Path) -> None:
    """dlt adds no `_dlt_load_id` to rows it receives as Arrow tables (the job log events): such a table
    cannot be filtered by load and is read whole, not dropped."""
    path = tmp_path / "arrow.duckdb"
    con = duckdb.connect(str(path))
    try:
        event = {"job_id": "j1", "seq": 1, "event": "CMD_FINISHED", "directive": "make", "exit_code": 2}
        write_tables(con, {"job_log_events": [event], "jobs": [job("j1", "x")]})
        con.execute("ALTER TABLE semaphore.job_log_events DROP COLUMN _dlt_load_id")
    finally:
        con.close()
    out = build_insights(DbtTarget(kind="duckdb", duckdb_path=str(path)), names=["failing_commands"])
    assert [(r["directive"], r["failures"]) for r in out["failing_commands"]] == [("make", 1)]
