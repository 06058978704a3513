"""The Semaphore-parity models agree with the emulator's insights endpoints on a generated world, and the
test-result, secret and notification insights agree with the world's ground truth.

The emulator answers from its world model by Semaphore's rules (emulator/insights.py), independently of the
dbt models: every (project, pipeline file, branch) key Semaphore computes is compared, DAILY and RANGE, by
calling the endpoint as a function on the small world and over real HTTP on the tiny world. The test-result,
secret and notification insights are recomputed in plain Python from the ground truth (results_reference.py)
and held against the models; the world's designed flaky tests (they flip on re-runs) show among them.
"""

import json
from datetime import timedelta
from pathlib import Path

import pytest

from semaphore_dagster.emulator import World
from semaphore_dagster.emulator.insights import describe_project_performance, insights_response
from semaphore_dagster.emulator.test_reports import flaky_catalog
from semaphore_dagster_tests.insights import results_reference as reference
from semaphore_dagster_tests.insights.agreement import ParityModels, assert_endpoints_agree, fetch, fetch_json
from semaphore_dagster_tests.insights.parity_support import rows, world_models
from semaphore_dagster_tests.insights.tables import ground_truth_tables


def range_vars(world: World) -> dict[str, str]:
    """The page's default range on the world's today: 30 days ago to yesterday."""
    today = world.now().date()
    return {
        "semaphore_range_from": (today - timedelta(days=30)).isoformat(),
        "semaphore_range_to": (today - timedelta(days=1)).isoformat(),
    }


@pytest.fixture(scope="module")
def small_models(small_world: World, tmp_path_factory: pytest.TempPathFactory) -> ParityModels:
    db = world_models(
        small_world, tmp_path_factory.mktemp("agree"), "+path:models/semaphore", range_vars(small_world)
    )
    return ParityModels(db, small_world.now().date())


def test_every_key_agrees_with_the_emulator(small_world: World, small_models: ParityModels) -> None:
    def answer(project: str, kind: str, query: dict[str, str]) -> object:
        response = insights_response(small_world, project, kind, query)
        assert response.status == 200
        return json.loads(response.body)

    compared = assert_endpoints_agree(answer, small_models)
    # 5 projects x (default branch + all branches) x files, over 14 days, 3 lists each.
    assert compared > 300
    assert len(small_models.days()) == 14  # every day before today of the world's history


def test_mttr_and_last_success_agree(small_world: World, small_models: ParityModels) -> None:
    for s in small_models.summary:
        reference = describe_project_performance(
            small_world,
            s["project_id"],
            s["pipeline_file_name"],
            s["branch_name"],
            s["range_from"],
            s["range_to"],
        )
        assert reference == {
            "mean_time_to_recovery_seconds": s["mean_time_to_recovery_seconds"],
            "last_successful_run_at": s["last_successful_run_at"],
        }, (s["project_id"], s["scope"])
    assert any(s["mean_time_to_recovery_seconds"] > 0 for s in small_models.summary)


def test_http_endpoints_agree_with_the_models(emulator, tmp_path: Path) -> None:
    world = emulator.world
    db = world_models(world, tmp_path, "+path:models/semaphore", range_vars(world))
    models = ParityModels(db, world.now().date())
    compared = assert_endpoints_agree(lambda p, k, q: fetch_json(emulator.base_url, p, k, q), models)
    assert compared > 0


def test_endpoint_errors_say_what_to_fix(emulator) -> None:
    world = emulator.world
    project = world.projects[0].id
    status, body = fetch(emulator.base_url, project, "performance", {})
    assert (status, json.loads(body)) == (400, "Missing required query parameter: pipeline_file")
    assert fetch(emulator.base_url, "no-such-project", "frequency", {"pipeline_file": "x"}) == (
        404,
        b"Not Found",
    )
    assert fetch(emulator.base_url, project, "latency", {"pipeline_file": "x"})[0] == 404
    world.features.discard("pipeline_summaries")
    try:
        status, body = fetch(emulator.base_url, project, "reliability", {"pipeline_file": "x"})
        assert (status, body) == (404, b"Feature is not enabled for your organization")
    finally:
        world.features.add("pipeline_summaries")


def test_no_default_range(small_world: World) -> None:
    """Without from/to Semaphore's public API filters nothing: every day before today."""
    project = small_world.projects[0]
    response = insights_response(
        small_world, project.id, "frequency", {"pipeline_file": project.pipeline_file}
    )
    days = [e["from_date"][:10] for e in json.loads(response.body)["metrics"]]
    today = small_world.now().date().isoformat()
    assert days == sorted(days) and len(days) == 14 and max(days) < today


def test_flaky_tests_agree_with_the_ground_truth(small_world: World, small_db: Path) -> None:
    truth = ground_truth_tables(small_world)
    expected = reference.flaky_test_commits(truth)
    got = {
        (r["project_id"], r["commit_sha"], r["test_id"]): (r["runs"], r["passed_runs"], r["failed_runs"])
        for r in rows(small_db, "flaky_test_commits")
    }
    assert got == expected and len(got) > 10
    summary = {(r["project_id"], r["test_id"]): r for r in rows(small_db, "flaky_test_summary")}
    assert set(summary) == {(p, t) for p, _, t in expected}
    for (project, test), r in summary.items():
        mine = [v for (p, _, t), v in expected.items() if (p, t) == (project, test)]
        assert (r["flaky_commits"], r["flaky_runs"]) == (len(mine), sum(v[0] for v in mine))
    designed = {t.id for p in small_world.projects for _, t in flaky_catalog(small_world, p.id)}
    assert len(designed & {t for _, t in summary}) >= 5  # the tests that flip on re-runs are found


def test_test_counts_agree_with_the_ground_truth(small_world: World, small_db: Path) -> None:
    truth = ground_truth_tables(small_world)
    expected = reference.pipeline_counts(truth)
    got = {
        r["ppl_id"]: (r["total"], r["failed"] + r["errors"], r["reused_reports"], r["reused_total"])
        for r in rows(small_db, "pipeline_test_counts")
    }
    assert got == expected
    assert sum(v[2] for v in got.values()) > 0  # the world has reused jobs: kept apart, not counted twice
    daily = rows(small_db, "test_counts_daily")
    assert sum(r["total"] for r in daily) == sum(v[0] for v in expected.values())
    runs = [c for c in truth["test_cases"] if c["state"] in ("PASSED", "FAILED", "ERROR")]
    assert sum(r["runs"] for r in rows(small_db, "test_weekly")) == len(runs)
    assert sum(r["failures"] for r in rows(small_db, "test_weekly")) == sum(
        1 for c in runs if c["state"] != "PASSED"
    )


def test_stale_secrets_and_notification_gaps_agree(small_world: World, small_db: Path) -> None:
    truth = ground_truth_tables(small_world)
    stale = rows(small_db, "stale_secrets")
    (as_of,) = {r["as_of"] for r in stale}
    assert {r["secret_id"] for r in stale} == reference.stale_secrets(truth, as_of)
    assert any(r["never_checked_out"] for r in stale)
    gaps = {
        r["project_id"]: (r["coverage"], r["partial_rules"])
        for r in rows(small_db, "projects_without_failure_notifications")
    }
    assert gaps == reference.failure_notification_gaps(truth)
    # the world's `ci-failures` rule covers every project but the last; `deploys` only its deploy pipeline
    last = small_world.list_projects()[-1]
    assert gaps == {last.id: ("PARTIAL", "deploys / production deploys")}
