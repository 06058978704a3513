"""End to end: the dlt source loads the emulator over HTTP into DuckDB, dbt builds every model on what it
loaded (its tests passing), and the Semaphore-parity models agree with the emulator's insights endpoints."""

from datetime import timedelta
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import make_pipeline, run_load, semaphore_source
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN
from semaphore_dagster_tests.insights.agreement import ParityModels, assert_endpoints_agree, fetch_json
from semaphore_dagster_tests.insights.parity_support import dbt_build, rows
from semaphore_dagster_tests.insights.parity_world import NOW, WEB, parity_world


def load(server: EmulatorServer, tmp: Path, now) -> Path:
    db = tmp / "loaded.duckdb"
    pipeline = make_pipeline(pipelines_dir=tmp / "dlt", credentials=str(db))
    run_load(
        pipeline,
        semaphore_source(base_url=server.base_url, api_token=TEST_TOKEN, start_date="2026-01-01", now=now),
    )
    return db


@pytest.mark.slow
def test_loaded_data_agrees_with_the_emulator(emulator, tmp_path: Path) -> None:
    db = load(emulator, tmp_path, FIXED_NOW)
    today = FIXED_NOW.date()
    dbt_vars = {
        "semaphore_range_from": (today - timedelta(days=30)).isoformat(),
        "semaphore_range_to": (today - timedelta(days=1)).isoformat(),
    }
    dbt_build(db, tmp_path, "*", dbt_vars)  # every model and every dbt test
    for model in (
        "pipeline_performance",
        "mttr",
        "dora_summary",
        "dora_keys",
        "semaphore_project_summary",
    ):
        assert rows(db, model), model
    models = ParityModels(db, today)
    assert assert_endpoints_agree(lambda p, k, q: fetch_json(emulator.base_url, p, k, q), models) > 0


@pytest.mark.slow
def test_hand_built_world_through_the_loader(tmp_path: Path) -> None:
    """The parity world loaded over HTTP gives the hand-worked figures of test_parity_handbuilt.py."""
    with EmulatorServer(parity_world(), token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        db = load(server, tmp_path, NOW)
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
