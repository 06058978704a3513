"""The code location loads with nothing configured and has the expected shape."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from semaphore_dagster.dagster_layer.catalog import TABLES, table_key
from semaphore_dagster.dagster_layer.settings import DagsterSettings
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster_tests.defs.conftest import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
GROUPS = {
    "ci_activity",
    "fleet",
    "deployments",
    "organization",
    "test_results",
    "flaky_tests",
    "access",
    "org_settings",
}


def _semaphore_nodes(defs: dg.Definitions) -> dict[dg.AssetKey, object]:
    graph = defs.resolve_asset_graph()
    return {k: graph.get(k) for k in graph.get_all_asset_keys() if k.path[0] == "semaphore"}


def test_every_table_is_an_asset_with_group_deps_kinds_and_table_name(code_location: dg.Definitions) -> None:
    nodes = _semaphore_nodes(code_location)
    assert set(nodes) == {table_key(t) for t in TABLES}
    specs = {
        s.key: s for a in code_location.assets or [] if isinstance(a, dg.AssetsDefinition) for s in a.specs
    }
    for table, info in TABLES.items():
        node = nodes[table_key(table)]
        assert node.group_name == info.group in GROUPS
        assert set(node.parent_keys) == {table_key(u) for u in info.upstream}  # no phantom upstream keys
        spec = specs[table_key(table)]
        assert {"dlt", "duckdb"} <= set(spec.kinds)
        assert spec.metadata["dagster/table_name"] == f"semaphore.{table}"
        assert spec.description
    assert nodes[table_key("pipelines")].parent_keys == {table_key("workflows")}
    assert nodes[table_key("deployments")].parent_keys == {table_key("deployment_targets")}


def test_every_writer_of_the_duckdb_file_is_in_the_duckdb_pool(code_location: dg.Definitions) -> None:
    writers = [
        a
        for a in code_location.assets or []
        if isinstance(a, dg.AssetsDefinition) and any(k.path[0] == "semaphore" for k in a.keys)
    ]
    assert {a.node_def.name for a in writers} == {
        "semaphore_org",
        "semaphore_ci",
        "semaphore_fleet",
        "semaphore_deployments",
        "semaphore_logs",
        "semaphore_test_results",
        "semaphore_flaky_tests",
        "semaphore_access",
        "semaphore_org_settings",
    }
    assert {a.node_def.pool for a in writers} == {"duckdb"}
    # the log partitions backfill in one run (window-bounded body)
    logs = next(a for a in writers if a.node_def.name == "semaphore_logs")
    assert logs.backfill_policy == dg.BackfillPolicy.single_run()
    reports = next(a for a in writers if a.node_def.name == "semaphore_test_results")
    assert reports.backfill_policy == dg.BackfillPolicy.single_run()


def test_job_logs_are_day_partitioned_and_everything_else_is_not(code_location: dg.Definitions) -> None:
    nodes = _semaphore_nodes(code_location)
    partitioned = {k.path[-1] for k, n in nodes.items() if n.partitions_def is not None}
    assert partitioned == {"job_logs", "job_log_events", "test_reports", "test_suites", "test_cases"}
    assert nodes[table_key("test_reports")].partitions_def == nodes[table_key("job_logs")].partitions_def
    partitions = nodes[table_key("job_logs")].partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.get_first_partition_key() == "2026-10-27"


def test_checks_schedules_and_sensor_are_defined(code_location: dg.Definitions) -> None:
    graph = code_location.resolve_asset_graph()
    checks = {(k.asset_key.path[-1], k.name) for k in graph.asset_check_keys}
    for table in TABLES:
        assert (table, "primary_key_unique_not_null") in checks
    assert ("jobs", "ppl_id_references_pipelines") in checks
    assert ("deployments", "no_deployment_parameter_values") in checks
    assert ("job_logs", "logs_complete_per_partition") in checks
    blocking = {
        (k.asset_key.path[-1], k.name) for k in graph.asset_check_keys if graph.get_check_spec(k).blocking
    }
    assert ("jobs", "ppl_id_references_pipelines") in blocking and (
        "agent_types",
        "no_registration_tokens",
    ) in blocking
    assert ("pipelines", "timestamps_in_order") not in blocking
    schedules = {s.name: s for s in code_location.schedules or []}
    assert set(schedules) == {
        "semaphore_ci_activity_hourly",
        "semaphore_slowly_changing_daily",
        "semaphore_job_logs_yesterday",
    }
    assert all(s.default_status == dg.DefaultScheduleStatus.STOPPED for s in schedules.values())
    sensors = {s.name for s in code_location.sensors or []}
    assert "semaphore_new_pipelines" in sensors
    on = build_definitions(
        DagsterSettings(logs_start_date=DagsterSettings.from_env().logs_start_date, automation_on=True)
    )
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in on.schedules or [])


def test_definitions_validate_with_no_token_or_url(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOURCES__", "DESTINATION__", "DAGSTER_HOME"))
    }
    env["SOURCES__SEMAPHORE__BASE_URL"] = ""  # placeholder env: explicitly nothing configured
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "semaphore_dagster.definitions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_a_run_without_configuration_fails_with_one_clear_line(tmp_path: Path) -> None:
    from semaphore_dagster.resources import DestinationResource, SemaphoreResource

    job = dg.define_asset_job("only_projects", selection=[table_key("projects")])
    resources = {
        "semaphore": SemaphoreResource(),  # nothing set here, nothing in dlt config (autouse fixture)
        "destination": DestinationResource(duckdb_path=str(tmp_path / "semaphore_ci.duckdb")),
    }
    defs = dg.Definitions.merge(build_definitions(SETTINGS, resources), dg.Definitions(jobs=[job]))
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("only_projects").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert "SOURCES__SEMAPHORE__BASE_URL" in message and "SOURCES__SEMAPHORE__API_TOKEN" in message
    assert "Failure" in failure.step_failure_data.error.cls_name


@pytest.mark.parametrize("value", ["2026-10-01", "2026-10-01T00:00:00Z"])
def test_start_date_from_settings(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMAPHORE_DAGSTER_LOGS_START_DATE", value)
    assert DagsterSettings.from_env().logs_start_date.isoformat() == "2026-10-01"
    monkeypatch.setenv("SEMAPHORE_DAGSTER_LOGS_START_DATE", "first of october")
    with pytest.raises(ValueError, match="SEMAPHORE_DAGSTER_LOGS_START_DATE"):
        DagsterSettings.from_env()


def test_a_revoked_token_fails_the_run_with_one_token_free_line(emulator, pointed_at) -> None:
    from semaphore_dagster_tests.conftest import TEST_TOKEN

    emulator.revoke_token()
    job = dg.define_asset_job("only_projects_revoked", selection=[table_key("projects")])
    defs = dg.Definitions.merge(pointed_at, dg.Definitions(jobs=[job]))
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(job.name).execute_in_process(instance=instance, raise_on_error=False)
        logs = [e for e in instance.all_logs(result.run_id)]
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert "AuthError" in message and len(message.strip().splitlines()) == 1, message
    assert all(TEST_TOKEN not in str(entry) for entry in logs)


def test_the_ci_group_is_one_non_subsettable_multi_asset_and_the_others_subset(
    code_location: dg.Definitions,
) -> None:
    writers = {
        a.node_def.name: a
        for a in code_location.assets or []
        if isinstance(a, dg.AssetsDefinition) and any(k.path[0] == "semaphore" for k in a.keys)
    }
    ci = writers["semaphore_ci"]
    assert not ci.can_subset
    assert {k.path[-1] for k in ci.keys} == {"workflows", "pipelines", "blocks", "jobs", "promotions"}
    assert not writers["semaphore_logs"].can_subset
    assert all(writers[n].can_subset for n in ("semaphore_org", "semaphore_fleet", "semaphore_deployments"))
    # No dlt internals (source objects, pipelines) as definition metadata.
    for asset in writers.values():
        for spec in asset.specs:
            assert not any(key.startswith("dagster_dlt/") for key in spec.metadata), spec.metadata.keys()


def test_checks_are_in_the_duckdb_pool_and_postgres_writers_in_their_own(
    code_location: dg.Definitions,
) -> None:
    pools = {
        c.node_def.pool for c in code_location.asset_checks or [] if c.node_def.name.startswith("semaphore__")
    }
    assert pools == {"duckdb"}
    pg = build_definitions(
        DagsterSettings(logs_start_date=SETTINGS.logs_start_date, destination_kind="postgres")
    )
    writer_pools = {
        a.node_def.name: a.node_def.pool
        for a in pg.assets or []
        if isinstance(a, dg.AssetsDefinition) and any(k.path[0] == "semaphore" for k in a.keys)
    }
    assert writer_pools["semaphore_ci"] == "dlt_semaphore_ci"
    assert len(set(writer_pools.values())) == len(writer_pools) == 9  # one pool per dlt pipeline


def test_automation_the_1_13_way(code_location: dg.Definitions) -> None:
    sensors = {s.name: s for s in code_location.sensors or []}
    automation = sensors["default_automation_condition_sensor"]
    assert isinstance(automation, dg.AutomationConditionSensorDefinition)
    assert automation.default_status == dg.DefaultSensorStatus.STOPPED
    graph = code_location.resolve_asset_graph()
    assert graph.get(table_key("job_logs")).automation_condition is not None
    on = build_definitions(DagsterSettings(logs_start_date=SETTINGS.logs_start_date, automation_on=True))
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in on.sensors or [])


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SEMAPHORE_DAGSTER_LOGS_START_DATE", "2999-01-01", "SEMAPHORE_DAGSTER_LOGS_START_DATE"),
        ("SEMAPHORE_DAGSTER_SENSOR_MAX_RUNS", "-1", "SEMAPHORE_DAGSTER_SENSOR_MAX_RUNS must be 1 or more"),
        (
            "SEMAPHORE_DAGSTER_SENSOR_MAX_RUNS",
            "four",
            "SEMAPHORE_DAGSTER_SENSOR_MAX_RUNS must be a whole number",
        ),
        ("SEMAPHORE_DAGSTER_SENSOR_INTERVAL", "0", "SEMAPHORE_DAGSTER_SENSOR_INTERVAL must be 1 or more"),
        ("SEMAPHORE_DAGSTER_AUTOMATION", "maybe", "SEMAPHORE_DAGSTER_AUTOMATION must be on or off"),
        ("SEMAPHORE_DAGSTER_DESTINATION", "bigquery", "SEMAPHORE_DAGSTER_DESTINATION must be one of"),
        (
            "SEMAPHORE_DAGSTER_LOCK_WAIT_SECONDS",
            "-5",
            "SEMAPHORE_DAGSTER_LOCK_WAIT_SECONDS must be 0 or more",
        ),
    ],
)
def test_bad_dagster_settings_are_one_line_naming_the_key(
    key: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from semaphore_dagster.dagster_layer.settings import SettingsError, lock_wait_seconds

    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as raised:
        DagsterSettings.from_env()
        lock_wait_seconds()
    assert message in str(raised.value) and len(str(raised.value).splitlines()) == 1


def test_dg_check_defs_and_list_defs_pass() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOURCES__", "DESTINATION__", "DAGSTER_HOME"))
    }
    dg_cli = Path(sys.executable).parent / "dg"
    checked = subprocess.run(
        [str(dg_cli), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    listed = subprocess.run(
        [str(dg_cli), "list", "defs", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "semaphore/pipelines" in listed.stdout and "semaphore_insights/" in listed.stdout
