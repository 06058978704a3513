"""End to end: the dlt source loads the emulator over HTTP into DuckDB and into PostgreSQL, dbt builds the
insights on what it loaded, their tests pass, the Semaphore-parity models agree with the emulator's own
insights endpoints (Semaphore's shapes and rules), and the test-result and notification insights equal
their recomputation from the emulator's ground truth."""

from datetime import timedelta
from pathlib import Path

import dlt
import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.insights import DbtTarget, connect
from semaphore_dagster.insights.runner import build, build_insights
from semaphore_dagster.semaphore import make_pipeline, run_load, semaphore_source
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN
from semaphore_dagster_tests.insights import results_reference as reference
from semaphore_dagster_tests.insights.agreement import ParityModels, assert_endpoints_agree, fetch_json
from semaphore_dagster_tests.insights.parity_support import dbt_build, rows
from semaphore_dagster_tests.insights.parity_world import NOW, WEB, parity_world


def assert_agrees(emulator, target: DbtTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    today = FIXED_NOW.date()
    # The page's range on the world's today (the models' default is the wall clock's).
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_RANGE_FROM", (today - timedelta(days=30)).isoformat())
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_RANGE_TO", (today - timedelta(days=1)).isoformat())
    result = build(target)
    assert [(n.name, n.message) for n in result.tests() if n.status != "pass"] == []
    assert len(result.tests()) >= 50

    def read(model: str) -> list[dict]:
        with connect(target) as query:
            return query.rows(f"SELECT * FROM {target.insights_schema}.{model}")

    models = ParityModels(read, today)
    assert assert_endpoints_agree(lambda p, k, q: fetch_json(emulator.base_url, p, k, q), models) > 0
    names = ["pipeline_performance", "mttr", "dora_summary", "failing_commands", "flaky_test_summary"]
    names += ["slowest_tests", "most_failing_tests", "test_counts_daily", "stale_secrets"]
    built = build_insights(target, names=[*names, "projects_without_failure_notifications"])
    assert [
        n for n, table in built.items() if not table and n != "projects_without_failure_notifications"
    ] == []
    truth = emulator.world.ground_truth()
    flaky = {
        (r["project_id"], r["commit_sha"], r["test_id"]): (r["runs"], r["passed_runs"], r["failed_runs"])
        for r in built["flaky_test_commits"]
    }
    assert flaky == reference.flaky_test_commits(truth)
    counts = {
        r["ppl_id"]: (r["total"], r["failed"] + r["errors"], r["reused_reports"], r["reused_total"])
        for r in built["pipeline_test_counts"]
    }
    assert counts == reference.pipeline_counts(truth)
    gaps = {
        r["project_id"]: (r["coverage"], r["partial_rules"])
        for r in built["projects_without_failure_notifications"]
    }
    assert gaps == reference.failure_notification_gaps(truth)


def source(emulator):
    return semaphore_source(
        base_url=emulator.base_url, api_token=TEST_TOKEN, start_date="2026-01-01", now=FIXED_NOW
    )


@pytest.mark.slow
def test_loaded_data_agrees_with_the_emulator(
    emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "loaded.duckdb"
    run_load(make_pipeline(pipelines_dir=tmp_path / "dlt", credentials=str(db)), source(emulator))
    assert_agrees(emulator, DbtTarget(kind="duckdb", duckdb_path=str(db)), monkeypatch)


@pytest.mark.slow
def test_loaded_into_postgres_agrees_with_the_emulator(
    emulator, pg_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same, loaded by dlt into PostgreSQL (dlt.destinations.postgres) and built there by dbt."""
    url = pg_server.create_database("e2e_insights")
    pipeline = dlt.pipeline(
        pipeline_name="semaphore_pg_e2e",
        destination=dlt.destinations.postgres(credentials=url),
        dataset_name="semaphore",
        pipelines_dir=str(tmp_path / "dlt"),
    )
    pipeline.run(source(emulator))  # dlt's default loader format for PostgreSQL (parquet is DuckDB's)
    assert_agrees(emulator, DbtTarget(kind="postgres", postgres_credentials=url), monkeypatch)


@pytest.mark.slow
def test_hand_built_world_through_the_loader(tmp_path: Path) -> None:
    """The parity world loaded over HTTP gives the hand-worked figures of test_parity_handbuilt.py."""
    with EmulatorServer(parity_world(), token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        db = tmp_path / "loaded.duckdb"
        run_load(
            make_pipeline(pipelines_dir=tmp_path / "dlt", credentials=str(db)),
            semaphore_source(
                base_url=server.base_url, api_token=TEST_TOKEN, start_date="2026-01-01", now=NOW
            ),
        )
        dbt_vars = {"ci_branch": "main", "cd_branch": "main", "semaphore_range_from": "2026-10-02"}
        dbt_build(
            db,
            tmp_path,
            "+path:models/semaphore +path:models/dora",
            {**dbt_vars, "semaphore_range_to": "2026-10-31"},
        )
        (ci,) = [
            r for r in rows(db, "semaphore_project_summary") if (r["project_id"], r["scope"]) == (WEB, "CI")
        ]
        assert (ci["mean_seconds"], ci["std_dev_seconds"], ci["pass_rate_percent"], ci["runs"]) == (
            260,
            343,
            86,
            30,
        )
        assert ci["mean_time_to_recovery_seconds"] == 73200
        (prod,) = [r for r in rows(db, "dora_keys") if r["target_name"] == "production"]
        assert (prod["push_to_deploy_median_seconds"], prod["change_failure_rate"]) == (6300.0, 0.25)
        assert prod["failed_deployment_recovery_median_seconds"] == 17400.0
        models = ParityModels(db, NOW.date())
        assert assert_endpoints_agree(lambda p, k, q: fetch_json(server.base_url, p, k, q), models) > 0
