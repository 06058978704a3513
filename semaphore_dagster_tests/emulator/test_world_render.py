"""render.py shapes against the API's documented examples (docs/api-behaviours.md): key sets, types, spellings."""

import json
import re

import pytest

from semaphore_dagster.emulator import World, render
from semaphore_dagster_tests.conftest import make_world

DESCRIBE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}Z$")
ISO_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$")

PIPELINE_KEYS = set(
    "ppl_id name project_id branch_name commit_sha created_at pending_at queuing_at running_at stopping_at done_at "
    "state result result_reason terminate_request hook_id branch_id error_description switch_id working_directory "
    "yaml_file_name terminated_by wf_id snapshot_id queue promotion_of partial_rerun_of commit_message "
    "partially_rerun_by compile_task_id with_after_task after_task_id repository_id env_vars triggerer "
    "organization_id".split()
)
WORKFLOW_KEYS = set(
    "wf_id initial_ppl_id project_id hook_id requester_id branch_id branch_name commit_sha created_at "
    "triggered_by rerun_of repository_id organization_id".split()
)
TARGET_KEYS = set(
    "id name description url organization_id project_id created_by created_at updated_by updated_at state "
    "state_message subject_rules object_rules last_deployment active bookmark_parameter1 bookmark_parameter2 "
    "bookmark_parameter3".split()
)
DEPLOYMENT_KEYS = set(
    "id target_id prev_pipeline_id pipeline_id triggered_by triggered_at state state_message switch_id "
    "target_name env_vars can_requester_rerun".split()
)


@pytest.fixture(scope="module")
def world() -> World:
    return make_world("small", days=4)


def _roundtrip(value):
    return json.loads(json.dumps(value))


def test_project_shape(world: World):
    body = _roundtrip(render.project(world, world.projects[0]))
    assert body["apiVersion"] == "v1alpha" and body["kind"] == "Project"
    assert set(body["metadata"]) == {"name", "id", "description", "org_id", "owner_id"}
    assert set(body["spec"]) == {
        "repository",
        "schedulers",
        "tasks",
        "visibility",
        "custom_permissions",
        "debug_permissions",
        "attach_permissions",
    }
    repo = body["spec"]["repository"]
    assert repo["integration_type"] in ("github_app", "github_token") and repo["run_on"][0] == "branches"
    assert body["spec"]["tasks"][0]["reference"] == {
        "type": "branch",
        "name": world.projects[0].default_branch,
    }


def test_workflow_list_and_describe(world: World):
    wf = next(iter(world.workflows.values()))
    item = render.workflow_list_item(world, wf)
    assert set(item) == WORKFLOW_KEYS and isinstance(item["triggered_by"], int)
    assert set(item["created_at"]) == {"seconds", "nanos"}
    described = render.workflow_describe(world, wf)
    assert set(described) == {"workflow"} and described["workflow"]["triggered_by"] in (
        "HOOK",
        "SCHEDULE",
        "API",
        "MANUAL_RUN",
    )


def test_pipeline_list_item_uppercase_and_result_only_when_done(world: World):
    for p in world.pipelines.values():
        item = render.pipeline_list_item(world, p)
        expected = PIPELINE_KEYS if p.state == "DONE" else PIPELINE_KEYS - {"result", "result_reason"}
        assert set(item) == expected
        assert item["state"] == p.state and item["state"].isupper()
        assert item["queue"]["type"] in ("IMPLICIT", "USER_GENERATED")
        assert item["triggerer"]["ppl_triggered_by"] in (
            "WORKFLOW",
            "PROMOTION",
            "AUTO_PROMOTION",
            "PARTIAL_RE_RUN",
        )
        assert all(set(item[k]) == {"seconds", "nanos"} for k in ("created_at", "done_at", "stopping_at"))
        if p.done_at is None:
            assert item["done_at"] == {"seconds": 0, "nanos": 0}


def test_pipeline_describe_lowercase_strings_and_int_enums(world: World):
    running = next(p for p in world.pipelines.values() if p.state == "RUNNING")
    done = next(p for p in world.pipelines.values() if p.result == "FAILED" and p.result_reason == "TEST")
    body = render.pipeline_describe(world, done, detailed=False)
    assert set(body) == {"pipeline", "blocks"} and body["blocks"] == []
    ppl = body["pipeline"]
    assert ppl["state"] == "done" and ppl["result"] == "failed" and ppl["result_reason"] == "test"
    assert all(DESCRIBE_TS.match(ppl[k]) for k in ("created_at", "done_at", "stopping_at"))
    assert isinstance(ppl["queue"]["type"], int) and isinstance(ppl["triggerer"]["wf_triggered_by"], int)
    detailed = render.pipeline_describe(world, done, detailed=True)["blocks"]
    assert detailed and set(detailed[0]) == {
        "block_id",
        "name",
        "build_req_id",
        "state",
        "result",
        "result_reason",
        "error_description",
        "jobs",
    }
    assert {j["status"] for b in detailed for j in b["jobs"]} == {"FINISHED"}
    live = render.pipeline_describe(world, running, detailed=True)
    assert live["pipeline"]["state"] == "running" and "result" not in live["pipeline"]
    assert live["pipeline"]["done_at"] == "1970-01-01 00:00:00.000000Z"
    assert any(b["state"] != "done" and "result" not in b for b in live["blocks"])


def test_topology(world: World):
    p = next(p for p in world.pipelines.values() if len(p.blocks) > 2)
    topo = render.topology(world, p.ppl_id)
    assert topo[0]["name"] == "Build" and topo[0]["dependencies"] == []
    assert all(set(b) == {"name", "jobs", "dependencies"} for b in topo)
    assert all(dep in {b["name"] for b in topo} for b in topo for dep in b["dependencies"])


def test_promotion_shape(world: World):
    rows = next(rows for rows in world.promotions.values() if rows)
    item = render.promotion(world, rows[0])
    assert set(item) == {
        "name",
        "triggered_at",
        "triggered_by",
        "override",
        "status",
        "scheduled_at",
        "scheduled_pipeline_id",
    }
    assert item["status"] in ("processing", "passed", "failed")


def test_job_protojson(world: World):
    finished = next(j for j in world.jobs.values() if j.state == "FINISHED" and not j.never_started_message)
    body = _roundtrip(render.job(world, finished))
    assert set(body) == {"metadata", "spec", "status"}
    meta = body["metadata"]
    assert all(
        isinstance(meta[k], str) and meta[k].isdigit() for k in ("create_time", "start_time", "finish_time")
    )
    assert body["status"]["state"] == "FINISHED" and body["status"]["agent"] is not None
    assert set(body["spec"]["agent"]) == {"machine", "containers", "image_pull_secrets"}
    queued = next((j for j in world.jobs.values() if j.state in ("QUEUED", "PENDING")), None)
    if queued is not None:
        q = render.job(world, queued)
        assert q["status"]["agent"] is None and q["status"]["result"] == "NONE"
        assert q["metadata"]["start_time"] == "0" and q["metadata"]["finish_time"] == "0"


def test_agent_types_and_agents(world: World):
    types = [render.agent_type(world, t) for t in world.list_agent_types()]
    assert all(set(t) == {"metadata", "spec", "status"} for t in types)
    assert all(isinstance(t["metadata"]["create_time"], int) for t in types)
    assert {t["spec"]["agent_name_settings"]["assignment_origin"] for t in types} <= {
        "assignment_origin_agent",
        "assignment_origin_aws_sts",
    }
    assert sum(t["status"]["total_agent_count"] for t in types) == len(world.agents)
    for agent in world.agents:
        body = render.agent(world, agent)
        assert ("disabled_at" in body["metadata"]) == (agent.disabled_at is not None)
        assert body["status"]["state"] in ("waiting_for_job", "running_job")


def test_deployment_target_has_the_19_response_fields(world: World):
    for target in world.deployment_targets:
        body = render.deployment_target(world, target)
        assert set(body) == TARGET_KEYS
        assert ISO_TS.match(body["created_at"])
        if body["last_deployment"] is not None:
            assert set(body["last_deployment"]) == DEPLOYMENT_KEYS
            assert ISO_TS.match(body["last_deployment"]["triggered_at"])


def test_retention_policy_age_text(world: World):
    assert render.age_text(365 * 86400) == "1 year"
    assert render.age_text(14 * 86400) == "2 weeks"
    assert render.age_text(90 * 86400) == "3 months"
    assert render.age_text(3 * 86400) == "3 days"
    body = render.retention_policy(world, world.retention_policy(world.projects[0].id))
    assert set(body) == {
        "project_level_retention_policies",
        "workflow_level_retention_policies",
        "job_level_retention_policies",
    }


def test_schedule_shapes(world: World):
    s = world.list_schedules(world.projects[0].id)[0]
    item = render.schedule(world, s)
    assert DESCRIBE_TS.match(item["inserted_at"]) and item["reference"].startswith("refs/heads/")
    described = render.schedule_describe(world, s)
    assert set(described) == {"schedule", "triggers"} and described["triggers"]
    trigger = described["triggers"][0]
    assert trigger["periodic_id"] == s.id and trigger["scheduled_workflow_id"] in world.workflows


def test_log_events_are_agent_format(world: World):
    job = next(j for j in world.jobs.values() if j.state == "FINISHED" and j.log is not None)
    events = [json.loads(b) for b in world.job_log(job.job_id).events()]
    kinds = {e["event"] for e in events}
    assert kinds == {"job_started", "cmd_started", "cmd_output", "cmd_finished", "job_finished"}
    finished = next(e for e in events if e["event"] == "cmd_finished")
    assert set(finished) == {"event", "timestamp", "directive", "exit_code", "started_at", "finished_at"}
