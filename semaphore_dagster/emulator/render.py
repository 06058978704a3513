"""The API's JSON for each entity, exactly as docs/api-behaviours.md describes each endpoint:
field names, enum spellings (UPPERCASE names, lowercase strings or integer codes depending on the endpoint),
timestamp formats, int64-as-string in protojson, `""` vs null, keys left out when the spec says so.

Every function takes `(world, entity)` and returns plain dicts/lists ready for `json.dumps`.
"""

from datetime import datetime

from semaphore_dagster.emulator.model import (
    PPL_TRIGGERED_BY,
    QUEUE_TYPES,
    WF_TRIGGERED_BY,
    Agent,
    AgentType,
    Block,
    Deployment,
    DeploymentTarget,
    Job,
    Pipeline,
    Project,
    Promotion,
    RetentionPolicy,
    Schedule,
    ScheduleTrigger,
    Workflow,
    to_s,
    to_us,
)

EPOCH_STRING = "1970-01-01 00:00:00.000000Z"

# --- timestamp formats ----------------------------------------------------------------------------


def ts_object(ts: datetime | None) -> dict:
    """Protobuf Timestamp object; unset = zeros."""
    if ts is None:
        return {"seconds": 0, "nanos": 0}
    us = to_us(ts)
    return {"seconds": us // 1_000_000, "nanos": (us % 1_000_000) * 1000}


def ts_object_or_null(ts: datetime | None) -> dict | None:
    return None if ts is None else ts_object(ts)


def ts_string(ts: datetime | None, unset: str = EPOCH_STRING) -> str:
    """`YYYY-MM-DD HH:MM:SS.ffffffZ` (plumber describe, schedules)."""
    return unset if ts is None else ts.strftime("%Y-%m-%d %H:%M:%S.%fZ")


def ts_iso_seconds(ts: datetime | None) -> str:
    """Gofer's ISO-8601 with microseconds; gofer builds its Timestamps from whole seconds, so `.000000Z`."""
    return "" if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def ts_int64_string(ts: datetime | None) -> str:
    """protojson int64 unix seconds: a JSON string, "0" when unset."""
    return str(to_s(ts))


def ts_int_or_empty(ts: datetime | None) -> int | str:
    """self_hosted_hub: unix seconds as an int, `""` when zero."""
    return "" if ts is None else to_s(ts)


# --- projects -------------------------------------------------------------------------------------


def project_tasks(world, project: Project) -> list[dict]:
    """The project's `spec.tasks` (its schedules), as projecthub gives them."""
    out = []
    for s in world.list_schedules(project.id):
        task = {
            "id": s.id,
            "name": s.name,
            "description": s.description,
            "branch": s.reference,
            "at": s.at,
            "pipeline_file": s.pipeline_file,
            "status": "INACTIVE" if s.paused else "ACTIVE",
            "scheduled": s.recurring,
            "parameters": [dict(p) for p in s.parameters],
        }
        if s.reference.startswith(("refs/heads/", "refs/tags/")):
            kind = "branch" if s.reference.startswith("refs/heads/") else "tag"
            task["reference"] = {"type": kind, "name": s.reference.split("/", 2)[2]}
        out.append(task)
    return out


def project(world, p: Project) -> dict:
    return {
        "apiVersion": "v1alpha",
        "kind": "Project",
        "metadata": {
            "name": p.name,
            "id": p.id,
            "description": p.description,
            "org_id": p.org_id,
            "owner_id": p.owner_id,
        },
        "spec": {
            "repository": {
                "url": p.repo_url,
                "name": p.repo_name,
                "owner": p.repo_owner,
                "forked_pull_requests": {
                    "allowed_secrets": list(p.forked_allowed_secrets),
                    "allowed_contributors": [],
                },
                "run_on": list(p.run_on),
                "pipeline_file": p.pipeline_file,
                "status": {"pipeline_files": [{"path": f, "level": "pipeline"} for f in p.pipeline_files]},
                "whitelist": {"branches": [], "tags": []},
                "integration_type": p.integration_type,
            },
            "schedulers": [],
            "tasks": project_tasks(world, p),
            "visibility": p.visibility,
            "custom_permissions": p.custom_permissions,
            "debug_permissions": list(p.debug_permissions),
            "attach_permissions": list(p.attach_permissions),
        },
    }


# --- workflows ------------------------------------------------------------------------------------


def _workflow(w: Workflow, triggered_by: int | str) -> dict:
    return {
        "wf_id": w.wf_id,
        "initial_ppl_id": w.initial_ppl_id,
        "project_id": w.project_id,
        "hook_id": w.hook_id,
        "requester_id": w.requester_id,
        "branch_id": w.branch_id,
        "branch_name": w.branch_name,
        "commit_sha": w.commit_sha,
        "created_at": ts_object(w.created_at),
        "triggered_by": triggered_by,
        "rerun_of": w.rerun_of,
        "repository_id": w.repository_id,
        "organization_id": w.organization_id,
    }


def workflow_list_item(world, w: Workflow) -> dict:
    """List: raw proto struct, `triggered_by` an integer."""
    return _workflow(w, WF_TRIGGERED_BY.index(w.triggered_by))


def workflow_describe(world, w: Workflow) -> dict:
    """Describe: wrapped, `triggered_by` a name."""
    return {"workflow": _workflow(w, w.triggered_by)}


# --- pipelines ------------------------------------------------------------------------------------

_PPL_TIMES = ("created_at", "pending_at", "queuing_at", "running_at", "stopping_at", "done_at")


def _pipeline(p: Pipeline, *, describe: bool) -> dict:
    if describe:
        times = {k: ts_string(getattr(p, k)) for k in _PPL_TIMES}
        enum = str.lower
        queue_type: int | str = QUEUE_TYPES.index(p.queue.type)
        wf_by: int | str = WF_TRIGGERED_BY.index(p.triggerer.wf_triggered_by)
        ppl_by: int | str = PPL_TRIGGERED_BY.index(p.triggerer.ppl_triggered_by)
    else:
        times = {k: ts_object(getattr(p, k)) for k in _PPL_TIMES}
        enum = str
        queue_type, wf_by, ppl_by = p.queue.type, p.triggerer.wf_triggered_by, p.triggerer.ppl_triggered_by
    out = {
        "ppl_id": p.ppl_id,
        "name": p.name,
        "project_id": p.project_id,
        "branch_name": p.branch_name,
        "commit_sha": p.commit_sha,
        **times,
        "state": enum(p.state),
    }
    if p.state == "DONE":
        out["result"] = enum(p.result)
        out["result_reason"] = enum(p.result_reason)
    t = p.triggerer
    out.update(
        {
            "terminate_request": p.terminate_request,
            "hook_id": p.hook_id,
            "branch_id": p.branch_id,
            "error_description": p.error_description,
            "switch_id": p.switch_id,
            "working_directory": p.working_directory,
            "yaml_file_name": p.yaml_file_name,
            "terminated_by": p.terminated_by,
            "wf_id": p.wf_id,
            "snapshot_id": p.snapshot_id,
            "queue": {
                "queue_id": p.queue.queue_id,
                "name": p.queue.name,
                "scope": p.queue.scope,
                "project_id": p.queue.project_id,
                "organization_id": p.queue.organization_id,
                "type": queue_type,
            },
            "promotion_of": p.promotion_of,
            "partial_rerun_of": p.partial_rerun_of,
            "commit_message": p.commit_message,
            "partially_rerun_by": p.partially_rerun_by,
            "compile_task_id": p.compile_task_id,
            "with_after_task": p.with_after_task,
            "after_task_id": p.after_task_id,
            "repository_id": p.repository_id,
            "env_vars": [dict(e) for e in p.env_vars],
            "triggerer": {
                "wf_triggered_by": wf_by,
                "wf_triggerer_id": t.wf_triggerer_id,
                "wf_triggerer_user_id": t.wf_triggerer_user_id,
                "wf_triggerer_provider_login": t.wf_triggerer_provider_login,
                "wf_triggerer_provider_uid": t.wf_triggerer_provider_uid,
                "wf_triggerer_provider_avatar": t.wf_triggerer_provider_avatar,
                "ppl_triggered_by": ppl_by,
                "ppl_triggerer_id": t.ppl_triggerer_id,
                "ppl_triggerer_user_id": t.ppl_triggerer_user_id,
                "workflow_rerun_of": t.workflow_rerun_of,
            },
            "organization_id": p.organization_id,
        }
    )
    return out


def pipeline_list_item(world, p: Pipeline) -> dict:
    """List: UPPERCASE enums (nested too), `{seconds,nanos}`, result only when DONE."""
    return _pipeline(p, describe=False)


def block(world, b: Block) -> dict:
    out = {"block_id": b.block_id, "name": b.name, "build_req_id": b.build_req_id, "state": b.state.lower()}
    if b.state == "DONE":
        out["result"] = b.result.lower()
        out["result_reason"] = b.result_reason.lower()
    out["error_description"] = b.error_description
    out["jobs"] = [
        {
            "name": j.name,
            "index": j.index,
            "job_id": j.job_id,
            "status": j.block_job_status,
            # Zebra's task job result; proto default (0 = PASSED) until the job finishes.
            "result": j.result if j.state == "FINISHED" else "PASSED",
        }
        for j in b.jobs
    ]
    return out


def pipeline_describe(world, p: Pipeline, detailed: bool = False) -> dict:
    """Describe: lowercase top-level enums, string timestamps, nested enums as ints, blocks when detailed."""
    return {
        "pipeline": _pipeline(p, describe=True),
        "blocks": [block(world, b) for b in p.blocks] if detailed else [],
    }


def topology(world, ppl_id: str) -> list[dict]:
    return [{"name": name, "jobs": jobs, "dependencies": deps} for name, jobs, deps in world.topology(ppl_id)]


# --- promotions -----------------------------------------------------------------------------------


def promotion(world, pr: Promotion) -> dict:
    return {
        "name": pr.name,
        "triggered_at": ts_object_or_null(pr.triggered_at),
        "triggered_by": pr.triggered_by,
        "override": pr.override,
        "status": pr.status.lower(),
        "scheduled_at": ts_object_or_null(pr.scheduled_at),
        "scheduled_pipeline_id": pr.scheduled_pipeline_id,
    }


# --- jobs (, protojson) ------------------------------------------------------------------------------


def job(world, j: Job) -> dict:
    agent = None
    if j.state in ("RUNNING", "FINISHED"):
        agent = {"ip": j.agent_ip, "ports": [dict(p) for p in j.agent_ports], "name": j.agent_name}
    return {
        "metadata": {
            "name": j.name,
            "id": j.job_id,
            "create_time": ts_int64_string(j.create_time),
            "update_time": ts_int64_string(j.update_time),
            "start_time": ts_int64_string(j.start_time),
            "finish_time": ts_int64_string(j.finish_time),
        },
        "spec": {
            "project_id": j.project_id,
            "agent": {
                "machine": {"type": j.machine_type, "os_image": j.os_image},
                "containers": [],
                "image_pull_secrets": [],
            },
            "secrets": [{"name": s} for s in j.secrets],
            "env_vars": [dict(e) for e in j.env_vars],
            "files": [],
            "commands": list(j.commands),
            "epilogue_commands": [],
            "epilogue_always_commands": [],
            "epilogue_on_pass_commands": [],
            "epilogue_on_fail_commands": [],
        },
        "status": {"result": j.result, "state": j.state, "agent": agent},
    }


# --- self-hosted agents ---------------------------------------------------------------------------


def agent_type(world, t: AgentType) -> dict:
    aws = None
    if t.aws_account_id:
        aws = {"account_id": t.aws_account_id, "role_name_patterns": t.aws_role_name_patterns}
    return {
        "metadata": {
            "name": t.name,
            "create_time": ts_int_or_empty(t.create_time),
            "update_time": ts_int_or_empty(t.update_time),
        },
        "spec": {
            "agent_name_settings": {
                "assignment_origin": t.assignment_origin.lower(),
                "release_after": t.release_after,
                "aws": aws,
            }
        },
        "status": {"total_agent_count": world.agent_count(t.name)},
    }


def agent(world, a: Agent) -> dict:
    metadata: dict = {"name": a.name, "type": a.type, "connected_at": ts_int_or_empty(a.connected_at)}
    if a.disabled_at is not None:
        metadata["disabled_at"] = to_s(a.disabled_at)
    metadata.update(
        {
            "version": a.version,
            "os": a.os,
            "arch": a.arch,
            "hostname": a.hostname,
            "ip_address": a.ip_address,
            "pid": a.pid,
        }
    )
    return {"metadata": metadata, "status": {"state": a.state.lower()}}


# --- deployment targets ---------------------------------------------------------------------------


def deployment(world, d: Deployment) -> dict:
    return {
        "id": d.id,
        "target_id": d.target_id,
        "prev_pipeline_id": d.prev_pipeline_id,
        "pipeline_id": d.pipeline_id,
        "triggered_by": d.triggered_by,
        "triggered_at": ts_iso_seconds(d.triggered_at),
        "state": d.state,
        "state_message": d.state_message,
        "switch_id": d.switch_id,
        "target_name": d.target_name,
        "env_vars": [dict(e) for e in d.env_vars],
        "can_requester_rerun": d.can_requester_rerun,
    }


def deployment_target(world, t: DeploymentTarget) -> dict:
    """The 19 keys of `@response_target_fields` (public-api deployments_client/response_formatter.ex)."""
    history = world.deployments(t.id)
    return {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "url": t.url,
        "organization_id": t.organization_id,
        "project_id": t.project_id,
        "created_by": t.created_by,
        "created_at": ts_iso_seconds(t.created_at),
        "updated_by": t.updated_by,
        "updated_at": ts_iso_seconds(t.updated_at),
        "state": t.state,
        "state_message": t.state_message,
        "subject_rules": [dict(r) for r in t.subject_rules],
        "object_rules": [dict(r) for r in t.object_rules],
        "last_deployment": deployment(world, history[0]) if history else None,
        "active": t.active,
        "bookmark_parameter1": t.bookmark_parameter1,
        "bookmark_parameter2": t.bookmark_parameter2,
        "bookmark_parameter3": t.bookmark_parameter3,
    }


# --- retention policies ---------------------------------------------------------------------------

_AGE_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400))


def age_text(seconds: int) -> str:
    """`<n> year(s)|month(s)|week(s)|day(s)`, the largest unit that divides `seconds` exactly."""
    for unit, size in _AGE_UNITS:
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}" + ("" if n == 1 else "s")
    return f"{seconds // 86400} days"


def retention_policy(world, r: RetentionPolicy) -> dict:
    def rules(rows: list[tuple[str, int]]) -> list[dict]:
        return [{"selector": sel, "age": age_text(age)} for sel, age in rows]

    return {
        "project_level_retention_policies": rules(r.project_level),
        "workflow_level_retention_policies": rules(r.workflow_level),
        "job_level_retention_policies": rules(r.job_level),
    }


# --- schedules --------------------------------------------------------------------------------------


def schedule(world, s: Schedule) -> dict:
    out = {"id": s.id, "name": s.name, "project_id": s.project_id, "reference": s.reference}
    if s.branch:
        out["branch"] = s.branch
    out.update(
        {
            "at": s.at,
            "pipeline_file": s.pipeline_file,
            "requester_id": s.requester_id,
            "updated_at": ts_string(s.updated_at, ""),
            "suspended": s.suspended,
            "paused": s.paused,
            "pause_toggled_by": s.pause_toggled_by,
            "pause_toggled_at": ts_string(s.pause_toggled_at, ""),
            "inserted_at": ts_string(s.inserted_at, ""),
            "recurring": s.recurring,
            "parameters": [dict(p) for p in s.parameters],
            "description": s.description,
            "organization_id": s.organization_id,
        }
    )
    return out


def schedule_trigger(world, t: ScheduleTrigger) -> dict:
    out = {
        "triggered_at": ts_string(t.triggered_at, ""),
        "project_id": t.project_id,
        "reference": t.reference,
    }
    if t.branch:
        out["branch"] = t.branch
    out.update(
        {
            "pipeline_file": t.pipeline_file,
            "scheduling_status": t.scheduling_status,
            "scheduled_workflow_id": t.scheduled_workflow_id,
            "scheduled_at": ts_string(t.scheduled_at, ""),
            "error_description": t.error_description,
            "run_now_requester_id": t.run_now_requester_id,
            "periodic_id": t.periodic_id,
            "parameter_values": [dict(v) for v in t.parameter_values],
        }
    )
    return out


def schedule_describe(world, s: Schedule) -> dict:
    return {"schedule": schedule(world, s), "triggers": [schedule_trigger(world, t) for t in s.triggers]}
