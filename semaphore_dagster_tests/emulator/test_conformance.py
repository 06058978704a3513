"""Conformance of the emulator to Semaphore's API as docs/api-behaviours.md and docs/emulator-http.md state it (the checklist).

Every test talks real HTTP to an `EmulatorServer` on 127.0.0.1 and compares with the world it serves.
"""

import json
import re
from collections.abc import Iterator

import pytest

from semaphore_dagster.emulator import EmulatorServer, World
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.emulator.http_helpers import Reply, get

V = "/api/v1alpha"
PLUMBER_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}Z$")
EPOCH_TS = "1970-01-01 00:00:00.000000Z"


@pytest.fixture(scope="module")
def world() -> World:
    return make_world("small")


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[EmulatorServer]:
    with EmulatorServer(world, token=TEST_TOKEN, promotions_without_switch="error") as srv:
        yield srv


@pytest.fixture(scope="module")
def url(server: EmulatorServer) -> str:
    return server.base_url


@pytest.fixture(scope="module")
def facts(world: World) -> dict:
    """Ids the tests need, read from the world (the ground truth of what is served)."""
    with world.lock:
        projects = world.list_projects()
        project = max(projects, key=lambda p: len(world.list_pipelines(project_id=p.id)))
        pipelines = world.list_pipelines(project_id=project.id)
        done = next(p for p in pipelines if p.state == "DONE" and p.result == "PASSED")
        running = next((p for p in world.pipelines.values() if p.state != "DONE"), None)
        switched = next((p for p in world.pipelines.values() if world.list_promotions(p.ppl_id)), None)
        no_switch = next(
            (p for p in world.pipelines.values() if world.list_promotions(p.ppl_id) is None), None
        )
        finished_job = next(j for j in world.list_jobs({"FINISHED"}) if world.job_log(j.job_id).error is None)
        never_started = next((j for j in world.jobs.values() if world.job_log(j.job_id).error), None)
        target = max(world.deployment_targets, key=lambda t: len(t.deployments), default=None)
        return {
            "project": project,
            "workflows": world.list_workflows(project.id),
            "pipelines": pipelines,
            "done": done,
            "running": running,
            "switched": switched,
            "no_switch": no_switch,
            "finished_job": finished_job,
            "never_started": never_started,
            "target": target,
            "agents": world.list_agents(),
            "agent_types": world.list_agent_types(),
            "schedules": world.list_schedules(),
        }


def no_json_content_type(reply: Reply) -> bool:
    return reply.header("Content-Type") is None


# --- §6.1 auth --------------------------------------------------------------------------------------------------

AUTH_CASES = [
    ({"Authorization": f"Token {TEST_TOKEN}"}, 200, None),
    ({"Authorization": f"Bearer {TEST_TOKEN}"}, 200, None),
    ({"Authorization": f"token {TEST_TOKEN}"}, 401, b"Unauthorized"),
    ({"Authorization": f"bearer {TEST_TOKEN}"}, 401, b"Unauthorized"),
    ({"Authorization": f"Basic {TEST_TOKEN}"}, 401, b"Unauthorized"),
    ({"Authorization": f"Token  {TEST_TOKEN}"}, 401, b"Unauthorized"),
    ({"Authorization": "Token wrong-token"}, 401, b"Unauthorized"),
    ({"Authorization": f"{TEST_TOKEN}"}, 401, b"Unauthorized"),
    ({}, 401, b"Unauthorized"),
    ({"Authorization": f"Token {TEST_TOKEN}", "x-semaphore-org-id": "x"}, 404, b"Not Found"),
    ({"Authorization": f"Token {TEST_TOKEN}", "X-Semaphore-User-Id": "u"}, 404, b"Not Found"),
    ({"x-semaphore-anything": "1"}, 404, b"Not Found"),
]


@pytest.mark.parametrize(
    "path", [f"{V}/projects", f"{V}/self_hosted_agent_types", f"{V}/jobs?states=FINISHED"]
)
@pytest.mark.parametrize(("headers", "status", "body"), AUTH_CASES)
def test_auth_matrix(url: str, path: str, headers: dict, status: int, body: bytes | None) -> None:
    reply = get(url, path, token=None, headers=headers)
    assert reply.status == status
    if body is not None:
        assert reply.body == body


def test_revoke_and_set_tokens(world: World) -> None:
    with EmulatorServer(world, token=["a-token", "b-token"]) as srv:
        assert get(srv.base_url, f"{V}/projects", token="b-token").status == 200
        srv.revoke_token()
        assert get(srv.base_url, f"{V}/projects", token="b-token").status == 401
        srv.set_tokens("c-token")
        assert get(srv.base_url, f"{V}/projects", token="c-token").status == 200
        assert get(srv.base_url, f"{V}/projects", token="a-token").status == 401


# --- §6.2 routing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        (f"{V}/workflows", 404, {"code": 5, "message": "Not Found", "details": []}),
        (f"{V}/workflows?project_id=x", 404, {"code": 5, "message": "Not Found", "details": []}),
        (f"{V}/no-such-thing", 404, b"oops"),
        ("/not-the-api", 404, b"Not Found"),
    ],
)
def test_unknown_routes(url: str, path: str, status: int, body: object) -> None:
    reply = get(url, path)
    assert reply.status == status
    assert (reply.json() if isinstance(body, dict) else reply.body) == body


# --- §6.3 workflows -------------------------------------------------------------------------------------------


def test_workflow_list_and_describe_shapes(url: str, facts: dict) -> None:
    project = facts["project"]
    reply = get(url, f"{V}/plumber-workflows", {"project_id": project.id})
    assert reply.status == 200 and no_json_content_type(reply)
    rows = reply.json()
    assert isinstance(rows, list) and rows
    assert [w["wf_id"] for w in rows] == [w.wf_id for w in facts["workflows"][:30]]
    first = rows[0]
    assert len(first) == 13
    assert isinstance(first["triggered_by"], int)
    assert set(first["created_at"]) == {"seconds", "nanos"}
    described = get(url, f"{V}/plumber-workflows/{first['wf_id']}").json()
    assert set(described) == {"workflow"}
    assert isinstance(described["workflow"]["triggered_by"], str)
    assert described["workflow"]["triggered_by"] in ("HOOK", "SCHEDULE", "API", "MANUAL_RUN")
    assert described["workflow"]["created_at"] == first["created_at"]


def test_workflow_filters(url: str, facts: dict) -> None:
    project, workflows = facts["project"], facts["workflows"]
    branch = workflows[0].branch_name
    rows = get(
        url, f"{V}/plumber-workflows", {"project_id": project.id, "branch_name": branch, "page_size": 500}
    ).json()
    assert rows and all(w["branch_name"] == branch for w in rows)
    middle = workflows[len(workflows) // 2].created_at.timestamp()
    after = get(
        url,
        f"{V}/plumber-workflows",
        {"project_id": project.id, "created_after": int(middle), "page_size": 500},
    )
    assert all(w["created_at"]["seconds"] >= int(middle) for w in after.json())
    assert 0 < len(after.json()) < len(workflows)


# --- §6.4 pipelines -------------------------------------------------------------------------------------------


def test_pipeline_list_shape(url: str, facts: dict) -> None:
    rows = get(url, f"{V}/pipelines", {"project_id": facts["project"].id, "page_size": 500}).json()
    assert [p["ppl_id"] for p in rows] == [p.ppl_id for p in facts["pipelines"]]
    for row in rows:
        assert row["state"] in ("INITIALIZING", "PENDING", "QUEUING", "RUNNING", "STOPPING", "DONE")
        assert set(row["created_at"]) == {"seconds", "nanos"}
        assert row["queue"]["type"] in ("IMPLICIT", "USER_GENERATED")
        assert row["triggerer"]["ppl_triggered_by"] in (
            "WORKFLOW",
            "PROMOTION",
            "AUTO_PROMOTION",
            "PARTIAL_RE_RUN",
        )
        if row["state"] == "DONE":
            assert row["result"] in ("PASSED", "STOPPED", "CANCELED", "FAILED")
            assert "result_reason" in row
        else:
            assert "result" not in row and "result_reason" not in row
            assert row["done_at"] == {"seconds": 0, "nanos": 0}


def test_pipeline_describe_shape(url: str, facts: dict) -> None:
    done = facts["done"]
    plain = get(url, f"{V}/pipelines/{done.ppl_id}")
    assert plain.status == 200 and no_json_content_type(plain)
    body = plain.json()
    assert set(body) == {"pipeline", "blocks"} and body["blocks"] == []
    ppl = body["pipeline"]
    assert ppl["state"] == "done" and ppl["result"] == ppl["result"].lower() and "result_reason" in ppl
    for key in ("created_at", "pending_at", "queuing_at", "running_at", "stopping_at", "done_at"):
        assert PLUMBER_TS.match(ppl[key]), (key, ppl[key])
    assert isinstance(ppl["queue"]["type"], int)
    assert isinstance(ppl["triggerer"]["wf_triggered_by"], int)
    assert isinstance(ppl["triggerer"]["ppl_triggered_by"], int)
    detailed = get(url, f"{V}/pipelines/{done.ppl_id}", {"detailed": "true"}).json()
    assert len(detailed["blocks"]) == len(done.blocks) > 0
    block = detailed["blocks"][0]
    assert block["state"] == "done" and block["jobs"]
    assert {"name", "index", "job_id", "status", "result"} <= set(block["jobs"][0])
    assert block["jobs"][0]["status"] == "FINISHED"
    for not_true in ("True", "1", "yes"):
        assert get(url, f"{V}/pipelines/{done.ppl_id}", {"detailed": not_true}).json()["blocks"] == []


def test_running_pipeline_describe_omits_result(url: str, facts: dict) -> None:
    running = facts["running"]
    if running is None:
        pytest.fail("the world should hold a running pipeline")
    ppl = get(url, f"{V}/pipelines/{running.ppl_id}").json()["pipeline"]
    assert ppl["state"] == running.state.lower()
    assert "result" not in ppl and "result_reason" not in ppl
    assert ppl["done_at"] == EPOCH_TS


def test_topology(url: str, facts: dict) -> None:
    done = facts["done"]
    reply = get(url, f"{V}/pipelines/{done.ppl_id}/describe_topology")
    assert reply.status == 200
    topo = reply.json()
    assert [b["name"] for b in topo] == [b.name for b in done.blocks]
    assert all(set(b) == {"name", "jobs", "dependencies"} for b in topo)


def test_pipeline_filters(url: str, facts: dict) -> None:
    project, pipelines = facts["project"], facts["pipelines"]
    wf_id = pipelines[0].wf_id
    by_wf = get(url, f"{V}/pipelines", {"wf_id": wf_id}).json()
    assert by_wf and all(p["wf_id"] == wf_id for p in by_wf)
    done = get(url, f"{V}/pipelines", {"project_id": project.id, "done_after": 1, "page_size": 500}).json()
    assert done and all(p["state"] == "DONE" for p in done)
    assert len(done) == sum(1 for p in pipelines if p.state == "DONE")
    yml = pipelines[0].pipeline_file
    by_file = get(
        url, f"{V}/pipelines", {"project_id": project.id, "yml_file_path": yml, "page_size": 500}
    ).json()
    assert by_file and all(f"{p['working_directory']}/{p['yaml_file_name']}" == yml for p in by_file)


# --- §6.5 style A headers -------------------------------------------------------------------------------------


def _style_a_request(facts: dict, endpoint: str) -> tuple[str, dict]:
    return {
        "workflows": (f"{V}/plumber-workflows", {"project_id": facts["project"].id}),
        "pipelines": (f"{V}/pipelines", {"project_id": facts["project"].id}),
        "promotions": (f"{V}/promotions", {"pipeline_id": facts["switched"].ppl_id}),
        "schedules": (f"{V}/schedules", {"project_id": facts["project"].id}),
        "tasks": (f"{V}/tasks", {"project_id": facts["project"].id}),
    }[endpoint]


@pytest.mark.parametrize(
    ("endpoint", "default_size"),
    [("workflows", 30), ("pipelines", 30), ("promotions", 10), ("schedules", 30), ("tasks", 30)],
)
def test_style_a_headers(
    url: str, server: EmulatorServer, facts: dict, endpoint: str, default_size: int
) -> None:
    path, params = _style_a_request(facts, endpoint)
    reply = get(url, path, params)
    assert reply.status == 200 and no_json_content_type(reply)
    assert reply.header("per-page") == str(default_size)
    total = int(reply.header("total"))
    assert len(reply.json()) == min(total, default_size)
    assert int(reply.header("total-pages")) == max(1, -(-total // default_size))
    assert reply.header("page-number") == "1"
    names = [k.lower() for k in reply.header_names()]
    assert {"link", "total", "per-page", "total-pages", "page-number"} <= set(names)
    assert "link" in reply.header_names()  # lowercase on the wire
    link = reply.header("link")
    assert link.startswith(f"<http://127.0.0.1{path}?")  # Host header without the port
    assert f":{server.port}" not in link
    # No maximum page size.
    big = get(url, path, {**params, "page_size": 1000})
    assert big.header("per-page") == "1000" and len(big.json()) == total


def test_style_a_walk_pages_by_next_link(url: str, facts: dict) -> None:
    project = facts["project"]
    seen, page = [], 1
    rels_seen = []
    while True:
        reply = get(url, f"{V}/pipelines", {"project_id": project.id, "page_size": 7, "page": page})
        seen += [p["ppl_id"] for p in reply.json()]
        rels = re.findall(r'page=(\d+)[^>]*>; rel="(\w+)"', reply.header("link"))
        rels_seen.append([rel for _, rel in rels])
        nxt = [int(p) for p, rel in rels if rel == "next"]
        if not nxt:
            break
        page = nxt[0]
    assert seen == [p.ppl_id for p in facts["pipelines"]]
    assert rels_seen[0] == ["next", "first", "last"]
    assert rels_seen[-1][0] == "prev"


def test_style_a_empty_and_past_the_end(url: str, facts: dict) -> None:
    project = facts["project"]
    empty = get(url, f"{V}/plumber-workflows", {"project_id": project.id, "branch_name": "no-such-branch"})
    assert empty.json() == [] and empty.header("total-pages") == "1" and empty.header("total") == "0"
    assert re.findall(r'rel="(\w+)"', empty.header("link")) == ["first", "last"]
    past = get(url, f"{V}/pipelines", {"project_id": project.id, "page": 999})
    assert past.json() == [] and re.findall(r'rel="(\w+)"', past.header("link")) == ["first", "last"]


def test_style_a_link_base_override(world: World, facts: dict) -> None:
    with EmulatorServer(world, token=TEST_TOKEN, link_base="https://acme.semaphoreci.com") as srv:
        reply = get(srv.base_url, f"{V}/pipelines", {"project_id": facts["project"].id, "page_size": 2})
        assert reply.header("link").startswith("<https://acme.semaphoreci.com/api/v1alpha/pipelines?page=2&")


@pytest.mark.parametrize("endpoint", ["workflows", "pipelines"])
@pytest.mark.parametrize("bad", ["abc", "0", "-4"])
def test_lenient_page_params_fall_back_silently(url: str, facts: dict, endpoint: str, bad: str) -> None:
    path, params = _style_a_request(facts, endpoint)
    reply = get(url, path, {**params, "page_size": bad, "page": bad})
    assert reply.status == 200
    assert reply.header("per-page") == "30" and reply.header("page-number") == "1"


@pytest.mark.parametrize("endpoint", ["promotions", "schedules"])
@pytest.mark.parametrize("field", ["page", "page_size"])
def test_strict_page_params_are_400_json_strings(url: str, facts: dict, endpoint: str, field: str) -> None:
    path, params = _style_a_request(facts, endpoint)
    reply = get(url, path, {**params, field: "x"})
    assert reply.status == 400
    assert reply.body == f'"Invalid value of \'{field}\' param: \\"x\\" - needs to be integer."'.encode()


# --- §6.6 required params and errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{V}/plumber-workflows", {}),
        (f"{V}/plumber-workflows", {"project_id": ""}),
        (f"{V}/plumber-workflows", {"project_id": "00000000-0000-4000-8000-000000000000"}),
        (f"{V}/pipelines", {}),
        (f"{V}/pipelines", {"wf_id": "00000000-0000-4000-8000-000000000000"}),
        (f"{V}/pipelines/00000000-0000-4000-8000-000000000000", {}),
        (f"{V}/pipelines/00000000-0000-4000-8000-000000000000/describe_topology", {}),
        (f"{V}/plumber-workflows/00000000-0000-4000-8000-000000000000", {}),
        (f"{V}/promotions", {}),
        (f"{V}/promotions", {"pipeline_id": "nope"}),
    ],
)
def test_missing_or_unknown_is_plain_not_found(url: str, path: str, params: dict) -> None:
    reply = get(url, path, params)
    assert (reply.status, reply.body) == (404, b"Not Found")


@pytest.mark.parametrize("path", [f"{V}/pipelines", f"{V}/plumber-workflows"])
def test_non_integer_created_after_is_500(url: str, facts: dict, path: str) -> None:
    reply = get(url, path, {"project_id": facts["project"].id, "created_after": "yesterday"})
    assert reply.status == 500


@pytest.mark.parametrize(
    ("after", "before"), [("created_after", "created_before"), ("done_after", "done_before")]
)
def test_inverted_window_is_400_with_the_source_typos(url: str, facts: dict, after: str, before: str) -> None:
    reply = get(url, f"{V}/pipelines", {"project_id": facts["project"].id, after: 2000, before: 1000})
    assert reply.status == 400
    assert (
        reply.json() == f"Inavlid values od fields '{after}' and '{before}' - first has to be before second."
    )
    assert reply.body.startswith(b'"')


# --- promotions -----------------------------------------------------------------------------------------------


def test_promotions_shape_and_no_switch(url: str, world: World, facts: dict) -> None:
    switched = facts["switched"]
    rows = get(url, f"{V}/promotions", {"pipeline_id": switched.ppl_id}).json()
    assert rows and all(
        set(p)
        == {
            "name",
            "triggered_at",
            "triggered_by",
            "override",
            "status",
            "scheduled_at",
            "scheduled_pipeline_id",
        }
        for p in rows
    )
    assert all(p["status"] in ("processing", "passed", "failed") for p in rows)
    stamps = [(p["triggered_at"]["seconds"], p["triggered_at"]["nanos"]) for p in rows]
    assert stamps == sorted(stamps, reverse=True)
    name = rows[0]["name"]
    named = get(url, f"{V}/promotions", {"pipeline_id": switched.ppl_id, "name": name}).json()
    assert named and all(p["name"] == name for p in named)
    no_switch = get(url, f"{V}/promotions", {"pipeline_id": facts["no_switch"].ppl_id})
    assert no_switch.status == 400 and no_switch.body.startswith(b'"')
    with EmulatorServer(world, token=TEST_TOKEN, promotions_without_switch="empty") as srv:
        assert get(srv.base_url, f"{V}/promotions", {"pipeline_id": facts["no_switch"].ppl_id}).json() == []


# --- §6.7 jobs ------------------------------------------------------------------------------------------------


def test_jobs_protojson(url: str, facts: dict) -> None:
    job = facts["finished_job"]
    reply = get(url, f"{V}/jobs/{job.job_id}")
    assert reply.status == 200 and reply.header("Content-Type") == "application/json"
    body = reply.json()
    assert set(body) == {"metadata", "spec", "status"}
    meta = body["metadata"]
    for key in ("create_time", "update_time", "start_time", "finish_time"):
        assert isinstance(meta[key], str) and meta[key].isdigit()
    assert body["status"]["state"] == "FINISHED" and body["status"]["result"] in (
        "PASSED",
        "FAILED",
        "STOPPED",
    )


def test_jobs_list_rules(url: str, world: World) -> None:
    assert get(url, f"{V}/jobs").json() == {"jobs": [], "next_page_token": ""}
    too_big = get(url, f"{V}/jobs", {"states": "FINISHED", "page_size": 31})
    assert too_big.status == 400
    assert too_big.json() == {"code": 3, "message": "Page size can't exceed 30", "details": []}
    with world.lock:
        expected = [j.job_id for j in world.list_jobs({"FINISHED", "RUNNING"})]
    seen, token = [], ""
    while True:
        params = {"states": ["FINISHED", "2"], "page_size": 30}  # a name and a number (RUNNING = 2)
        if token:
            params["page_token"] = token
        body = get(url, f"{V}/jobs", params).json()
        assert len(body["jobs"]) <= 30
        seen += [j["metadata"]["id"] for j in body["jobs"]]
        token = body["next_page_token"]
        if not token:
            break
    assert seen == expected


@pytest.mark.parametrize(
    ("job_id", "status", "body"),
    [
        ("not-a-uuid", 400, {"code": 3, "message": "Job id not-a-uuid is invalid", "details": []}),
        (
            "00000000-0000-4000-8000-000000000000",
            404,
            {"code": 5, "message": "Job 00000000-0000-4000-8000-000000000000 not found", "details": []},
        ),
    ],
)
def test_jobs_describe_errors(url: str, job_id: str, status: int, body: dict) -> None:
    reply = get(url, f"{V}/jobs/{job_id}")
    assert reply.status == status and reply.json() == body
    assert reply.header("Content-Type") == "application/json"


# --- §6.8 logs ------------------------------------------------------------------------------------------------


def test_cloud_log_inline(url: str, world: World, facts: dict) -> None:
    job = facts["finished_job"]
    reply = get(url, f"{V}/logs/{job.job_id}")
    if job.self_hosted:
        assert reply.status == 302
        return
    assert reply.status == 200 and reply.header("Content-Type") == "application/json"
    assert reply.body.startswith(b'{ "events": [') and reply.body.endswith(b"] }")
    events = reply.json()["events"]
    with world.lock:
        assert events == list(world.job_log(job.job_id).event_dicts())
    assert events[0]["event"] == "job_started" and events[-1]["event"] == "job_finished"


def test_never_started_job_log_is_404_json_string(url: str, facts: dict) -> None:
    job = facts["never_started"]
    if job is None:
        pytest.fail("the world should hold a never-started job")
    reply = get(url, f"{V}/logs/{job.job_id}")
    assert reply.status == 404 and reply.body.startswith(b'"')
    assert reply.json() == job.never_started_message


def test_self_hosted_log_redirect_and_loghub2(world: World, facts: dict) -> None:
    job = facts["finished_job"]
    with EmulatorServer(world, token=TEST_TOKEN, log_mode="self_hosted") as srv:
        reply = get(srv.base_url, f"{V}/logs/{job.job_id}")
        assert reply.status == 302
        location = reply.header("Location")
        # Semaphore's own host over https, without the port the client used (docs/api-behaviours.md)
        assert location.startswith(f"https://127.0.0.1/api/v1/logs/{job.job_id}?jwt=")
        target = location.removeprefix("https://127.0.0.1")
        followed = get(srv.base_url, target, token=None)  # loghub2 authenticates by jwt, not the header
        assert followed.status == 200 and followed.header("Content-Type") == "application/json"
        body = followed.json()
        assert body["next"] is None and followed.body.endswith(b'],"next": null}')
        with world.lock:
            assert body["events"] == list(world.job_log(job.job_id).event_dicts())
        raw = get(srv.base_url, target + "&raw=true", token=None)
        assert raw.status == 200 and raw.header("Content-Type") == "text/plain; charset=utf-8"
        assert b'"event"' not in raw.body and raw.body
        refused = get(srv.base_url, target, token=None, headers={"x-semaphore-user-id": "u"})
        assert (refused.status, refused.body) == (404, b"Not Found")
        bad = get(srv.base_url, f"/api/v1/logs/{job.job_id}?jwt=forged", token=None)
        assert (bad.status, bad.body) == (401, b"Unauthorized\n")
        jwt = target.split("jwt=")[1]
        by_header = get(srv.base_url, f"/api/v1/logs/{job.job_id}", token=jwt, scheme="Bearer")
        assert by_header.status == 200 and by_header.json() == body
        # A finished log's `token` never advances loghub2's index: any token > 0 gives no events.
        assert get(srv.base_url, target + "&token=3", token=None).json() == {"events": [], "next": None}
        assert get(srv.base_url, target + "&token=x", token=None).body == b"bad token\n"
        other = get(
            srv.base_url,
            f"/api/v1/logs/00000000-0000-4000-8000-000000000000?{target.split('?')[1]}",
            token=None,
        )
        assert other.status == 401  # the jwt is for another job
        assert srv.request_counts["logs.v1"] == 8 and srv.request_counts["logs.get"] == 1


def test_running_job_log_pages_with_next_and_token(world: World) -> None:
    with world.lock:
        running = [
            j for j in world.jobs.values() if j.state == "RUNNING" and world.job_log(j.job_id).error is None
        ]
    if not running:
        pytest.fail("the world should hold a running job")
    job = running[0]
    with EmulatorServer(world, token=TEST_TOKEN, log_mode="self_hosted") as srv:
        location = (
            get(srv.base_url, f"{V}/logs/{job.job_id}").header("Location").removeprefix("https://127.0.0.1")
        )
        body = get(srv.base_url, location, token=None).json()
        assert body["next"] == len(body["events"])
        rest = get(srv.base_url, f"{location}&token={body['next']}", token=None).json()
        assert rest == {"events": [], "next": body["next"]}
        if len(body["events"]) > 2:
            tail = get(srv.base_url, f"{location}&token=2", token=None).json()
            assert tail["events"] == body["events"][2:] and tail["next"] == body["next"]


def test_unknown_job_logs(world: World) -> None:
    with EmulatorServer(world, token=TEST_TOKEN, log_mode="self_hosted") as srv:
        assert get(srv.base_url, f"{V}/logs/00000000-0000-4000-8000-000000000000").status == 404


# --- §6.9 agents ----------------------------------------------------------------------------------------------


def test_agent_types_not_paginated(url: str, facts: dict) -> None:
    body = get(url, f"{V}/self_hosted_agent_types", {"page": 7}).json()
    assert [t["metadata"]["name"] for t in body["agent_types"]] == [t.name for t in facts["agent_types"]]
    name = facts["agent_types"][0].name
    one = get(url, f"{V}/self_hosted_agent_types/{name}").json()
    assert one["metadata"]["name"] == name and "agent_types" not in one
    missing = get(url, f"{V}/self_hosted_agent_types/s1-nope")
    assert (missing.status, missing.body) == (404, b'"agent type not found"')
    assert get(url, f"{V}/agents/nope").body == b'"agent not found"'
    bad_page = get(url, f"{V}/self_hosted_agent_types", {"page": "x"})
    assert (bad_page.status, bad_page.json()) == (
        400,
        "Invalid value of 'page' param: \"x\" - needs to be integer.",
    )
    agent = facts["agents"][0]
    assert get(url, f"{V}/agents/{agent.name}").json()["metadata"]["name"] == agent.name


def test_agents_cursor_walk(url: str, facts: dict) -> None:
    agents = facts["agents"]
    seen, cursor = [], ""
    while True:
        params = {"page_size": 5}
        if cursor:
            params["cursor"] = cursor
        body = get(url, f"{V}/agents", params).json()
        seen += [a["metadata"]["name"] for a in body["agents"]]
        cursor = body["cursor"]
        if not cursor:
            break
        assert cursor.isdigit()
    assert seen == [a.name for a in agents]
    default = get(url, f"{V}/agents").json()
    assert len(default["agents"]) == len(agents) and default["cursor"] == ""


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("4", "page size of 4 is invalid: must be greater than 0 and between 5-200"),
        ("201", "page size of 201 is invalid: must be greater than 0 and between 5-200"),
        ("x", "Invalid value of 'page_size' param: \"x\" - needs to be integer."),
    ],
)
def test_agents_page_size_range(url: str, size: str, message: str) -> None:
    reply = get(url, f"{V}/agents", {"page_size": size})
    assert reply.status == 400 and reply.json() == message


# --- §6.10 deployment targets ---------------------------------------------------------------------------------


def test_deployment_targets(url: str, world: World, facts: dict) -> None:
    target = facts["target"]
    if target is None:
        pytest.fail("the world should hold deployment targets")
    rows = get(url, f"{V}/deployment_targets", {"project_id": target.project_id}).json()
    assert target.id in [t["id"] for t in rows]
    assert all(len(t) == 19 or len(t) >= 19 for t in rows)
    named = get(
        url, f"{V}/deployment_targets", {"project_id": target.project_id, "target_name": target.name}
    ).json()
    assert [t["id"] for t in named] == [target.id]
    assert get(url, f"{V}/deployment_targets/{target.id}").json()["id"] == target.id
    missing = get(url, f"{V}/deployment_targets")
    assert (missing.status, missing.json()) == (400, "project_id is required to list deployment targets")
    for path in (
        f"{V}/deployment_targets",
        f"{V}/deployment_targets/nope",
        f"{V}/deployment_targets/nope/history",
    ):
        reply = get(url, path, {"project_id": "nope"})
        assert (
            reply.status == 400 and b"must be a valid UUID" in reply.body and not reply.body.startswith(b'"')
        )


def test_deployment_history_walk(url: str, world: World, facts: dict) -> None:
    target = facts["target"]
    with world.lock:
        expected = [d.id for d in world.deployments(target.id)]
    first = get(url, f"{V}/deployment_targets/{target.id}/history").json()
    assert set(first) == {"deployments", "cursor_before", "cursor_after"}
    assert first["cursor_after"] == 0 and len(first["deployments"]) == min(10, len(expected))
    seen, page = [], first
    while True:
        seen += [d["id"] for d in page["deployments"]]
        if not page["cursor_before"]:
            break
        page = get(
            url,
            f"{V}/deployment_targets/{target.id}/history",
            {"cursor_type": "BEFORE", "cursor_value": page["cursor_before"]},
        ).json()
    assert seen == expected


# --- §6.11 projects (style B) ---------------------------------------------------------------------------------


def test_projects_style_b(url: str, world: World) -> None:
    reply = get(url, f"{V}/projects")
    assert reply.status == 200 and no_json_content_type(reply)
    assert reply.header("x-page") == "1" and reply.header("x-has-more") == "false"
    with world.lock:
        names = [p.name for p in world.list_projects()]
    assert [p["metadata"]["name"] for p in reply.json()] == names
    project = reply.json()[0]
    assert project["apiVersion"] == "v1alpha" and project["kind"] == "Project"
    by_name = get(url, f"{V}/projects/{names[0]}")
    assert by_name.json() == project
    by_id = get(url, f"{V}/projects/{project['metadata']['id']}")
    assert (by_id.status, by_id.json()) == (404, {"message": "Not found"})


@pytest.mark.parametrize(
    ("page", "message"),
    [("0", "page must be at least 1"), ("101", "page must be at most 100"), ("x", "page must be a number")],
)
def test_projects_page_errors(url: str, page: str, message: str) -> None:
    reply = get(url, f"{V}/projects", {"page": page})
    assert (reply.status, reply.json()) == (400, {"message": message})


def test_projects_pages_loop_on_has_more(world: World) -> None:
    with EmulatorServer(world, token=TEST_TOKEN, projects_page_size=1) as srv:
        seen, page = [], 1
        while True:
            reply = get(srv.base_url, f"{V}/projects", {"page": page})
            assert reply.header("x-page") == str(page)
            seen += [p["metadata"]["id"] for p in reply.json()]
            if reply.header("x-has-more") != "true":
                break
            page += 1
        with world.lock:
            assert seen == [p.id for p in world.list_projects()]
        past = get(srv.base_url, f"{V}/projects", {"page": 99})
        assert past.json() == [] and past.header("x-has-more") == "false"


# --- retention policies and schedules ------------------------------------------------------------------------


def test_retention_policy(url: str, facts: dict) -> None:
    body = get(url, f"{V}/artifacts_retention_policies/{facts['project'].id}").json()
    assert set(body) == {
        "project_level_retention_policies",
        "workflow_level_retention_policies",
        "job_level_retention_policies",
    }
    bad = get(url, f"{V}/artifacts_retention_policies/nope")
    assert (bad.status, bad.body) == (400, b"project id must be a valid UUID")


def test_schedules(url: str, facts: dict) -> None:
    schedules = facts["schedules"]
    project_id = schedules[0].project_id
    rows = get(url, f"{V}/schedules", {"project_id": project_id, "page_size": 500}).json()
    assert [s["id"] for s in rows] == [s.id for s in schedules if s.project_id == project_id]
    assert get(url, f"{V}/schedules").body == b"Not Found"  # project_id is required
    by_name = get(url, f"{V}/schedules/{schedules[0].name}")
    assert (by_name.status, by_name.json()) == (400, "schedule identifier should be a UUID")
    one = get(url, f"{V}/schedules/{schedules[0].id}").json()
    assert set(one) == {"schedule", "triggers"} and one["schedule"]["id"] == schedules[0].id
    assert get(url, f"{V}/tasks/{schedules[0].id}").json()["schedule"]["id"] == schedules[0].id


# --- counters and determinism ---------------------------------------------------------------------------------


def test_request_counts(world: World, facts: dict) -> None:
    with EmulatorServer(world, token=TEST_TOKEN) as srv:
        get(srv.base_url, f"{V}/projects")
        get(srv.base_url, f"{V}/projects", token="bad")
        get(srv.base_url, f"{V}/pipelines", {"project_id": facts["project"].id})
        get(srv.base_url, f"{V}/pipelines/{facts['done'].ppl_id}")
        get(srv.base_url, f"{V}/jobs/{facts['finished_job'].job_id}")
        get(srv.base_url, f"{V}/workflows")
        assert srv.request_counts == {
            "projects.list": 2,
            "pipelines.list": 1,
            "pipelines.describe": 1,
            "jobs.describe": 1,
            "unknown": 1,
        }
        assert srv.total_requests == 6
        srv.reset_counts()
        assert srv.request_counts == {} and srv.total_requests == 0


DETERMINISM_PATHS = [
    f"{V}/projects",
    f"{V}/self_hosted_agent_types",
    f"{V}/agents",
    f"{V}/jobs?states=FINISHED",
    f"{V}/self_hosted_agent_types/s1-nope",
]


def test_same_seed_same_responses(facts: dict) -> None:
    bodies = []
    for _ in range(2):
        fresh = make_world("small")
        with EmulatorServer(fresh, token=TEST_TOKEN) as srv:
            with fresh.lock:
                project = fresh.list_projects()[0].id
                ppl = fresh.list_pipelines(project_id=project)[0].ppl_id
            paths = DETERMINISM_PATHS + [
                f"{V}/pipelines?project_id={project}&page_size=100",
                f"{V}/plumber-workflows?project_id={project}&page_size=100",
                f"{V}/pipelines/{ppl}?detailed=true",
                f"{V}/deployment_targets?project_id={project}",
                f"{V}/schedules?project_id={project}",
            ]
            bodies.append([get(srv.base_url, p).body for p in paths])
    assert bodies[0] == bodies[1]
    other = make_world("small", seed=8)
    with EmulatorServer(other, token=TEST_TOKEN) as srv:
        assert get(srv.base_url, f"{V}/projects").body != bodies[0][0]


def test_json_strings_vs_plain_text_bodies(url: str, facts: dict) -> None:
    """§6.12: plumber errors are JSON strings (quoted); authorization-plug errors are plain text."""
    quoted = get(
        url, f"{V}/pipelines", {"project_id": facts["project"].id, "created_after": 5, "created_before": 1}
    )
    plain = get(url, f"{V}/pipelines/00000000-0000-4000-8000-000000000000")
    assert quoted.body.startswith(b'"') and json.loads(quoted.body)
    assert plain.body == b"Not Found"


# --- insights -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["performance", "reliability", "frequency"])
def test_insights_routed_and_counted(world: World, facts: dict, kind: str) -> None:
    project = facts["project"]
    with EmulatorServer(world, token=TEST_TOKEN) as srv:
        reply = get(
            srv.base_url,
            f"{V}/projects/{project.id}/insights/{kind}",
            {"pipeline_file": project.pipeline_file, "aggregate": "range"},
        )
        # Semaphore's shapes, no wrapper object (docs/insights.md, "The emulator's insights endpoints").
        expected = {"all", "failed", "passed"} if kind == "performance" else {"metrics"}
        assert reply.status == 200 and set(reply.json()) == expected
        assert get(srv.base_url, f"{V}/projects/{project.id}/insights/{kind}", token="bad").status == 401
        assert srv.request_counts == {f"insights.{kind}": 2}


def test_path_parameters_are_url_decoded(url: str, facts: dict) -> None:
    name = facts["project"].name
    encoded = "".join(f"%{b:02X}" for b in name.encode())
    assert get(url, f"{V}/projects/{encoded}").json()["metadata"]["name"] == name


def test_log_redirect_base_as_semaphore_builds_it(world: World, facts: dict) -> None:
    job = facts["finished_job"]
    with EmulatorServer(
        world, token=TEST_TOKEN, log_mode="self_hosted", log_redirect_base="https://acme.semaphoreci.com"
    ) as srv:
        location = get(srv.base_url, f"{V}/logs/{job.job_id}").header("Location")
        assert location.startswith(f"https://acme.semaphoreci.com/api/v1/logs/{job.job_id}?jwt=")
