"""Hand-built worlds for the insights over test results, secrets and notifications, with every row worked out
by hand: flaky tests per commit and per test, weekly durations and failures, slowest and most-failing tests,
test counts per pipeline and day, stale secrets, projects without failure notifications — through dbt, on
DuckDB and on PostgreSQL (loaded there by dlt)."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.insights import DbtTarget, InsightsConfig, build_insights
from semaphore_dagster_tests.insights.conftest import Build
from semaphore_dagster_tests.insights.tables import at, job, pipeline, write_tables

DAY = 24 * 60.0  # minutes
TEST_MODELS = [
    "flaky_test_commits",
    "flaky_test_summary",
    "test_weekly",
    "slowest_tests",
    "most_failing_tests",
    "pipeline_test_counts",
    "test_counts_daily",
]


def by(rows: list[dict], *keys: str) -> dict:
    out = {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}
    assert len(out) == len(rows), f"rows not unique by {keys}: {rows}"
    return out


# --- test results -------------------------------------------------------------------------------------------

TESTS = {  # test id -> (name, file, classname)
    "X": ("charges an invoice", "spec/billing_spec.rb", "billing.BillingSpec"),
    "Y": ("renders a refund", "spec/refund_spec.rb", "billing.RefundSpec"),
    "Z": ("expires the session", "spec/session_spec.rb", "auth.SessionSpec"),
    "F": ("lists the cart", "spec/cart_spec.rb", "shop.CartSpec"),
    "G": ("retries the webhook", "spec/hook_spec.rb", "shop.HookSpec"),
    "R": ("validates a token", "spec/token_spec.rb", "auth.TokenSpec"),
    "S": ("creates a user", "spec/user_spec.rb", "auth.UserSpec"),
}


def case(job_id: str, ppl_id: str, test_id: str, state: str, seconds: float) -> dict:
    name, file, classname = TESTS[test_id]
    return {
        "job_id": job_id,
        "ppl_id": ppl_id,
        "suite_id": "suite-1",
        "test_id": test_id,
        "file": file,
        "classname": classname,
        "name": name,
        "state": state,
        "duration_seconds": seconds,
        "failure_message": "expected 200, got 500" if state in ("FAILED", "ERROR") else None,
        "message_truncated": False,
    }


def report(job_row: dict, cases: list[dict], source_job_id: str | None = None) -> dict:
    counts = {s: sum(1 for c in cases if c["state"] == s) for s in ("PASSED", "FAILED", "ERROR", "SKIPPED")}
    return {
        "job_id": job_row["job_id"],
        "ppl_id": job_row["ppl_id"],
        "project_id": job_row["project_id"],
        "finish_time": job_row["finish_time"],
        "source_job_id": source_job_id,
        "outcome": "OK",
        "file": "test-results/junit.json",
        "total": len(cases),
        "passed": counts["PASSED"],
        "failed": counts["FAILED"],
        "errors": counts["ERROR"],
        "skipped": counts["SKIPPED"],
        "disabled": 0,
        "duration_seconds": sum(c["duration_seconds"] for c in cases),
    }


def results_world() -> dict[str, list[dict]]:
    """Project p1, minutes after T0 (Thursday 2026-10-01; its week starts Monday 09-28), a week before that:

    commit W (pW, done -7 days + 5 min): X passed 0.5 s, Y passed 3.0, F passed 5.0, G FAILED 0.3
    commit A (pA1, done 10):    X passed 1.0, Z passed 2.0, S skipped; a second job: R passed 0.2
    commit A (pA2, re-run, 30): X FAILED 1.5; the second job is reused from pA1 (source_job_id): its report
                                is pA1's. Its cases stored under the source job (as the loader does) and a
                                copy under its own id: R still ran once.
    commit B (pB1, 50 / pB2, 70): Y FAILED 3.0 / Y ERROR 3.2, X passed 1.1 / 0.9
    commit C (pC1, 90):         Z FAILED 2.5, F passed 1.0, G passed 0.3; another job published no report.

    Flaky: X on A only. Y failed twice on B (failing, not flaky); Z passed on A and failed on C (not flaky);
    G failed on W and passed on C (not flaky).
    """
    week_ago = -7 * DAY
    pipelines = [
        pipeline("pW", created=week_ago, done=week_ago + 5, result="FAILED", commit="W"),
        pipeline("pA1", created=0, done=10, result="PASSED", commit="A"),
        pipeline("pA2", created=20, done=30, result="FAILED", commit="A"),
        pipeline("pB1", created=40, done=50, result="FAILED", commit="B", branch="feature"),
        pipeline("pB2", created=60, done=70, result="FAILED", commit="B", branch="feature"),
        pipeline("pC1", created=80, done=90, result="FAILED", commit="C"),
    ]
    jobs = [
        job("jW", "pW", name="rspec", result="FAILED", start=week_ago + 1, finish=week_ago + 4),
        job("jA1", "pA1", name="rspec", start=1, finish=8),
        job("jA1b", "pA1", name="unit", start=1, finish=9),
        job("jA2", "pA2", name="rspec", result="FAILED", start=21, finish=28),
        job("jA2r", "pA2", name="unit", start=1, finish=9),  # reused: the source job's times
        job("jB1", "pB1", name="rspec", result="FAILED", start=41, finish=48),
        job("jB2", "pB2", name="rspec", result="FAILED", start=61, finish=68),
        job("jC1", "pC1", name="rspec", result="FAILED", start=81, finish=88),
        job("jC2", "pC1", name="lint", start=81, finish=85),
    ]
    j = {r["job_id"]: r for r in jobs}
    cases = {
        "jW": [
            case("jW", "pW", *t) for t in (("X", "PASSED", 0.5), ("Y", "PASSED", 3.0), ("F", "PASSED", 5.0))
        ]
        + [case("jW", "pW", "G", "FAILED", 0.3)],
        "jA1": [
            case("jA1", "pA1", *t)
            for t in (("X", "PASSED", 1.0), ("Z", "PASSED", 2.0), ("S", "SKIPPED", 0.0))
        ],
        "jA1b": [case("jA1b", "pA1", "R", "PASSED", 0.2)],
        "jA2": [case("jA2", "pA2", "X", "FAILED", 1.5)],
        "jB1": [case("jB1", "pB1", "Y", "FAILED", 3.0), case("jB1", "pB1", "X", "PASSED", 1.1)],
        "jB2": [case("jB2", "pB2", "Y", "ERROR", 3.2), case("jB2", "pB2", "X", "PASSED", 0.9)],
        "jC1": [
            case("jC1", "pC1", *t) for t in (("Z", "FAILED", 2.5), ("F", "PASSED", 1.0), ("G", "PASSED", 0.3))
        ],
    }
    reports = [report(j[job_id], rows) for job_id, rows in cases.items()]
    reports.append(report(j["jA2r"], cases["jA1b"], source_job_id="jA1b"))
    reports.append({**report(j["jC2"], []), "outcome": "NOT_FOUND", "file": None, "message": "no report"})
    test_cases = [c for rows in cases.values() for c in rows]
    test_cases.append(case("jA2r", "pA2", "R", "PASSED", 0.2))  # a copy under the reused job's own id
    return {"pipelines": pipelines, "jobs": jobs, "test_reports": reports, "test_cases": test_cases}


def finish(job_id: str) -> datetime:
    return {r["job_id"]: r["finish_time"] for r in results_world()["jobs"]}[job_id]


def test_flaky_tests_per_commit_and_per_test(build: Build) -> None:
    out = build(results_world(), names=["flaky_test_summary"])
    (commit,) = out["flaky_test_commits"]
    assert commit == {
        "project_id": "p1",
        "commit_sha": "A",
        "test_id": "X",
        "name": "charges an invoice",
        "file": "spec/billing_spec.rb",
        "classname": "billing.BillingSpec",
        "runs": 2,
        "passed_runs": 1,
        "failed_runs": 1,
        "first_seen": at(8),
        "last_seen": at(28),
        "last_state": "FAILED",
        "branches": "master",
    }
    (summary,) = out["flaky_test_summary"]
    assert summary == {
        "project_id": "p1",
        "test_id": "X",
        "name": "charges an invoice",
        "file": "spec/billing_spec.rb",
        "classname": "billing.BillingSpec",
        "flaky_commits": 1,
        "first_flaky_at": at(8),
        "last_flaky_at": at(28),
        "flaky_runs": 2,
        "flaky_failures": 1,
        "runs": 5,  # W, A1, A2, B1, B2
        "failures": 1,
        "failure_rate": pytest.approx(0.2),
    }


def test_weekly_durations_and_failures(build: Build) -> None:
    rows = build(results_world(), names=["test_weekly"])["test_weekly"]
    before, week = date(2026, 9, 21), date(2026, 9, 28)
    got = {
        (r["test_id"], r["week"]): (
            r["runs"],
            r["failures"],
            r["failure_rate"],
            r["mean_s"],
            r["p95_s"],
            r["max_s"],
        )
        for r in rows
    }
    approx = pytest.approx
    assert got == {
        ("X", before): (1, 0, 0.0, 0.5, 0.5, 0.5),
        ("Y", before): (1, 0, 0.0, 3.0, 3.0, 3.0),
        ("F", before): (1, 0, 0.0, 5.0, 5.0, 5.0),
        ("G", before): (1, 1, 1.0, approx(0.3), approx(0.3), approx(0.3)),
        # X: 1.0, 1.5, 1.1, 0.9 -> p95 at rank 2.85 of 0..3: 1.1 + 0.85 x 0.4
        ("X", week): (4, 1, 0.25, approx(1.125), approx(1.44), 1.5),
        ("Y", week): (2, 2, 1.0, approx(3.1), approx(3.19), 3.2),
        ("Z", week): (2, 1, 0.5, approx(2.25), approx(2.475), 2.5),
        ("F", week): (1, 0, 0.0, 1.0, 1.0, 1.0),
        ("G", week): (1, 0, 0.0, approx(0.3), approx(0.3), approx(0.3)),
        ("R", week): (1, 0, 0.0, approx(0.2), approx(0.2), approx(0.2)),  # once: the reused copy is not a run
    }
    assert all(r["project_id"] == "p1" for r in rows)
    assert ("S", week) not in got  # skipped: not a run


def test_slowest_tests_with_trend(build: Build) -> None:
    rows = by(build(results_world(), names=["slowest_tests"])["slowest_tests"], "test_id")
    got = {t: (r["rank"], r["trend"], r["runs"], r["previous_runs"]) for t, r in rows.items()}
    assert got == {
        "Y": (1, "STEADY", 2, 1),  # 3.19 vs 3.0: within 10 %
        "Z": (2, "NEW", 2, None),
        "X": (3, "SLOWER", 4, 1),  # 1.44 vs 0.5
        "F": (4, "FASTER", 1, 1),  # 1.0 vs 5.0
        "G": (5, "STEADY", 1, 1),
        "R": (6, "NEW", 1, None),
    }
    assert rows["X"]["p95_change_s"] == pytest.approx(0.94)
    assert rows["Z"]["previous_p95_s"] is None and rows["Z"]["p95_change_s"] is None
    assert {(r["week"], r["previous_week"]) for r in rows.values()} == {
        (date(2026, 9, 28), date(2026, 9, 21))
    }


def test_most_failing_tests_with_trend(build: Build) -> None:
    rows = by(build(results_world(), names=["most_failing_tests"])["most_failing_tests"], "test_id")
    got = {
        t: (r["rank"], r["trend"], r["runs"], r["failures"], r["previous_runs"], r["previous_failures"])
        for t, r in rows.items()
    }
    assert got == {
        "Y": (1, "WORSE", 2, 2, 1, 0),
        "X": (2, "WORSE", 4, 1, 1, 0),
        "Z": (2, "NEW", 2, 1, 0, 0),
        "G": (4, "BETTER", 1, 0, 1, 1),
    }
    assert (rows["Y"]["failure_rate"], rows["Y"]["previous_failure_rate"]) == (1.0, 0.0)
    assert rows["Z"]["previous_failure_rate"] is None
    assert {t: (r["total_runs"], r["total_failures"]) for t, r in rows.items()} == {
        "Y": (3, 2),
        "X": (5, 1),
        "Z": (2, 1),
        "G": (2, 1),
    }


def test_test_counts_per_pipeline_and_day(build: Build) -> None:
    out = build(results_world(), names=["test_counts_daily"])
    pipelines = by(out["pipeline_test_counts"], "ppl_id")
    columns = ("reports", "total", "passed", "failed", "errors", "skipped", "reused_reports", "reused_total")
    assert {p: tuple(r[c] for c in columns) for p, r in pipelines.items()} == {
        "pW": (1, 4, 3, 1, 0, 0, 0, 0),
        "pA1": (2, 4, 3, 0, 0, 1, 0, 0),
        "pA2": (1, 1, 0, 1, 0, 0, 1, 1),  # the reused job's test is pA1's, kept apart
        "pB1": (1, 2, 1, 1, 0, 0, 0, 0),
        "pB2": (1, 2, 1, 0, 1, 0, 0, 0),
        "pC1": (1, 3, 2, 1, 0, 0, 0, 0),  # the job without a report adds nothing
    }
    assert pipelines["pA1"]["duration_s"] == pytest.approx(3.2)
    assert (pipelines["pB1"]["branch_name"], pipelines["pB1"]["commit_sha"]) == ("feature", "B")
    assert pipelines["pC1"]["done_at"] == at(90) and pipelines["pC1"]["day"] == date(2026, 10, 1)
    daily = by(out["test_counts_daily"], "day")
    columns = ("pipelines", "reports", "total", "passed", "failed", "errors", "skipped")
    assert {d: tuple(r[c] for c in columns) for d, r in daily.items()} == {
        date(2026, 9, 24): (1, 1, 4, 3, 1, 0, 0),
        date(2026, 10, 1): (5, 6, 12, 7, 3, 1, 1),
    }
    assert daily[date(2026, 10, 1)]["failed_share"] == pytest.approx(4 / 12)


def test_no_test_results_builds_empty(build: Build) -> None:
    out = build({"pipelines": results_world()["pipelines"]}, names=TEST_MODELS)
    assert {name: out[name] for name in TEST_MODELS} == {name: [] for name in TEST_MODELS}


# --- stale secrets -----------------------------------------------------------------------------------------


def secret(secret_id: str, checkout_at: datetime | None, project: str | None = None) -> dict:
    created = datetime(2025, 1, 1, tzinfo=UTC)
    return {
        "id": secret_id,
        "name": f"{secret_id}-name",
        "scope": "PROJECT" if project else "ORGANIZATION",
        "project_id": project,
        "create_time": created,
        "update_time": created,
        "checkout_at": checkout_at,
        "content_included": False,
        "env_var_names": ["TOKEN"],
        "file_paths": [],
    }


def test_stale_secrets_boundary_at_n_days(tmp_path: Path) -> None:
    """As of the load (stored at L): checked out exactly N days before L is stale, one second later is not;
    never checked out is stale and flagged. N from InsightsConfig (dbt var), 90 by default."""
    loaded = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    secrets = [
        secret("at-90-days", loaded - timedelta(days=90)),
        secret("under-90-days", loaded - timedelta(days=90) + timedelta(seconds=1)),
        secret("never", None),
        secret("yesterday", loaded - timedelta(days=1)),
        secret("project-200-days", loaded - timedelta(days=200), project="p1"),
    ]
    path = tmp_path / "secrets.duckdb"
    con = duckdb.connect(str(path))
    try:
        write_tables(con, {"secrets": secrets}, loaded_at=loaded)
    finally:
        con.close()
    target = DbtTarget(kind="duckdb", duckdb_path=str(path))

    rows = by(build_insights(target, names=["stale_secrets"])["stale_secrets"], "secret_id")
    assert list(rows) == ["never", "project-200-days", "at-90-days"]  # never first, then oldest checkout
    got = {s: (r["never_checked_out"], r["days_since_checkout"], r["scope"]) for s, r in rows.items()}
    assert got == {
        "never": (True, None, "ORGANIZATION"),
        "project-200-days": (False, 200, "PROJECT"),
        "at-90-days": (False, 90, "ORGANIZATION"),
    }
    assert {(r["as_of"], r["stale_secret_days"], r["days_since_created"]) for r in rows.values()} == {
        (loaded, 90, 669)
    }
    assert rows["project-200-days"]["project_id"] == "p1"

    config = InsightsConfig(stale_secret_days=30)
    rows = by(build_insights(target, config, names=["stale_secrets"])["stale_secrets"], "secret_id")
    assert sorted(rows) == ["at-90-days", "never", "project-200-days", "under-90-days"]
    assert {r["stale_secret_days"] for r in rows.values()} == {30}


def test_stale_secrets_on_both_backends(build: Build) -> None:
    """The same rule with the load's own time as as_of (dlt stores it when it loads)."""
    now = datetime.now(UTC)
    secrets = [secret("old", now - timedelta(days=100)), secret("recent", now - timedelta(days=80))]
    secrets.append(secret("never", None))
    rows = by(build({"secrets": secrets}, names=["stale_secrets"])["stale_secrets"], "secret_id")
    assert {s: (r["never_checked_out"], r["days_since_checkout"]) for s, r in rows.items()} == {
        "never": (True, None),
        "old": (False, 100),
    }
    assert all(now - timedelta(minutes=10) < r["as_of"] < now + timedelta(minutes=10) for r in rows.values())


def test_stale_secret_days_must_be_a_positive_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="stale_secret_days must be a whole number of days > 0"):
        InsightsConfig(stale_secret_days=0)
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_STALE_SECRET_DAYS", "ninety")
    with pytest.raises(ValueError, match="SEMAPHORE_INSIGHTS_STALE_SECRET_DAYS must be a whole number"):
        InsightsConfig.from_env()
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_STALE_SECRET_DAYS", "45")
    assert InsightsConfig.from_env().dbt_vars()["stale_secret_days"] == "45"


# --- projects without failure notifications -----------------------------------------------------------------


def rule(name: str, projects: list[str], results: list[str], pipelines=(), **targets: str) -> dict:
    """A stored rule (endpoints, cc/bcc and the webhook secret dropped); targets: kind=status."""
    keep = {
        "slack": ("channels", "message"),
        "email": ("subject", "content"),
        "webhook": ("timeout", "action"),
    }
    notify = {
        kind: ({k: None for k in keep[kind]} | {"status": targets[kind]}) if kind in targets else None
        for kind in ("slack", "email", "webhook")
    }
    return {
        "name": name,
        "filter": {
            "projects": projects,
            "branches": [],
            "pipelines": list(pipelines),
            "blocks": [],
            "states": ["FINISHED"],
            "results": results,
            "tags": [],
        },
        "notify": notify,
    }


def notifications_world() -> dict[str, list[dict]]:
    """Six projects; rules:

    team / api failures:      projects [api], results [] (every result), Slack ACTIVE        -> api covered
    team / billing by regex:  projects [/^bill/], results [/^fail/], e-mail ACTIVE            -> billing covered
    passes / web passes:      projects [web], results [passed] only                           -> web: NONE
    muted / quiet:            projects [infra], results [failed], Slack INACTIVE              -> infra: NONE, inactive
    deploys / deploy hook:    projects [mobile], results [failed], pipelines [deploy.yml]     -> mobile: PARTIAL
    empty / nobody:           projects [] (Semaphore matches no project), results [failed]    -> docs: NONE
    """
    names = ("api", "web", "billing", "infra", "mobile", "docs")
    projects = [{"id": f"p-{n}", "name": n} for n in names]
    notes = [
        (
            "team",
            [
                rule("api failures", ["api"], [], slack="ACTIVE"),
                rule("billing by regex", ["/^bill/"], ["/^fail/"], email="ACTIVE"),
            ],
        ),
        ("passes", [rule("web passes", ["web"], ["passed"], slack="ACTIVE")]),
        ("muted", [rule("quiet", ["infra"], ["failed"], slack="INACTIVE")]),
        (
            "deploys",
            [rule("deploy hook", ["mobile"], ["failed"], [".semaphore/deploy.yml"], webhook="ACTIVE")],
        ),
        ("empty", [rule("nobody", [], ["failed"], slack="ACTIVE")]),
    ]
    notifications = [
        {"id": f"n-{name}", "name": name, "create_time": at(0), "update_time": at(0), "rules": rules}
        for name, rules in notes
    ]
    return {"projects": projects, "notifications": notifications}


def test_projects_without_failure_notifications(build: Build) -> None:
    name = "projects_without_failure_notifications"
    rows = build(notifications_world(), names=[name])[name]
    assert rows == [
        {
            "project_id": "p-docs",
            "project_name": "docs",
            "coverage": "NONE",
            "partial_rules": None,
            "inactive_rules": None,
        },
        {
            "project_id": "p-infra",
            "project_name": "infra",
            "coverage": "NONE",
            "partial_rules": None,
            "inactive_rules": "muted / quiet",
        },
        {
            "project_id": "p-web",
            "project_name": "web",
            "coverage": "NONE",
            "partial_rules": None,
            "inactive_rules": None,
        },
        {
            "project_id": "p-mobile",
            "project_name": "mobile",
            "coverage": "PARTIAL",
            "partial_rules": "deploys / deploy hook",
            "inactive_rules": None,
        },
    ]
    world = notifications_world()
    world["notifications"].append(
        {
            "id": "n-all",
            "name": "everyone",
            "rules": [rule("all projects", ["/.*/"], ["failed"], webhook="ACTIVE")],
        }
    )
    assert build(world, names=[name])[name] == []  # a regex rule for every project covers all
