"""Conformance of the new routes and quirks to docs/api-behaviours.md: artifacts and the signed-URL store on a
second port, flaky tests, troubleshoot, people and access, secrets, notifications, dashboards, feature gates and
permission errors with their exact bodies, filtered project pages, `""` zero times, the self-hosted redirect.

Every test talks real HTTP to an `EmulatorServer` on 127.0.0.1."""

import gzip
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from semaphore_dagster.emulator import EmulatorServer, World
from semaphore_dagster.emulator import test_reports as tr
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.emulator.http_helpers import get

V = "/api/v1alpha"


@pytest.fixture(scope="module")
def world() -> World:
    return make_world("tiny", seed=3, failure_rate=0.4, flaky_rate=0.4, partial_rerun_rate=0.4)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[EmulatorServer]:
    with EmulatorServer(world, token=TEST_TOKEN) as srv:
        yield srv


@pytest.fixture(scope="module")
def url(server: EmulatorServer) -> str:
    return server.base_url


def _published(world: World):
    return next(j for j in world.jobs.values() if tr.publishes(j) and j.result == "FAILED")


def _fetch(signed: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    parts = urlsplit(signed)
    return _raw(f"{parts.scheme}://{parts.netloc}", f"{parts.path}?{parts.query}", headers)


def _raw(base: str, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
    reply = get(base, path, token=None, headers=headers or {})
    return reply.status, reply.body, dict(reply.headers)


# --- artifacts -------------------------------------------------------------------------------------------------


def test_artifact_listing_is_non_recursive(url: str, world: World) -> None:
    job = _published(world)
    root = get(url, f"{V}/artifacts", {"scope": "jobs", "scope_id": job.job_id}).json()
    assert {"name": "test-results", "path": "test-results", "is_directory": True} in root["artifacts"]
    assert all("size" not in a for a in root["artifacts"] if a["is_directory"])
    listed = get(
        url, f"{V}/artifacts", {"scope": "jobs", "scope_id": job.job_id, "path": "test-results"}
    ).json()
    paths = {a["path"]: a for a in listed["artifacts"]}
    assert set(paths) == {tr.JUNIT, tr.SUMMARY, tr.RAW_XML}
    assert isinstance(paths[tr.JUNIT]["size"], int) and not paths[tr.JUNIT]["is_directory"]
    missing = get(url, f"{V}/artifacts", {"scope": "jobs", "scope_id": job.job_id, "path": "nope"})
    assert (missing.status, missing.body) == (404, b'"Artifact path not found"')
    wf = world.pipelines[job.ppl_id].wf_id
    per_job = get(
        url, f"{V}/artifacts", {"scope": "workflows", "scope_id": wf, "path": f"test-results/{job.ppl_id}"}
    )
    assert f"test-results/{job.ppl_id}/{job.job_id}.json" in {a["path"] for a in per_job.json()["artifacts"]}


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"scope": "builds", "scope_id": "x"}, b"scope must be one of: projects, workflows, jobs"),
        ({"scope": "jobs", "scope_id": "x"}, b"scope_id must be a valid UUID"),
        ({"scope": "jobs", "scope_id": "{job}", "path": "/etc/passwd"}, b"absolute paths are not allowed"),
        ({"scope": "jobs", "scope_id": "{job}", "path": "a/../b"}, b"path traversal is not allowed"),
        ({"scope": "jobs", "scope_id": "{job}", "path": "a%252F..%252Fb"}, b"path traversal is not allowed"),
        ({"scope": "jobs", "scope_id": "{job}", "path": "a\\b"}, b"invalid path"),
    ],
)
def test_artifact_parameter_errors_are_plain_400(url: str, world: World, params: dict, body: bytes) -> None:
    job = _published(world)
    filled = {k: v.replace("{job}", job.job_id) for k, v in params.items()}
    reply = get(url, f"{V}/artifacts", filled)
    assert (reply.status, reply.body) == (400, body)


def test_signed_url_points_to_the_second_port(server: EmulatorServer, url: str, world: World) -> None:
    job = _published(world)
    params = {"scope": "jobs", "scope_id": job.job_id, "path": tr.JUNIT}
    body = get(url, f"{V}/artifacts/signed_url", params).json()
    assert list(body) == ["items"] and len(body["items"]) == 1 and body["items"][0]["path"] == tr.JUNIT
    signed = body["items"][0]["url"]
    parts = urlsplit(signed)
    assert f"{parts.scheme}://{parts.netloc}" == server.store_url != url
    assert f"/artifacts/jobs/{job.job_id}/" in parts.path
    assert {"GoogleAccessId", "Expires", "Signature", "response-content-type"} <= set(parse_qs(parts.query))
    status, data, headers = _fetch(signed)
    assert (
        status == 200 and headers["Content-Type"] == "application/json" and "Content-Encoding" not in headers
    )
    document = json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
    assert document == tr.report(world, job)
    assert get(url, f"{V}/artifacts/signed_url", {**params, "path": ""}).body == b"path must be present"
    gone = get(url, f"{V}/artifacts/signed_url", {**params, "path": "test-results/none.json"})
    assert (gone.status, gone.body) == (404, b'"Artifact not found"')
    assert get(url, f"{V}/artifacts/signed_url", {**params, "method": "PUT"}).status == 400


def test_store_refuses_authorization_and_tampering(url: str, world: World) -> None:
    job = _published(world)
    signed = get(
        url, f"{V}/artifacts/signed_url", {"scope": "jobs", "scope_id": job.job_id, "path": tr.JUNIT}
    ).json()
    signed = signed["items"][0]["url"]
    status, body, _ = _fetch(signed, {"Authorization": f"Token {TEST_TOKEN}"})
    assert status == 400 and b"Authorization" in body
    assert _fetch(signed.replace("Signature=", "Signature=0"))[0] == 403
    assert _fetch(signed.replace(tr.JUNIT, tr.SUMMARY))[0] == 403  # the signature covers the path


def test_signed_urls_expire(world: World) -> None:
    job = _published(world)
    with EmulatorServer(world, token=TEST_TOKEN, signed_url_ttl_s=0.5) as srv:
        params = {"scope": "jobs", "scope_id": job.job_id, "path": tr.JUNIT}
        signed = get(srv.base_url, f"{V}/artifacts/signed_url", params).json()["items"][0]["url"]
        expires = int(parse_qs(urlsplit(signed).query)["Expires"][0])
        assert expires <= time.time() + 1
        time.sleep(1.6)
        status, body, _ = _fetch(signed)
        assert status == 400 and b"ExpiredToken" in body
    assert EmulatorServer(world).signer.ttl_s == 20 * 60


def test_reused_job_has_no_artifacts_of_its_own(url: str, world: World) -> None:
    reused = next(
        j for j in world.jobs.values() if j.source_job_id and tr.report(world, world.jobs[j.source_job_id])
    )
    own = get(
        url, f"{V}/artifacts/signed_url", {"scope": "jobs", "scope_id": reused.job_id, "path": tr.JUNIT}
    )
    assert own.status == 404
    source = get(
        url,
        f"{V}/artifacts/signed_url",
        {"scope": "jobs", "scope_id": reused.source_job_id, "path": tr.JUNIT},
    )
    assert source.status == 200


def test_artifacts_gate_and_permission(world: World) -> None:
    job = _published(world)
    params = {"scope": "jobs", "scope_id": job.job_id, "path": tr.JUNIT}
    with EmulatorServer(world, token=TEST_TOKEN, features={"artifacts_api": False}) as srv:
        reply = get(srv.base_url, f"{V}/artifacts/signed_url", params)
        assert reply.status == 403 and reply.header("Content-Type") == "text/plain"
        assert (
            reply.body
            == b"The artifacts api feature is not enabled for your organization. Please contact support"
        )
    with EmulatorServer(world, token=TEST_TOKEN, permissions={"project.view"}) as srv:
        assert get(srv.base_url, f"{V}/artifacts/signed_url", params).body == b"Permission denied"
        unknown = {**params, "scope_id": "00000000-0000-4000-8000-000000000000"}
        assert get(srv.base_url, f"{V}/artifacts/signed_url", unknown).body == b"Not found"


# --- flaky tests -------------------------------------------------------------------------------------------------


FLAKY_KEYS = {
    "test_id", "test_name", "test_group", "test_runner", "test_file", "test_suite", "pass_rate", "labels",
    "disruptions_count", "latest_disruption_hash", "latest_disruption_run_id", "resolved", "scheduled",
    "ticket_url", "age", "latest_disruption_at", "first_disruption_at", "disruption_history",
}  # fmt: skip


def test_flaky_tests_shapes_and_pages(url: str, world: World) -> None:
    project = next(
        p for p in world.list_projects() if get(url, f"{V}/projects/{p.id}/test_results/flaky_tests").json()
    )
    base = f"{V}/projects/{project.id}/test_results"
    reply = get(url, f"{base}/flaky_tests")
    rows = reply.json()
    assert reply.header("per-page") == "20" and reply.header("total") == str(len(rows))
    assert all(set(r) == FLAKY_KEYS for r in rows)
    assert rows[0]["latest_disruption_at"].endswith("Z") and "." not in rows[0]["latest_disruption_at"]
    one = get(url, f"{base}/flaky_tests/{rows[0]['test_id']}").json()
    assert (
        one["id"] == rows[0]["test_id"]
        and one["contexts"][0]["disruptions_count"] == rows[0]["disruptions_count"]
    )
    assert get(url, f"{base}/flaky_tests/{rows[0]['test_id']}/disruptions").json()[0]["run_id"]
    assert get(url, f"{base}/flaky_history").json()[0]["count"] >= 1
    assert get(url, f"{base}/flaky_tests/none").body == b'"Not found"'


def test_flaky_tests_gate_and_unknown_project(world: World) -> None:
    project = world.list_projects()[0]
    with EmulatorServer(world, token=TEST_TOKEN, features={"superjerry_tests": False}) as srv:
        reply = get(srv.base_url, f"{V}/projects/{project.id}/test_results/flaky_tests")
        assert (reply.status, reply.body) == (404, b"Feature is not enabled for your organization")
    with EmulatorServer(world, token=TEST_TOKEN) as srv:
        reply = get(
            srv.base_url, f"{V}/projects/00000000-0000-4000-8000-000000000000/test_results/flaky_tests"
        )
        assert (reply.status, reply.body) == (404, b"Not Found")


# --- troubleshoot --------------------------------------------------------------------------------------------------


def test_troubleshoot_routes(url: str, world: World) -> None:
    job = _published(world)
    body = get(url, f"{V}/troubleshoot/job/{job.job_id}").json()
    assert list(body) == ["project", "workflow", "pipeline", "block", "job"]
    assert body["job"]["state"] == "finished" and body["job"]["machine_type"] == job.machine_type
    assert (
        body["workflow"]["triggered_by"]
        == world.workflows[world.pipelines[job.ppl_id].wf_id].triggered_by.lower()
    )
    assert body["pipeline"]["created_at"].endswith("Z") and isinstance(body["pipeline"]["queue_type"], int)
    ppl = get(url, f"{V}/troubleshoot/pipeline/{job.ppl_id}").json()
    assert list(ppl) == ["project", "workflow", "pipeline"] and ppl["pipeline"]["blocks"]
    wf = get(url, f"{V}/troubleshoot/workflow/{ppl['workflow']['wf_id']}").json()
    assert list(wf) == ["project", "workflow"]
    assert get(url, f"{V}/troubleshoot/pipeline/none").body == b"Not Found"
    assert get(url, f"{V}/troubleshoot/job/none").body.startswith(b'"')


# --- people and access -----------------------------------------------------------------------------------------------


def test_members_groups_roles_service_accounts(url: str, world: World) -> None:
    users = get(url, f"{V}/members").json()
    assert users["total_pages"] == 1 and {m["subject_type"] for m in users["members"]} == {"user"}
    assert set(users["members"][0]) == {"id", "subject_type", "name", "roles"}
    assert set(users["members"][0]["roles"][0]) == {"role_id", "role_name", "source"}
    paged = get(url, f"{V}/members", {"page_size": 3, "page_no": 1}).json()
    assert paged["total_pages"] == -(-len(users["members"]) // 3) and len(paged["members"]) == 3
    assert get(url, f"{V}/members", {"page_size": "x"}).json() == users  # silent default
    assert {
        m["subject_type"] for m in get(url, f"{V}/members", {"member_type": "GROUP"}).json()["members"]
    } == {"group"}
    project = world.list_projects()[0]
    assert "total_pages" not in get(url, f"{V}/projects/{project.id}/members").json()
    roles = get(url, f"{V}/roles").json()
    assert isinstance(roles, list) and {r["scope"] for r in roles} == {1}  # the raw proto enum
    described = get(url, f"{V}/roles/{roles[0]['id']}").json()
    assert described["scope"] == "org" and "rbac_permissions" not in described
    groups = get(url, f"{V}/groups").json()
    assert groups["total_pages"] == 1 and set(groups["groups"][0]) == {
        "id",
        "name",
        "description",
        "member_ids",
    }
    sas = get(url, f"{V}/service_accounts", {"page_size": 1}).json()
    assert len(sas["service_accounts"]) == 1 and sas["next_page_token"]
    rest = get(url, f"{V}/service_accounts", {"page_size": 1, "page_token": sas["next_page_token"]}).json()
    assert rest["next_page_token"] == "" and rest["service_accounts"][0]["updated_at"] is None
    bad = get(url, f"{V}/service_accounts", {"page_size": "x"})
    assert (bad.status, bad.body) == (
        400,
        b'"Invalid value of \'page_size\' param: \\"x\\" - needs to be integer."',
    )
    assert "api_token" not in json.dumps(sas)


def test_rbac_permission_errors(world: World) -> None:
    with EmulatorServer(world, token=TEST_TOKEN, permissions={"project.view"}) as srv:
        for path in ("/members", "/groups", "/roles", "/service_accounts"):
            reply = get(srv.base_url, V + path)
            assert (reply.status, reply.body) == (403, b"Permission denied"), path
        project = world.list_projects()[0]
        assert get(srv.base_url, f"{V}/projects/{project.id}/members").status == 403
        secrets = get(srv.base_url, "/api/v1beta/secrets")
        assert secrets.status == 403 and secrets.json() == {
            "code": 7, "message": "Can't list secrets in organization", "details": []
        }  # fmt: skip
        assert get(srv.base_url, "/api/v1beta/secrets/aws-creds").status == 404  # denied looks like not found
        assert get(srv.base_url, f"{V}/notifications").json()["code"] == 7
        assert get(srv.base_url, f"{V}/dashboards").status == 200  # dashboards check nothing


# --- secrets, notifications, dashboards ----------------------------------------------------------------------------


def test_secrets_shapes_gates_and_values(world: World, url: str) -> None:
    body = get(url, "/api/v1beta/secrets").json()
    secret = body["secrets"][0]
    assert set(secret) == {"metadata", "data", "org_config"} and body["next_page_token"] == ""
    assert (
        isinstance(secret["metadata"]["create_time"], str) and secret["metadata"]["content_included"] is False
    )
    assert {e["value"] for s in body["secrets"] for e in s["data"]["env_vars"]} == {""}
    assert "0" in {s["metadata"]["checkout_at"] for s in body["secrets"]}
    assert [s["metadata"]["name"] for s in body["secrets"]] == sorted(
        s["metadata"]["name"] for s in body["secrets"]
    )
    assert (
        get(url, "/api/v1beta/secrets", {"page_size": 101}).json()["message"] == "Page size can't exceed 100"
    )
    first = get(url, "/api/v1beta/secrets", {"page_size": 2}).json()
    second = get(url, "/api/v1beta/secrets", {"page_size": 2, "page_token": first["next_page_token"]}).json()
    assert [s["metadata"]["name"] for s in first["secrets"] + second["secrets"]] == [
        s["metadata"]["name"] for s in body["secrets"][:4]
    ]
    assert (
        get(url, f"/api/v1beta/secrets/{secret['metadata']['name']}").json()["metadata"] == secret["metadata"]
    )
    project = next(
        p for p in world.list_projects() if get(url, f"/api/v1/projects/{p.id}/secrets").json()["secrets"]
    )
    project_secret = get(url, f"/api/v1/projects/{project.name}/secrets").json()["secrets"][0]
    assert (
        "org_config" not in project_secret and project_secret["metadata"]["project_id_or_name"] == project.id
    )
    with EmulatorServer(
        world, token=TEST_TOKEN, features={"project_level_secrets": False, "secrets_exposed_content": True}
    ) as srv:
        gated = get(srv.base_url, f"/api/v1/projects/{project.id}/secrets")
        assert gated.status == 400 and gated.json()["code"] == 9
        exposed = get(srv.base_url, "/api/v1beta/secrets").json()["secrets"]
        assert all(e["value"] for s in exposed for e in s["data"]["env_vars"])
        assert all(s["metadata"]["content_included"] for s in exposed)


def test_notifications_and_dashboards(url: str) -> None:
    notes = get(url, f"{V}/notifications").json()
    assert notes["next_page_token"] == "" and notes["notifications"][0]["status"] == {"failures": []}
    rule = notes["notifications"][0]["spec"]["rules"][0]
    assert set(rule["notify"]) == {"slack", "email", "webhook"} and set(rule["filter"]) >= {
        "projects",
        "results",
    }
    assert (
        get(url, f"{V}/notifications", {"page_size": 301}).json()["message"] == "Page size can't exceed 300"
    )
    name = notes["notifications"][0]["metadata"]["name"]
    assert get(url, f"{V}/notifications/{name}").json()["metadata"]["name"] == name
    boards = get(url, f"{V}/dashboards").json()
    assert boards["total_size"] == 0 and set(boards["dashboards"][0]["metadata"]) == {
        "name", "id", "title", "create_time", "update_time"
    }  # fmt: skip
    assert get(url, f"{V}/dashboards", {"page_size": 101}).status == 400
    assert get(url, f"{V}/dashboards/{boards['dashboards'][0]['metadata']['id']}").status == 200


# --- quirks of the real server, each switchable ------------------------------------------------------------------


def test_project_pages_are_filtered_after_paging(world: World) -> None:
    with EmulatorServer(world, token=TEST_TOKEN, projects_page_size=1) as srv:
        first = get(srv.base_url, f"{V}/projects")
        assert first.json() == [] and first.header("x-has-more") == "true"
        assert len(get(srv.base_url, f"{V}/projects", {"page": 2}).json()) == 1
    with EmulatorServer(
        world, token=TEST_TOKEN, projects_page_size=1, project_permission_filter=False
    ) as srv:
        assert len(get(srv.base_url, f"{V}/projects").json()) == 1  # the kind server


def test_zero_times_are_empty_strings(url: str, world: World) -> None:
    types = get(url, f"{V}/self_hosted_agent_types").json()["agent_types"]
    assert types[0]["metadata"]["update_time"] == "" or "" in {t["metadata"]["update_time"] for t in types}
    targets = [
        t
        for p in world.list_projects()
        for t in get(url, f"{V}/deployment_targets", {"project_id": p.id}).json()
    ]
    assert "" in {t["updated_at"] for t in targets}
    kind = make_world("tiny", seed=3, zero_times=False)
    assert all(t.update_time is not None for t in kind.agent_types)


def test_deployment_history_names_the_target(url: str, world: World) -> None:
    target = next(t for t in world.deployment_targets if t.deployments)
    history = get(url, f"{V}/deployment_targets/{target.id}/history").json()["deployments"]
    assert {d["target_name"] for d in history} == {target.name}


def test_self_hosted_redirect_modes(world: World) -> None:
    job = _published(world)
    with EmulatorServer(world, token=TEST_TOKEN, log_mode="self_hosted") as srv:
        assert (
            get(srv.base_url, f"{V}/logs/{job.job_id}")
            .header("location")
            .startswith("https://127.0.0.1/api/v1/")
        )
    with EmulatorServer(world, token=TEST_TOKEN, log_mode="self_hosted", log_redirect_base="client") as srv:
        assert (
            get(srv.base_url, f"{V}/logs/{job.job_id}")
            .header("location")
            .startswith(f"{srv.base_url}/api/v1/")
        )


def test_every_new_route_answers(server: EmulatorServer, url: str, world: World) -> None:
    """Each route of routes_more.py answers 200 for ids the world has, and is counted under its name."""
    from semaphore_dagster.emulator.routes_more import ROUTES

    job = _published(world)
    ppl = world.pipelines[job.ppl_id]
    project = next(
        p for p in world.list_projects() if any(s.project_id == p.id for s in world.people.secrets)
    )
    flaky = next(
        r
        for p in world.list_projects()
        for r in get(url, f"{V}/projects/{p.id}/test_results/flaky_tests").json()
    )
    flaky_project = next(
        p.id
        for p in world.list_projects()
        if get(url, f"{V}/projects/{p.id}/test_results/flaky_tests/{flaky['test_id']}").status == 200
    )
    people = world.people
    values = {
        "project_id": flaky_project,
        "test_id": flaky["test_id"],
        "job_id": job.job_id,
        "ppl_id": ppl.ppl_id,
        "wf_id": ppl.wf_id,
        "role_id": people.roles[0].id,
        "sa_id": people.service_accounts[0].id,
        "secret": people.secrets[0].name,
        "project": project.id,
        "notification": people.notifications[0].id,
        "dashboard": people.dashboards[0].name,
    }
    query = {"scope": "jobs", "scope_id": job.job_id, "path": tr.JUNIT}
    server.reset_counts()
    for name, path, _handler, _options in ROUTES:
        filled = path.format(**values)
        if name == "project_members.list":
            filled = filled.replace(flaky_project, project.id)
        if name == "project_secrets.describe":
            secret = next(s for s in people.secrets if s.project_id == project.id)
            filled = f"/api/v1/projects/{project.id}/secrets/{secret.id}"
        params = {**query, "path": "test-results"} if name == "artifacts.list" else query
        reply = get(url, filled, params if name.startswith("artifacts") else None)
        assert reply.status == 200, (name, reply.status, reply.body[:200])
    counts = server.request_counts
    assert all(counts.get(name, 0) >= 1 for name, *_ in ROUTES), counts
