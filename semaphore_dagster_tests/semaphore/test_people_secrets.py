"""People and access, secrets metadata, notifications and dashboards: the tables equal the ground truth; secret
values, webhook credentials and e-mail lists never reach the database or dlt's files; missing permissions and
feature gates skip a table without failing the run; filtered and empty project pages; `""` zero times."""

import base64
import json
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.endpoints import ACCESS_TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.emulator.http_helpers import get

from .conftest import assert_equals_ground_truth, assert_table_equal, load, read_tables
from .test_test_results import files_bytes

EXPOSED = {"secrets_exposed_content": True}


def test_tables_equal_ground_truth(emulator, duckdb_path: Path, pipelines_dir: Path) -> None:
    load(emulator, duckdb_path, pipelines_dir)
    truth = emulator.world.ground_truth()
    tables = read_tables(duckdb_path, ACCESS_TABLES)
    for table in ACCESS_TABLES:
        assert truth[table], table
        assert_table_equal(table, tables[table], truth[table])
    members = tables["members"]
    assert {m["subject_type"] for m in members} == {"USER", "GROUP", "SERVICE_ACCOUNT"}
    assert {m["scope"] for m in members} == {"ORGANIZATION", "PROJECT"}
    secrets = {s["name"]: s for s in tables["secrets"]}
    assert secrets["aws-creds"]["checkout_at"] is not None and secrets["legacy-ftp"]["checkout_at"] is None
    assert {s["scope"] for s in secrets.values()} == {"ORGANIZATION", "PROJECT"}


def _served_values(server: EmulatorServer) -> list[str]:
    """Every secret value and file content the server sends (raw and base64), read over HTTP."""
    values = []
    bodies = [get(server.base_url, "/api/v1beta/secrets").json()]
    bodies += [
        get(server.base_url, f"/api/v1/projects/{p.id}/secrets").json() for p in server.world.list_projects()
    ]
    for body in bodies:
        for secret in body["secrets"]:
            values += [e["value"] for e in secret["data"]["env_vars"]]
            for f in secret["data"]["files"]:
                values += [f["content"], base64.b64decode(f["content"]).decode()]
    return values


def test_secret_values_and_credentials_never_stored(
    tiny_world, duckdb_path: Path, pipelines_dir: Path
) -> None:
    with EmulatorServer(tiny_world, token=TEST_TOKEN, features=EXPOSED) as server:
        values = _served_values(server)
        assert values and all(values), "this world's secrets carry values"
        load(server, duckdb_path, pipelines_dir)
    notifications = [rule["notify"] for n in tiny_world.people.notifications for rule in n.rules]
    credentials = [n[k]["endpoint"] for n in notifications for k in ("slack", "webhook") if n[k]]
    credentials += [n["webhook"]["secret"] for n in notifications if n["webhook"]]
    credentials += [a for n in notifications if n["email"] for a in n["email"]["cc"] + n["email"]["bcc"]]
    assert credentials
    blob = files_bytes(duckdb_path, pipelines_dir)
    for needle in values + credentials + [TEST_TOKEN]:
        assert needle.encode() not in blob, f"{needle[:12]}... reached the database or dlt's files"
    truth = tiny_world.ground_truth(features=EXPOSED)
    tables = read_tables(duckdb_path, ("secrets", "notifications"))
    assert_table_equal("secrets", tables["secrets"], truth["secrets"])
    assert all(s["content_included"] for s in tables["secrets"])
    assert_table_equal("notifications", tables["notifications"], truth["notifications"])


def test_missing_permissions_and_gates_skip_tables(
    tiny_world, duckdb_path: Path, pipelines_dir: Path
) -> None:
    """A token without people/secrets permissions and an org without project secrets: those tables stay
    empty, the reason is in the source state, and everything else loads."""
    permissions = {"project.view", "project.artifacts.view"}
    options = dict(token=TEST_TOKEN, permissions=permissions, features={"project_level_secrets": False})
    with EmulatorServer(tiny_world, **options) as server:
        pipeline, _ = load(server, duckdb_path, pipelines_dir)
    tables = read_tables(
        duckdb_path, ("members", "roles", "groups", "secrets", "notifications", "dashboards", "jobs")
    )
    assert tables["jobs"]
    for table in ("members", "roles", "groups", "secrets", "notifications"):
        assert tables[table] == [], table
    assert tables["dashboards"], "dashboards need no permission"
    availability = pipeline.state["sources"]["semaphore"]["availability"]
    assert availability["secrets"]["available"] is False
    assert "Can't list secrets" in availability["secrets"]["message"]
    assert "not enabled" in availability["project_secrets"]["message"]


def test_empty_first_project_page_with_more_behind(duckdb_path: Path, pipelines_dir: Path) -> None:
    """projecthub filters a page after paging: page 1 holds only the hidden project, so it is empty while
    `x-has-more` says more follow. The loader keeps paging on the header."""
    world = make_world("tiny")
    with EmulatorServer(world, token=TEST_TOKEN, projects_page_size=1) as server:
        first = get(server.base_url, "/api/v1alpha/projects", {"page": 1})
        assert first.json() == [] and first.header("x-has-more") == "true"
        load(server, duckdb_path, pipelines_dir, resources=("projects",))
        assert server.request_counts["projects.list"] >= 3
    truth = world.ground_truth()["projects"]
    assert_table_equal("projects", read_tables(duckdb_path, ("projects",))["projects"], truth)


def test_zero_times_and_target_names(emulator, duckdb_path: Path, pipelines_dir: Path) -> None:
    """A never-updated agent type and deployment target send `""`: stored as NULL. Deployment history names
    the target as the target does ("staging"), not as the promotion ("Staging")."""
    types = get(emulator.base_url, "/api/v1alpha/self_hosted_agent_types").json()["agent_types"]
    assert "" in {t["metadata"]["update_time"] for t in types}
    load(emulator, duckdb_path, pipelines_dir)
    tables = read_tables(duckdb_path, ("agent_types", "deployment_targets", "deployments"))
    assert any(t["update_time"] is None for t in tables["agent_types"])
    assert any(t["updated_at"] is None for t in tables["deployment_targets"])
    names = {t["id"]: t["name"] for t in tables["deployment_targets"]}
    assert tables["deployments"] and all(
        d["target_name"] == names[d["target_id"]] for d in tables["deployments"]
    )
    assert_equals_ground_truth(duckdb_path, emulator.world)


@pytest.mark.parametrize("mode", ["self_hosted"])
def test_self_hosted_redirect_is_followed_on_our_origin(
    tiny_world, duckdb_path: Path, pipelines_dir: Path, mode: str
) -> None:
    """The redirect says `https://<host>/api/v1/logs/...` (no port): followed on the configured origin."""
    with EmulatorServer(tiny_world, token=TEST_TOKEN, log_mode=mode) as server:
        job = next(j for j in tiny_world.jobs.values() if j.state == "FINISHED" and j.log is not None)
        location = get(server.base_url, f"/api/v1alpha/logs/{job.job_id}").header("location")
        assert location.startswith(f"https://127.0.0.1/api/v1/logs/{job.job_id}?jwt=")
        load(
            server,
            duckdb_path,
            pipelines_dir,
            resources=tuple(
                ("workflows", "pipelines", "blocks", "jobs", "promotions", "job_logs", "job_log_events")
            ),
        )
        assert server.request_counts.get("logs.v1", 0) >= 1
    logs = read_tables(duckdb_path, ("job_logs",))["job_logs"]
    assert {r["source"] for r in logs if r["outcome"] == "OK"} == {"REDIRECT"}
    assert json.dumps([r["message"] for r in logs]).count("jwt=") == 0
