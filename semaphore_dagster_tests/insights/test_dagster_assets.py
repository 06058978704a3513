"""The insight assets through dagster-dbt: one lineage graph with the loaded tables, dbt tests as asset
checks, eager automation, and a real `materialize` on a DuckDB file holding an emulator world."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from semaphore_dagster.defs.insights.definitions import insights_definitions
from semaphore_dagster.defs.insights.report import REPORT_KEY
from semaphore_dagster.insights import insight_names
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster_tests.conftest import make_world
from semaphore_dagster_tests.insights.backends import duckdb_target
from semaphore_dagster_tests.insights.tables import ground_truth_tables

defs = insights_definitions()

READS = {
    "pipeline_performance": {"pipelines"},
    "mttr": {"pipelines", "deployments"},
    "job_queue_wait": {"jobs", "agent_types", "pipelines"},  # dated by its pipeline's done_at
    "dora_deployments": {"deployments", "deployment_targets", "pipelines", "workflows"},
    "agent_utilization": {"agents", "agent_types", "jobs"},
    "failing_commands": {"job_log_events", "jobs"},
}


def with_destination(path: Path) -> dg.Definitions:
    return dg.Definitions.merge(
        defs,
        dg.Definitions(resources={"destination": DestinationResource(kind="duckdb", duckdb_path=str(path))}),
    )


def upstream_sources(graph, key: dg.AssetKey) -> set[str]:
    found: set[str] = set()
    stack = [key]
    while stack:
        node = graph.get(stack.pop())
        for parent in node.parent_keys:
            if parent.path[0] == "semaphore":
                found.add(parent.path[1])
            else:
                stack.append(parent)
    return found


def test_definitions_shape(tmp_path: Path) -> None:
    graph = with_destination(tmp_path / "x.duckdb").resolve_asset_graph()
    for name in insight_names():
        node = graph.get(dg.AssetKey(["semaphore_insights", name]))
        assert node.group_name == "ci_insights"
        assert node.description.startswith(f"{name}: ")
        assert (
            node.automation_condition is not None and "eager" in node.automation_condition.get_label().lower()
        )
    for name, tables in READS.items():
        assert upstream_sources(graph, dg.AssetKey(["semaphore_insights", name])) == tables, name
    assert dg.AssetKey(["semaphore", "_dlt_loads"]) not in graph.get_all_asset_keys()
    checks = {c.name: c.asset_key for c in graph.asset_check_keys}
    assert len(checks) >= 50
    assert checks["rate_within_0_1_pipeline_reliability_pass_rate"] == dg.AssetKey(
        ["semaphore_insights", "pipeline_reliability"]
    )
    assert checks["pipeline_performance_counts_per_outcome"] == dg.AssetKey(
        ["semaphore_insights", "pipeline_performance"]
    )
    report = graph.get(REPORT_KEY)
    assert set(report.parent_keys) == {dg.AssetKey(["semaphore_insights", n]) for n in insight_names()}


@pytest.mark.slow
def test_materialize_insights_checks_and_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "loaded.duckdb"
    duckdb_target(ground_truth_tables(make_world("tiny")), path)
    monkeypatch.setenv("SEMAPHORE_REPORT_PATH", str(tmp_path / "out" / "report.html"))
    result = dg.materialize(
        list(defs.assets),
        resources={"destination": DestinationResource(duckdb_path=str(path)), **defs.resources},
    )
    assert result.success
    materialized = {tuple(m.asset_key.path): m for m in result.get_asset_materialization_events()}
    assert {("semaphore_insights", n) for n in insight_names()} <= set(materialized)
    meta = materialized[("semaphore_insights", "pipeline_reliability")].materialization.metadata
    assert meta["dagster/row_count"].value > 0
    assert meta["dagster/table_name"].value == "semaphore_insights.pipeline_reliability"
    headline = meta["headline"].value
    assert headline.startswith("| pipeline_file | branch_name | finished |") and "pass_rate" in headline
    checks = result.get_asset_check_evaluations()
    assert len(checks) >= 50 and all(c.passed for c in checks), [c.check_name for c in checks if not c.passed]
    report = materialized[tuple(REPORT_KEY.path)].materialization.metadata["path"].value
    assert Path(report) == tmp_path / "out" / "report.html" and Path(report).stat().st_size > 10_000
    con = duckdb.connect(str(path), read_only=True)
    tables = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'semaphore_insights'"
        ).fetchall()
    }
    con.close()
    # every insight, and beside them the Semaphore-parity and DORA models (models/semaphore, models/dora)
    assert set(insight_names()) <= tables
    assert {"semaphore_pipeline_performance", "semaphore_pipeline_reliability", "dora_keys"} <= tables
    assert not any(t.startswith("stg_") for t in tables)  # staging views live in their own schema


def test_missing_source_tables_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    result = dg.materialize(
        list(defs.assets),
        # the insight and the staging views it reads (as the UI's "materialize with upstream" does)
        selection=dg.AssetSelection.assets(dg.AssetKey(["semaphore_insights", "failing_commands"]))
        .upstream()
        .materializable(),
        resources={"destination": DestinationResource(duckdb_path=str(path)), **defs.resources},
    )
    assert result.success
    (event,) = [
        m for m in result.get_asset_materialization_events() if m.asset_key.path[-1] == "failing_commands"
    ]
    meta = event.materialization.metadata
    assert meta["dagster/row_count"].value == 0
    assert "job_log_events, jobs not loaded yet" in meta["missing_source_tables"].value


def test_the_dbt_resource_knows_its_version_without_starting_dbt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `dbt` beside this Python is the installed dbt-core: its version comes from the package metadata,
    not from a `dbt --version` process (3 s per run); any other executable is still asked."""
    import subprocess
    import sys
    from importlib.metadata import version

    import dagster_dbt.core.resource as dagster_dbt_resource

    from semaphore_dagster.defs.insights.definitions import InsightsDbtResource
    from semaphore_dagster.defs.insights.project import insights_project

    started: list[list[str]] = []

    def check_output(args, *rest, **kwargs):
        started.append(list(args))
        return subprocess.check_output(args, *rest, **kwargs)

    monkeypatch.setattr(dagster_dbt_resource, "check_output", check_output)
    beside = str(Path(sys.executable).absolute().parent / "dbt")
    assert Path(beside).exists()
    ours = InsightsDbtResource(project_dir=insights_project, dbt_executable=beside)
    assert str(ours._cli_version) == version("dbt-core")
    assert started == []
    other = tmp_path / "dbt"  # a dbt of another installation: asked, as dagster-dbt does
    other.write_text(f'#!/bin/sh\nexec {beside} "$@"\n')
    other.chmod(0o755)
    theirs = InsightsDbtResource(project_dir=insights_project, dbt_executable=str(other))
    assert str(theirs._cli_version) == version("dbt-core")
    assert started == [[str(other), "--version"]]
