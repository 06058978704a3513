"""The parity and DORA models on PostgreSQL: the hand-built world loaded by the real loader into a throwaway
PostgreSQL server gives the same rows as on DuckDB, hence the hand-worked figures."""

from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import make_pipeline, run_load, semaphore_source
from semaphore_dagster_tests.conftest import TEST_TOKEN
from semaphore_dagster_tests.insights.parity_support import canon, dbt_build, pg_rows, postgres_env, rows
from semaphore_dagster_tests.insights.parity_world import NOW, parity_world

VARS = {
    "ci_branch": "main",
    "cd_branch": "main",
    "semaphore_range_from": "2026-10-02",
    "semaphore_range_to": "2026-10-31",
}
SELECT = "+path:models/semaphore +path:models/dora"
MODELS = (
    "semaphore_pipeline_performance",
    "semaphore_pipeline_reliability",
    "semaphore_pipeline_frequency",
    "semaphore_mttr_episodes",
    "semaphore_project_summary",
    "dora_deploys",
    "dora_changes",
    "dora_keys",
)


@pytest.mark.slow
def test_postgres_equals_duckdb(pg_server, tmp_path: Path) -> None:
    url = pg_server.create_database("parity")
    with EmulatorServer(parity_world(), token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        for destination, credentials in (("postgres", url), ("duckdb", str(tmp_path / "loaded.duckdb"))):
            pipeline = make_pipeline(
                destination=destination,
                pipelines_dir=tmp_path / f"dlt-{destination}",
                credentials=credentials,
            )
            run_load(
                pipeline,
                semaphore_source(
                    base_url=server.base_url, api_token=TEST_TOKEN, start_date="2026-01-01", now=NOW
                ),
            )
    dbt_build(postgres_env(pg_server, "parity"), tmp_path / "pg", SELECT, VARS)
    dbt_build(tmp_path / "loaded.duckdb", tmp_path / "duck", SELECT, VARS)
    for model in MODELS:
        on_pg, on_duck = pg_rows(url, model), rows(tmp_path / "loaded.duckdb", model)
        assert on_duck, model
        assert canon(on_pg) == canon(on_duck), model
    (ci,) = [r for r in pg_rows(url, "semaphore_project_summary") if r["scope"] == "CI" and r["runs"] == 30]
    assert (ci["mean_seconds"], ci["std_dev_seconds"], ci["pass_rate_percent"]) == (260, 343, 86)
    assert ci["mean_time_to_recovery_seconds"] == 73200
