"""The insight assets and checks run in real Dagster against a DuckDB file holding an emulator world."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from semaphore_dagster.defs.insights.assets import build_insight_assets
from semaphore_dagster.defs.insights.checks import ci_insights_checks
from semaphore_dagster.insights import INSIGHTS
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster_tests.conftest import make_world
from semaphore_dagster_tests.insights.tables import ground_truth_tables, write_tables

defs = dg.Definitions(
    assets=build_insight_assets(),
    asset_checks=[ci_insights_checks],
    resources={"destination": DestinationResource()},
)


def _resources(path: Path) -> dict:
    return {"destination": DestinationResource(duckdb_path=str(path))}


@pytest.fixture
def loaded_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny world's raw tables (no insights yet) in the file the loader's config points at."""
    path = tmp_path / "loaded.duckdb"
    con = duckdb.connect(str(path))
    write_tables(con, ground_truth_tables(make_world("tiny")))
    con.close()
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(path))
    return path


def test_definitions_shape() -> None:
    assets = list(defs.assets)
    assert len(assets) == len(INSIGHTS)
    graph = defs.resolve_asset_graph()
    for name, insight in INSIGHTS.items():
        key = dg.AssetKey(["semaphore_insights", name])
        node = graph.get(key)
        assert node.group_name == "ci_insights"
        expected = {dg.AssetKey(["semaphore", t]) for t in insight.reads}
        expected |= {dg.AssetKey(["semaphore_insights", n]) for n in insight.needs}
        assert set(node.parent_keys) == expected
        assert insight.definition.splitlines()[0] in (node.description or "")
    assert {a.op.pool for a in assets} == {"duckdb"}


def test_materialize_all_insights_and_run_checks(loaded_db: Path) -> None:
    assets = list(defs.assets)
    result = dg.materialize([*assets, *defs.asset_checks], resources=_resources(loaded_db))
    assert result.success
    materialized = {m.asset_key.path[-1]: m for m in result.get_asset_materialization_events()}
    assert set(materialized) == set(INSIGHTS)
    meta = materialized["pipeline_reliability"].materialization.metadata
    assert meta["dagster/row_count"].value > 0
    headline = meta["headline"].value
    assert headline.startswith("| pipeline_file | branch_name | finished |") and "pass_rate" in headline
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 20 and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    con = duckdb.connect(str(loaded_db), read_only=True)
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'semaphore_insights'"
        ).fetchall()
    }
    con.close()
    assert tables == set(INSIGHTS)


def test_missing_source_tables_are_reported_not_fatal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(path))
    asset = next(a for a in defs.assets if a.key.path[-1] == "failing_commands")
    result = dg.materialize([asset], resources=_resources(path))
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["dagster/row_count"].value == 0
    assert "job_log_events, jobs not loaded yet" in meta["missing_source_tables"].value
