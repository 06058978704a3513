"""Ground truth: every table of docs/tables.md as flat rows, derived from the MODEL (not from render.py's
JSON), so that comparing it with the loaded tables checks the loader independently.

Values are Python values: tz-aware UTC `datetime`s, bool, int, str, None, lists/dicts for JSON columns.
Normalisation follows docs/tables.md: UPPERCASE enums, `""` ID references -> None, timestamps as the API
shows them (deployment and deployment-target times are whole seconds: gofer builds its Timestamps from
seconds), secrets redacted.

Scope (what a complete load at `world.now()` holds):
* `blocks`, `jobs`, `job_logs`, `job_log_events` cover only pipelines that are DONE: the loader loads blocks
  and jobs once their pipeline is DONE. Every such job is FINISHED.
* `promotions`: all, including ones still PROCESSING. `pipelines`, `workflows`: all, in their current state.
* `agents`, `agent_types`: the current snapshot, without the load-time `snapshot_at`; `job_logs` without
  `fetched_at`.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

from semaphore_dagster.emulator.logs import JobLog
from semaphore_dagster.emulator.model import Job, Pipeline

REDACTED = "<redacted>"


def _none_if_empty(value: str) -> str | None:
    return None if value == "" else value


def _upper_or_none(value: str) -> str | None:
    return value.upper() if value else None


def _seconds(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.replace(microsecond=0)


def _from_unix(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def ground_truth(
    world,
    log_max_bytes: int | None = None,
    store_deployment_parameter_values: bool = False,
    log_mode: str = "cloud",
    test_message_max_chars: int = 4096,
    features: dict[str, bool] | None = None,
    log_policy: str = "all",
    log_tail_bytes: int | None = None,
) -> dict[str, list[dict]]:
    """All tables. `log_mode="self_hosted"` when the server redirects every log (job_logs.source);
    `features`: the server's org features (`EmulatorServer(features=...)`) where they change what is served.
    `log_policy`: `all`, `failed` (logs of FAILED jobs only) or `none`; `log_tail_bytes`: the last events whose
    output passes that many bytes are stored (instead of the first `log_max_bytes`)."""
    from semaphore_dagster.emulator import ground_truth_more as more
    from semaphore_dagster.emulator.render import project_tasks

    with world.lock:
        done = [p for p in world.pipelines.values() if p.state == "DONE"]
        tables = {
            "projects": [_project(world, p, project_tasks) for p in world.list_projects()],
            "workflows": [_workflow(w) for w in world.workflows.values()],
            "pipelines": [_pipeline(p) for p in world.pipelines.values()],
            "blocks": [_block(b) for p in done for b in p.blocks],
            "jobs": [_job(j) for p in done for j in p.jobs()],
            "promotions": [_promotion(pr) for rows in world.promotions.values() for pr in rows],
            "agent_types": [_agent_type(world, t) for t in world.list_agent_types()],
            "agents": [_agent(a) for a in world.list_agents()],
            "deployment_targets": [_target(world, t) for t in world.deployment_targets],
            "deployments": [
                _deployment(d, store_deployment_parameter_values)
                for t in world.deployment_targets
                for d in t.deployments
            ],
            "artifact_retention_policies": [
                _retention(world.retention_policy(p.id)) for p in world.list_projects()
            ],
            "schedules": [_schedule(s) for s in world.list_schedules()],
        }
        logs, events = [], []
        for p in done:
            for j in p.jobs():
                if log_policy == "none" or (log_policy == "failed" and j.result != "FAILED"):
                    continue
                row, rows = _job_log(world, p, j, log_max_bytes, log_mode, log_tail_bytes)
                logs.append(row)
                events.extend(rows)
        tables["job_logs"] = logs
        tables["job_log_events"] = events
        tables.update(more.test_tables(world, done, test_message_max_chars))
        tables["flaky_tests"] = more.flaky_tests(world)
        tables.update(more.people_tables(world, features or {}))
    return tables


def export_json(world, directory: Path, log_max_bytes: int | None = None) -> list[Path]:
    """One `<table>.json` (a JSON array, timestamps ISO-8601) per table into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for table, rows in ground_truth(world, log_max_bytes).items():
        path = directory / f"{table}.json"
        path.write_text(json.dumps(rows, default=_json_default, indent=1, ensure_ascii=False))
        files.append(path)
    return files


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _project(world, p, project_tasks) -> dict:
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "org_id": p.org_id,
        "owner_id": p.owner_id,
        "visibility": p.visibility.upper(),
        "custom_permissions": p.custom_permissions,
        "repository__url": p.repo_url,
        "repository__name": p.repo_name,
        "repository__owner": p.repo_owner,
        "repository__integration_type": p.integration_type.upper(),
        "repository__pipeline_file": p.pipeline_file,
        "repository__run_on": [r.upper() for r in p.run_on],
        "tasks": project_tasks(world, p),
        "debug_permissions": list(p.debug_permissions),
        "attach_permissions": list(p.attach_permissions),
    }


def _workflow(w) -> dict:
    return {
        "wf_id": w.wf_id,
        "initial_ppl_id": w.initial_ppl_id,
        "project_id": w.project_id,
        "hook_id": w.hook_id,
        "requester_id": w.requester_id,
        "branch_id": w.branch_id,
        "branch_name": w.branch_name,
        "commit_sha": w.commit_sha,
        "created_at": w.created_at,
        "triggered_by": w.triggered_by,
        "rerun_of": _none_if_empty(w.rerun_of),
        "repository_id": w.repository_id,
        "organization_id": w.organization_id,
    }


def _pipeline(p: Pipeline) -> dict:
    done = p.state == "DONE"
    t = p.triggerer
    return {
        "ppl_id": p.ppl_id,
        "wf_id": p.wf_id,
        "project_id": p.project_id,
        "name": p.name,
        "branch_name": p.branch_name,
        "commit_sha": p.commit_sha,
        "commit_message": p.commit_message,
        "working_directory": p.working_directory,
        "yaml_file_name": p.yaml_file_name,
        "pipeline_file": p.pipeline_file,
        "created_at": p.created_at,
        "pending_at": p.pending_at,
        "queuing_at": p.queuing_at,
        "running_at": p.running_at,
        "stopping_at": p.stopping_at,
        "done_at": p.done_at,
        "state": p.state,
        "result": p.result if done else None,
        "result_reason": p.result_reason if done else None,
        "terminate_request": _none_if_empty(p.terminate_request),
        "terminated_by": _none_if_empty(p.terminated_by),
        "hook_id": p.hook_id,
        "branch_id": p.branch_id,
        "error_description": p.error_description,
        "switch_id": _none_if_empty(p.switch_id),
        "snapshot_id": _none_if_empty(p.snapshot_id),
        "promotion_of": _none_if_empty(p.promotion_of),
        "partial_rerun_of": _none_if_empty(p.partial_rerun_of),
        "partially_rerun_by": _none_if_empty(p.partially_rerun_by),
        "compile_task_id": _none_if_empty(p.compile_task_id),
        "with_after_task": p.with_after_task,
        "after_task_id": _none_if_empty(p.after_task_id),
        "repository_id": p.repository_id,
        "organization_id": p.organization_id,
        "queue__queue_id": p.queue.queue_id,
        "queue__name": p.queue.name,
        "queue__scope": p.queue.scope,
        "queue__type": p.queue.type,
        "triggerer__wf_triggered_by": t.wf_triggered_by,
        "triggerer__wf_triggerer_id": t.wf_triggerer_id,
        "triggerer__wf_triggerer_user_id": t.wf_triggerer_user_id,
        "triggerer__wf_triggerer_provider_login": t.wf_triggerer_provider_login,
        "triggerer__ppl_triggered_by": t.ppl_triggered_by,
        "triggerer__ppl_triggerer_id": _none_if_empty(t.ppl_triggerer_id),
        "triggerer__ppl_triggerer_user_id": _none_if_empty(t.ppl_triggerer_user_id),
        "triggerer__workflow_rerun_of": _none_if_empty(t.workflow_rerun_of),
        "env_vars": [dict(e) for e in p.env_vars],
    }


def _block(b) -> dict:
    done = b.state == "DONE"
    return {
        "block_id": b.block_id,
        "ppl_id": b.ppl_id,
        "name": b.name,
        "build_req_id": b.build_req_id,
        "state": b.state,
        "result": _upper_or_none(b.result) if done else None,
        "result_reason": _upper_or_none(b.result_reason) if done else None,
        "error_description": b.error_description,
    }


def _job(j: Job) -> dict:
    agent_visible = j.state in ("RUNNING", "FINISHED")
    return {
        "job_id": j.job_id,
        "ppl_id": j.ppl_id,
        "block_id": j.block_id,
        "name": j.name,
        "index": j.index,
        "project_id": j.project_id,
        "create_time": _seconds(j.create_time),
        "update_time": _seconds(j.update_time),
        "start_time": _seconds(j.start_time),
        "finish_time": _seconds(j.finish_time),
        "state": j.state,
        "result": None if j.result == "NONE" else j.result,
        "machine_type": j.machine_type,
        "os_image": j.os_image,
        "agent_name": _none_if_empty(j.agent_name) if agent_visible else None,
        "agent_ip": _none_if_empty(j.agent_ip) if agent_visible else None,
        "commands": list(j.commands),
        "secrets": list(j.secrets),
        "env_vars": [e["name"] for e in j.env_vars],
    }


def _promotion(pr) -> dict:
    return {
        "ppl_id": pr.ppl_id,
        "name": pr.name,
        "triggered_at": pr.triggered_at,
        "triggered_by": pr.triggered_by,
        "override": pr.override,
        "status": pr.status,
        "scheduled_at": pr.scheduled_at,
        "scheduled_pipeline_id": _none_if_empty(pr.scheduled_pipeline_id),
    }


def _agent_type(world, t) -> dict:
    return {
        "name": t.name,
        "create_time": _seconds(t.create_time),
        "update_time": _seconds(t.update_time),
        "agent_name_settings__assignment_origin": t.assignment_origin,
        "agent_name_settings__release_after": t.release_after,
        "agent_name_settings__aws__account_id": t.aws_account_id or None,
        "agent_name_settings__aws__role_name_patterns": t.aws_role_name_patterns or None,
        "total_agent_count": world.agent_count(t.name),
    }


def _agent(a) -> dict:
    return {
        "name": a.name,
        "type": a.type,
        "connected_at": _seconds(a.connected_at),
        "disabled_at": _seconds(a.disabled_at),
        "version": a.version,
        "os": a.os,
        "arch": a.arch,
        "hostname": a.hostname,
        "ip_address": a.ip_address,
        "pid": a.pid,
        "state": a.state,
    }


def _target(world, t) -> dict:
    history = world.deployments(t.id)
    return {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "url": t.url,
        "organization_id": t.organization_id,
        "project_id": t.project_id,
        "created_by": t.created_by,
        "created_at": _seconds(t.created_at),
        "updated_by": t.updated_by,
        "updated_at": _seconds(t.updated_at),
        "state": t.state,
        "state_message": t.state_message,
        "subject_rules": [dict(r) for r in t.subject_rules],
        "object_rules": [dict(r) for r in t.object_rules],
        "active": t.active,
        "bookmark_parameter1": t.bookmark_parameter1,
        "bookmark_parameter2": t.bookmark_parameter2,
        "bookmark_parameter3": t.bookmark_parameter3,
        "last_deployment_id": history[0].id if history else None,
    }


def _deployment(d, store_values: bool) -> dict:
    return {
        "id": d.id,
        "target_id": d.target_id,
        "target_name": d.target_name,
        "prev_pipeline_id": _none_if_empty(d.prev_pipeline_id),
        "pipeline_id": d.pipeline_id,
        "triggered_by": d.triggered_by,
        "triggered_at": _seconds(d.triggered_at),
        "state": d.state,
        "state_message": d.state_message,
        "switch_id": d.switch_id,
        "env_vars": [
            {"name": e["name"], "value": e["value"] if store_values else REDACTED} for e in d.env_vars
        ],
        "can_requester_rerun": d.can_requester_rerun,
    }


def _retention(policy) -> dict:
    from semaphore_dagster.emulator.render import age_text

    def rules(rows):
        return [{"selector": sel, "age": age_text(age)} for sel, age in rows]

    return {
        "project_id": policy.project_id,
        "project_level_retention_policies": rules(policy.project_level),
        "workflow_level_retention_policies": rules(policy.workflow_level),
        "job_level_retention_policies": rules(policy.job_level),
    }


def _schedule(s) -> dict:
    return {
        "id": s.id,
        "name": s.name,
        "project_id": s.project_id,
        "reference": s.reference,
        "branch": s.branch or None,
        "at": s.at,
        "pipeline_file": s.pipeline_file,
        "requester_id": s.requester_id,
        "updated_at": s.updated_at,
        "inserted_at": s.inserted_at,
        "pause_toggled_at": s.pause_toggled_at,
        "suspended": s.suspended,
        "paused": s.paused,
        "recurring": s.recurring,
        "pause_toggled_by": s.pause_toggled_by,
        "parameters": [dict(p) for p in s.parameters],
        "description": s.description,
        "organization_id": s.organization_id,
    }


def _job_log(
    world, p: Pipeline, j: Job, cap: int | None, log_mode: str, tail: int | None = None
) -> tuple[dict, list[dict]]:
    log: JobLog = world.job_log(j.job_id)
    row = {
        "job_id": j.job_id,
        "ppl_id": p.ppl_id,
        "finish_time": _seconds(j.finish_time),
        "outcome": "OK",
        "message": None,
        "event_count": 0,
        "bytes": 0,
        "stored_event_count": 0,
        "truncated": False,
        "source": "REDIRECT" if log_mode == "self_hosted" or j.self_hosted else "INLINE",
    }
    if log.error is not None:
        row.update(outcome="NOT_FOUND", message=log.error, source="INLINE")
        return row, []
    events = []
    count = size = 0
    truncated = False
    if tail is not None:
        return row, _tail_rows(j.job_id, list(log.event_dicts()), tail, row)
    for event in log.event_dicts():
        if not truncated:
            events.append(_event_row(j.job_id, count, event))
        count += 1
        size += len(event.get("output", "").encode())
        if cap is not None and size > cap:
            truncated = True
    row.update(event_count=count, bytes=size, stored_event_count=len(events), truncated=truncated)
    return row, events


def _tail_rows(job_id: str, events: list[dict], tail: int, row: dict) -> list[dict]:
    """The shortest run of last events whose output is more than `tail` bytes (all when the log is not)."""
    sizes = [len(e.get("output", "").encode()) for e in events]
    first, kept = len(events), 0
    while first > 0 and kept <= tail:
        first -= 1
        kept += sizes[first]
    total = sum(sizes)
    row.update(
        event_count=len(events), bytes=total, stored_event_count=len(events) - first, truncated=total > tail
    )
    return [_event_row(job_id, seq, events[seq]) for seq in range(first, len(events))]


def _event_row(job_id: str, seq: int, e: dict) -> dict:
    return {
        "job_id": job_id,
        "seq": seq,
        "event": e["event"].upper(),
        "timestamp": _from_unix(e.get("timestamp")),
        "directive": e.get("directive"),
        "output": e.get("output"),
        "exit_code": e.get("exit_code"),
        "started_at": _from_unix(e.get("started_at")),
        "finished_at": _from_unix(e.get("finished_at")),
        "result": e["result"].upper() if "result" in e else None,
    }
