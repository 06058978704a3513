"""Routes for artifacts (test results), flaky tests, troubleshoot, people and access, secrets, notifications
and dashboards, with each backend's gates, permission checks, pagination and error bodies
(docs/api-behaviours.md states each behaviour and the Semaphore source file that shows it).

Handlers take `(env, req)` like those of routes.py, which registers `ROUTES` below. `env.features` holds the
organization's feature flags, `env.permissions` the token's permissions (None: every permission).
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote

from semaphore_dagster.emulator import pagination as pg
from semaphore_dagster.emulator import render
from semaphore_dagster.emulator import responses as r
from semaphore_dagster.emulator import test_reports as tr
from semaphore_dagster.emulator.ground_truth_more import flaky_rows
from semaphore_dagster.emulator.people import checkout_at

ARTIFACTS_DISABLED = "The artifacts api feature is not enabled for your organization. Please contact support"
FEATURE_DISABLED = "Feature is not enabled for your organization"
PERMISSION_DENIED = "Permission denied"
UUID_LEN = 36
DEFAULT_FEATURES = {
    "artifacts": True,
    "artifacts_api": True,
    "superjerry_tests": True,
    "project_level_secrets": True,
    "secrets_access_policy": True,
    "secrets_exposed_content": False,  # off in CE/EE and by default: values come back as ""
}


def _allowed(env: Any, permission: str) -> bool:
    return env.permissions is None or permission in env.permissions


def _feature(env: Any, name: str) -> bool:
    return bool({**DEFAULT_FEATURES, **(env.features or {})}.get(name, False))


def _is_uuid(value: str) -> bool:
    from semaphore_dagster.emulator.routes import UUID_RE

    return bool(UUID_RE.match(value or ""))


# --- artifacts (PA/artifacts/{list,get_signed_url,common,authorize}.ex) ------------------------------------


def _clean_path(raw: str | None, required: bool) -> tuple[str | None, str | None]:
    """(path, error): trimmed, URL-decoded until stable (5 rounds), `//` collapsed; absolute paths, `\\` and
    `.`/`..` segments refused."""
    path = (raw or "").strip()
    for _ in range(5):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    if not path:
        return (None, "path must be present") if required else ("", None)
    if path.startswith("/"):
        return None, "absolute paths are not allowed"
    if "\\" in path:
        return None, "invalid path"
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") for s in segments):
        return None, "path traversal is not allowed"
    return "/".join(segments), None


def _artifact_scope(env: Any, req: Any, path_required: bool) -> tuple[tuple | None, r.Response | None]:
    scope, scope_id = req.q("scope") or "", req.q("scope_id") or ""
    if scope not in ("projects", "workflows", "jobs"):
        return None, r.text(400, "scope must be one of: projects, workflows, jobs")
    if not _is_uuid(scope_id):
        return None, r.text(400, "scope_id must be a valid UUID")
    path, problem = _clean_path(req.q("path"), path_required)
    if problem:
        return None, r.text(400, problem)
    method = (req.q("method") or "GET").upper()
    if method not in ("GET", "HEAD"):
        return None, r.text(400, "method must be one of: GET, HEAD")
    if not (_feature(env, "artifacts") and _feature(env, "artifacts_api")):
        return None, r.Response(403, ARTIFACTS_DISABLED.encode(), [], "text/plain")
    files = tr.scope_files(env.world, scope, scope_id)
    if files is None:
        return None, r.text(404, "Not found")
    if not (_allowed(env, "project.view") and _allowed(env, "project.artifacts.view")):
        return None, r.text(401, PERMISSION_DENIED)
    return (scope, scope_id, path, files), None


def artifacts_list(env: Any, req: Any) -> r.Response:
    found, error = _artifact_scope(env, req, path_required=False)
    if error:
        return error
    _scope, _id, path, files = found
    children = tr.list_dir(files, path)
    if children is None:
        return r.json_string(404, "Artifact path not found")
    return r.ok({"artifacts": children})


def artifacts_signed_url(env: Any, req: Any) -> r.Response:
    found, error = _artifact_scope(env, req, path_required=True)
    if error:
        return error
    scope, scope_id, path, files = found
    if path not in files:
        return r.json_string(404, "Artifact not found")
    return r.ok({"items": [{"path": path, "url": env.signer.sign(scope, scope_id, path)}]})


# --- flaky tests (PA/test_results/*.ex; Superjerry) --------------------------------------------------------


def _flaky_gate(env: Any, req: Any) -> r.Response | None:
    if not _feature(env, "superjerry_tests"):
        return r.text(404, FEATURE_DISABLED)
    if env.world.project(req.params["project_id"]) is None or not _allowed(env, "project.view"):
        return r.text(404, "Not Found")
    return None


def _ts_seconds(ts: Any) -> str | None:
    return None if ts is None else ts.strftime("%Y-%m-%d %H:%M:%SZ")


def _flaky_item(row: dict) -> dict:
    out = dict(row)
    out.pop("project_id")
    out["latest_disruption_at"] = _ts_seconds(row["latest_disruption_at"])
    out["first_disruption_at"] = _ts_seconds(row["first_disruption_at"])
    out["ticket_url"] = row["ticket_url"] or ""
    return out


def _page_a(env: Any, req: Any, rows: list, default_size: int, render_one: Callable) -> r.Response:
    from semaphore_dagster.emulator.routes import _style_a

    page, size = pg.lenient_int(req.q("page"), 1), pg.lenient_int(req.q("page_size"), default_size)
    return _style_a(env, req, rows, page, size, render_one)


def flaky_tests_list(env: Any, req: Any) -> r.Response:
    error = _flaky_gate(env, req)
    if error:
        return error
    rows = sorted(flaky_rows(env.world, req.params["project_id"]), key=lambda x: -x["disruptions_count"])
    if (req.q("sort_dir") or "desc").lower() == "asc":
        rows.reverse()
    return _page_a(env, req, rows, 20, _flaky_item)


def _flaky_one(env: Any, req: Any) -> tuple[dict | None, r.Response | None]:
    error = _flaky_gate(env, req)
    if error:
        return None, error
    row = next(
        (x for x in flaky_rows(env.world, req.params["project_id"]) if x["test_id"] == req.params["test_id"]),
        None,
    )
    return (row, None) if row else (None, r.json_string(404, "Not found"))


def flaky_test_describe(env: Any, req: Any) -> r.Response:
    row, error = _flaky_one(env, req)
    if error:
        return error
    context = "master"
    return r.ok(
        {
            "id": row["test_id"],
            "name": row["test_name"],
            "group": row["test_group"],
            "runner": row["test_runner"],
            "file": row["test_file"],
            "labels": row["labels"],
            "available_contexts": [context],
            "selected_context": context,
            "contexts": [
                {
                    "context": context,
                    "pass_rate": row["pass_rate"] / 100,
                    "p95_duration": 1.0,
                    "impact": 0.1,
                    "total_count": 0,
                    "disruptions_count": row["disruptions_count"],
                    "hash": row["latest_disruption_hash"],
                    "disruption_timestamp": _ts_seconds(row["latest_disruption_at"]),
                }
            ],
        }
    )


def flaky_test_disruptions(env: Any, req: Any) -> r.Response:
    row, error = _flaky_one(env, req)
    if error:
        return error
    item = {
        "context": "master",
        "hash": row["latest_disruption_hash"],
        "run_id": row["latest_disruption_run_id"],
        "timestamp": _ts_seconds(row["latest_disruption_at"]),
    }
    return _page_a(env, req, [item], 10, lambda x: x)


def flaky_history(env: Any, req: Any) -> r.Response:
    error = _flaky_gate(env, req)
    if error:
        return error
    days: dict[str, int] = {}
    for row in flaky_rows(env.world, req.params["project_id"]):
        for entry in row["disruption_history"]:
            days[entry["day"]] = days.get(entry["day"], 0) + entry["count"]
    return r.ok([{"day": d, "count": n} for d, n in sorted(days.items())])


# --- troubleshoot (PA/troubleshoot/*.ex) -------------------------------------------------------------------


def _ts_plumber(ts: Any) -> str:
    return render.ts_string(ts, "")


def _tr_workflow(wf: Any, with_project: bool) -> dict:
    out = {"wf_id": wf.wf_id, "initial_ppl_id": wf.initial_ppl_id}
    if with_project:
        out["project_id"] = wf.project_id
    out.update(
        {
            "hook_id": wf.hook_id,
            "requester_id": wf.requester_id,
            "branch_id": wf.branch_id,
            "branch_name": wf.branch_name,
            "commit_sha": wf.commit_sha,
            "created_at": _ts_plumber(wf.created_at),
            "triggered_by": wf.triggered_by.lower(),
            "rerun_of": wf.rerun_of,
            "repository_id": wf.repository_id,
        }
    )
    return out


def _tr_block(b: Any) -> dict:
    done = b.state == "DONE"
    return {
        "block_id": b.block_id,
        "name": b.name,
        "build_req_id": b.build_req_id,
        "state": b.state.lower(),
        "result": b.result.lower() if done else "",
        "result_reason": b.result_reason.lower() if done else "",
        "error_description": b.error_description,
    }


def _tr_pipeline(p: Any, with_blocks: bool) -> dict:
    done = p.state == "DONE"
    out = {"ppl_id": p.ppl_id, "name": p.name}
    out.update({k: render.ts_string(getattr(p, k)) for k in render._PPL_TIMES})
    out.update(
        {
            "state": p.state.lower(),
            "result": p.result.lower() if done else "",
            "result_reason": p.result_reason.lower() if done else "",
            "terminate_request": p.terminate_request,
            "error_description": p.error_description,
            "switch_id": p.switch_id,
            "working_directory": p.working_directory,
            "yaml_file_name": p.yaml_file_name,
            "terminated_by": p.terminated_by,
            "queue_id": p.queue.queue_id,
            "queue_name": p.queue.name,
            "queue_scope": p.queue.scope,
            "queue_type": 0 if p.queue.type == "IMPLICIT" else 1,
            "promotion_of": p.promotion_of,
            "partial_rerun_of": p.partial_rerun_of,
            "partially_rerun_by": p.partially_rerun_by,
        }
    )
    if with_blocks:
        out["blocks"] = [_tr_block(b) for b in p.blocks]
    return out


def _project_part(env: Any, project_id: str) -> dict:
    return {"id": project_id, "organization_id": env.world.org_id}


def troubleshoot_job(env: Any, req: Any) -> r.Response:
    job = env.world.job(req.params["job_id"])
    if job is None:
        return r.json_string(404, f"Job with id: '{req.params['job_id']}' not found")
    if env.world.project(job.project_id) is None:
        return r.text(404, "Not found")
    if not _allowed(env, "project.view"):
        return r.text(401, PERMISSION_DENIED)
    ppl = env.world.pipeline(job.ppl_id)
    wf = env.world.workflow(ppl.wf_id)
    block = next(b for b in ppl.blocks if b.block_id == job.block_id)
    state = {"PENDING": "pending", "QUEUED": "enqueued", "RUNNING": "started"}.get(job.state, "finished")
    return r.ok(
        {
            "project": _project_part(env, job.project_id),
            "workflow": _tr_workflow(wf, True),
            "pipeline": _tr_pipeline(ppl, False),
            "block": _tr_block(block),
            "job": {
                "id": job.job_id,
                "build_req_id": block.build_req_id,
                "name": job.name,
                "state": state,
                "failure_reason": job.never_started_message,
                "is_debug_job": False,
                "is_self_hosted": job.self_hosted,
                "machine_type": job.machine_type,
                "os_image": job.os_image,
                "agent_name": job.agent_name,
                "created_at": _ts_plumber(job.create_time),
                "enqueued_at": _ts_plumber(job.enqueue_time),
                "started_at": _ts_plumber(job.start_time),
                "finished_at": _ts_plumber(job.finish_time),
                "priority": 50,
            },
        }
    )


def troubleshoot_pipeline(env: Any, req: Any) -> r.Response:
    ppl = env.world.pipeline(req.params["ppl_id"])
    if ppl is None or not _allowed(env, "project.view"):
        return r.text(404, "Not Found")
    return r.ok(
        {
            "project": _project_part(env, ppl.project_id),
            "workflow": _tr_workflow(env.world.workflow(ppl.wf_id), False),
            "pipeline": _tr_pipeline(ppl, True),
        }
    )


def troubleshoot_workflow(env: Any, req: Any) -> r.Response:
    wf = env.world.workflow(req.params["wf_id"])
    if wf is None or not _allowed(env, "project.view"):
        return r.text(404, "Not Found")
    return r.ok({"project": _project_part(env, wf.project_id), "workflow": _tr_workflow(wf, False)})


# --- RBAC and people (PA/shared_authorize.ex, rbac/groups/service_account clients) --------------------------


def _rbac_int(value: str | None, default: int) -> int:
    """`Integer.parse`-style: the leading integer; a non-numeric or negative value falls back silently."""
    number = pg.elixir_int(value) if value else None
    return number if number is not None and number >= 0 else default


def _role_names(env: Any) -> dict[str, str]:
    return {role.id: role.name for role in env.world.people.roles}


def _member(m: Any, names: dict[str, str]) -> dict:
    return {
        "id": m.id,
        "subject_type": m.subject_type,
        "name": m.name,
        "roles": [{"role_id": rid, "role_name": names[rid], "source": src} for rid, src in m.roles],
    }


def _slice(rows: Sequence, page_no: int, size: int) -> tuple[list, int]:
    size = max(size, 1)
    total_pages = max(1, -(-len(rows) // size))
    return list(rows[page_no * size : (page_no + 1) * size]), total_pages


def members_list(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.people.view"):
        return r.text(403, PERMISSION_DENIED)
    kind = (req.q("member_type") or "user").lower()
    kind = kind if kind in ("user", "group", "service_account") else "user"
    rows = [m for m in env.world.people.members if m.subject_type == kind]
    page, total = _slice(rows, _rbac_int(req.q("page_no"), 0), _rbac_int(req.q("page_size"), 2000))
    names = _role_names(env)
    return r.ok({"members": [_member(m, names) for m in page], "total_pages": total})


def project_members_list(env: Any, req: Any) -> r.Response:
    project_id = req.params["project_id"]
    if env.world.project(project_id) is None:
        return r.text(404, "Not found")
    if not _allowed(env, "project.access.view"):
        return r.text(403, PERMISSION_DENIED)
    rows = env.world.people.project_members.get(project_id, [])
    page, _ = _slice(rows, _rbac_int(req.q("page_no"), 0), _rbac_int(req.q("page_size"), 2000))
    names = _role_names(env)
    return r.ok({"members": [_member(m, names) for m in page]})


def _raw_role(env: Any, role: Any) -> dict:
    """`GET /roles` Poison-encodes the raw RBAC proto: `scope` stays the enum's integer (1 = SCOPE_ORG)."""
    return {
        "id": role.id,
        "name": role.name,
        "org_id": env.world.org_id,
        "scope": 1 if role.scope == "ORG" else 2,
        "description": role.description,
        "permissions": list(role.permissions),
        "rbac_permissions": [{"id": f"perm-{p}", "name": p, "description": ""} for p in role.permissions],
        "inherited_role": None,
        "maps_to": None,
        "readonly": role.readonly,
    }


def roles_list(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.custom_roles.view"):
        return r.text(403, PERMISSION_DENIED)
    return r.ok([_raw_role(env, role) for role in env.world.people.roles if role.scope == "ORG"])


def roles_describe(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.custom_roles.view"):
        return r.text(403, PERMISSION_DENIED)
    role = next((x for x in env.world.people.roles if x.id == req.params["role_id"]), None)
    if role is None:
        return r.json_string(404, "Role not found")
    return r.ok(
        {
            "id": role.id,
            "name": role.name,
            "org_id": env.world.org_id,
            "scope": role.scope.lower(),
            "description": role.description,
            "permissions": list(role.permissions),
            "readonly": role.readonly,
        }
    )


def permissions_list(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.custom_roles.view"):
        return r.text(403, PERMISSION_DENIED)
    scope = "project" if req.q("scope") == "project" else "org"
    names = sorted(
        {
            p
            for role in env.world.people.roles
            for p in role.permissions
            if p.startswith(scope[:3]) or scope == "org"
        }
    )
    return r.ok({"permissions": [{"id": f"perm-{n}", "name": n, "description": ""} for n in names]})


def groups_list(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.people.view"):
        return r.text(403, PERMISSION_DENIED)
    rows = env.world.people.groups
    page, total = _slice(rows, _rbac_int(req.q("page_no"), 0), _rbac_int(req.q("page_size"), 2000))
    body = [
        {"id": g.id, "name": g.name, "description": g.description, "member_ids": list(g.member_ids)}
        for g in page
    ]
    return r.ok({"groups": body, "total_pages": total})


def _service_account(env: Any, sa: Any) -> dict:
    return {
        "id": sa.id,
        "name": sa.name,
        "description": sa.description,
        "org_id": env.world.org_id,
        "creator_id": sa.creator_id,
        "created_at": None if sa.created_at is None else int(sa.created_at.timestamp()),
        "updated_at": None if sa.updated_at is None else int(sa.updated_at.timestamp()),
        "deactivated": sa.deactivated,
    }


class _TokenError(ValueError):
    pass


def _encode_token(key: Sequence) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _keyset(rows: Sequence, key: Callable, size: int, token: str) -> tuple[list, str]:
    """Ascending keyset pages: the token is the key of the last row served; `""` on the last page."""
    ordered = sorted(rows, key=key)
    start = 0
    if token:
        try:
            after = tuple(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))))
        except (binascii.Error, ValueError, TypeError):
            raise _TokenError("Invalid page token") from None
        start = next((i for i, row in enumerate(ordered) if tuple(key(row)) > after), len(ordered))
    page = ordered[start : start + size]
    more = start + size < len(ordered)
    return page, _encode_token(key(page[-1])) if page and more else ""


def service_accounts_list(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.service_accounts.view"):
        return r.text(403, PERMISSION_DENIED)
    try:
        size = pg.strict_int(req.q("page_size"), 100, "page_size")
    except pg.PageParamError as exc:
        return r.json_string(400, str(exc))
    try:
        rows, token = _keyset(
            env.world.people.service_accounts,
            lambda s: (s.name, s.id),
            max(size, 1) if size > 0 else 100,
            req.q("page_token") or "",
        )
    except _TokenError as exc:
        return r.json_string(400, str(exc))
    return r.ok({"service_accounts": [_service_account(env, s) for s in rows], "next_page_token": token})


def service_accounts_describe(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.service_accounts.view"):
        return r.text(403, PERMISSION_DENIED)
    sa = next((s for s in env.world.people.service_accounts if s.id == req.params["sa_id"]), None)
    return r.json_string(404, "Service account not found") if sa is None else r.ok(_service_account(env, sa))


# --- secrets (public-api-gateway -> secrethub; protojson) -------------------------------------------------


def _gateway_size(req: Any, maximum: int) -> int | r.Response:
    raw = req.q("page_size") or "0"
    try:
        size = int(raw)
    except ValueError:
        return r.grpc_error(
            400,
            3,
            f'type mismatch, parameter: page_size, error: strconv.ParseInt: parsing "{raw}": invalid syntax',
        )
    if size > maximum:
        return r.grpc_error(400, 3, f"Page size can't exceed {maximum}")
    return size if size > 0 else 100


def _secret(env: Any, s: Any) -> dict:
    exposed = _feature(env, "secrets_exposed_content")
    metadata = {
        "name": s.name,
        "id": s.id,
        "create_time": render.ts_int64_string(s.create_time),
        "update_time": render.ts_int64_string(s.update_time),
        "checkout_at": render.ts_int64_string(checkout_at(env.world, s)),
        "content_included": exposed,
    }
    data = {
        "env_vars": [{"name": n, "value": v if exposed else ""} for n, v in s.env_vars],
        "files": [
            {"path": p, "content": base64.b64encode(c.encode()).decode() if exposed else ""}
            for p, c in s.files
        ],
    }
    if s.project_id:
        metadata["project_id_or_name"] = s.project_id
        return {"metadata": metadata, "data": data}
    org_config = None
    if _feature(env, "secrets_access_policy"):
        org_config = {
            "projects_access": s.projects_access,
            "project_ids": list(s.project_ids),
            "debug_access": s.debug_access,
            "attach_access": s.attach_access,
        }
    return {"metadata": metadata, "data": data, "org_config": org_config}


def _secret_page(env: Any, req: Any, rows: list, maximum: int) -> r.Response:
    size = _gateway_size(req, maximum)
    if isinstance(size, r.Response):
        return size
    order = req.q("order") or "BY_NAME_ASC"
    key = (
        (lambda s: (s.name, s.id))
        if order != "BY_CREATE_TIME_ASC"
        else (lambda s: (s.create_time.timestamp(), s.id))
    )
    try:
        page, token = _keyset(rows, key, size, req.q("page_token") or "")
    except _TokenError as exc:
        return r.grpc_error(400, 3, str(exc))
    return r.ok(
        {"secrets": [_secret(env, s) for s in page], "next_page_token": token}, content_type=r.JSON_CT
    )


def secrets_list(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.secrets.manage"):
        return r.grpc_error(403, 7, "Can't list secrets in organization")
    return _secret_page(env, req, [s for s in env.world.people.secrets if not s.project_id], 100)


def secrets_describe(env: Any, req: Any) -> r.Response:
    key = req.params["secret"]
    secret = next((s for s in env.world.people.secrets if not s.project_id and key in (s.id, s.name)), None)
    if secret is None or not _allowed(env, "organization.secrets.manage"):
        return r.grpc_error(404, 5, f"Secret {key} not found")
    return r.ok(_secret(env, secret), content_type=r.JSON_CT)


def _project_for_secrets(env: Any, req: Any) -> tuple[Any, r.Response | None]:
    if not _feature(env, "project_level_secrets"):
        return None, r.grpc_error(400, 9, "Project level secrets are not enabled for this organization")
    key = req.params["project"]
    project = env.world.project(key) or env.world.project_by_name(key)
    if project is None:
        return None, r.grpc_error(404, 5, f"Project {key} not found")
    if not _allowed(env, "project.secrets.manage"):
        return None, r.grpc_error(403, 7, "User is not authorized to perform this operation")
    return project, None


def project_secrets_list(env: Any, req: Any) -> r.Response:
    project, error = _project_for_secrets(env, req)
    if error:
        return error
    return _secret_page(env, req, [s for s in env.world.people.secrets if s.project_id == project.id], 100)


def project_secrets_describe(env: Any, req: Any) -> r.Response:
    project, error = _project_for_secrets(env, req)
    if error:
        return error
    key = req.params["secret"]
    secret = next(
        (s for s in env.world.people.secrets if s.project_id == project.id and key in (s.id, s.name)), None
    )
    if secret is None:
        return r.grpc_error(404, 5, f"Secret {key} not found")
    return r.ok(_secret(env, secret), content_type=r.JSON_CT)


# --- notifications and dashboards (public-api-gateway) ------------------------------------------------------


def _notification(n: Any) -> dict:
    return {
        "metadata": {
            "name": n.name,
            "id": n.id,
            "create_time": render.ts_int64_string(n.create_time),
            "update_time": render.ts_int64_string(n.update_time),
            "creator_id": n.creator_id,
        },
        "spec": {"rules": json.loads(json.dumps(n.rules))},
        "status": {"failures": []},
    }


def notifications_list(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.notifications.view"):
        return r.grpc_error(403, 7, "Can't list notifications in organization")
    size = _gateway_size(req, 300)
    if isinstance(size, r.Response):
        return size
    try:
        page, token = _keyset(
            env.world.people.notifications, lambda n: (n.name, n.id), size, req.q("page_token") or ""
        )
    except _TokenError as exc:
        return r.grpc_error(400, 3, str(exc))
    return r.ok(
        {"notifications": [_notification(n) for n in page], "next_page_token": token}, content_type=r.JSON_CT
    )


def notifications_describe(env: Any, req: Any) -> r.Response:
    if not _allowed(env, "organization.notifications.view"):
        return r.grpc_error(403, 7, "Can't describe notification in organization")
    key = req.params["notification"]
    n = next((x for x in env.world.people.notifications if key in (x.id, x.name)), None)
    if n is None:
        return r.grpc_error(404, 5, f"Notification {key} not found")
    return r.ok(_notification(n), content_type=r.JSON_CT)


def _dashboard(d: Any) -> dict:
    return {
        "metadata": {
            "name": d.name,
            "id": d.id,
            "title": d.title,
            "create_time": render.ts_int64_string(d.create_time),
            "update_time": render.ts_int64_string(d.update_time),
        },
        "spec": {"widgets": [json.loads(json.dumps(w)) for w in d.widgets]},
    }


def dashboards_list(env: Any, req: Any) -> r.Response:
    """No permission check at all (`Dashboardhub.Auth` always authorizes); `total_size` is never set."""
    size = _gateway_size(req, 100)
    if isinstance(size, r.Response):
        return size
    try:
        page, token = _keyset(
            env.world.people.dashboards,
            lambda d: (d.create_time.timestamp(), d.id),
            size,
            req.q("page_token") or "",
        )
    except _TokenError as exc:
        return r.grpc_error(400, 3, str(exc))
    return r.ok(
        {"dashboards": [_dashboard(d) for d in page], "next_page_token": token, "total_size": 0},
        content_type=r.JSON_CT,
    )


def dashboards_describe(env: Any, req: Any) -> r.Response:
    key = req.params["dashboard"]
    d = next((x for x in env.world.people.dashboards if key in (x.id, x.name)), None)
    if d is None:
        return r.grpc_error(404, 5, f"Dashboard {key} not found")
    return r.ok(_dashboard(d), content_type=r.JSON_CT)


V = "/api/v1alpha"
# (request-count name, path, handler, options): registered by routes.py in this order, after its own.
ROUTES: tuple[tuple[str, str, Callable, dict], ...] = (
    ("artifacts.signed_url", f"{V}/artifacts/signed_url", artifacts_signed_url, {}),
    ("artifacts.list", f"{V}/artifacts", artifacts_list, {}),
    (
        "flaky_tests.list",
        f"{V}/projects/{{project_id}}/test_results/flaky_tests",
        flaky_tests_list,
        {"paged": True},
    ),
    (
        "flaky_tests.disruptions",
        f"{V}/projects/{{project_id}}/test_results/flaky_tests/{{test_id}}/disruptions",
        flaky_test_disruptions,
        {"paged": True},
    ),
    (
        "flaky_tests.describe",
        f"{V}/projects/{{project_id}}/test_results/flaky_tests/{{test_id}}",
        flaky_test_describe,
        {},
    ),
    ("flaky_tests.history", f"{V}/projects/{{project_id}}/test_results/flaky_history", flaky_history, {}),
    (
        "flaky_tests.disruption_history",
        f"{V}/projects/{{project_id}}/test_results/disruption_history",
        flaky_history,
        {},
    ),
    ("troubleshoot.job", f"{V}/troubleshoot/job/{{job_id}}", troubleshoot_job, {}),
    ("troubleshoot.pipeline", f"{V}/troubleshoot/pipeline/{{ppl_id}}", troubleshoot_pipeline, {}),
    ("troubleshoot.workflow", f"{V}/troubleshoot/workflow/{{wf_id}}", troubleshoot_workflow, {}),
    ("members.list", f"{V}/members", members_list, {}),
    ("project_members.list", f"{V}/projects/{{project_id}}/members", project_members_list, {}),
    ("roles.list", f"{V}/roles", roles_list, {}),
    ("roles.describe", f"{V}/roles/{{role_id}}", roles_describe, {}),
    ("permissions.list", f"{V}/permissions", permissions_list, {}),
    ("groups.list", f"{V}/groups", groups_list, {}),
    ("service_accounts.list", f"{V}/service_accounts", service_accounts_list, {}),
    ("service_accounts.describe", f"{V}/service_accounts/{{sa_id}}", service_accounts_describe, {}),
    ("secrets.list", "/api/v1beta/secrets", secrets_list, {}),
    ("secrets.describe", "/api/v1beta/secrets/{secret}", secrets_describe, {}),
    ("project_secrets.list", "/api/v1/projects/{project}/secrets", project_secrets_list, {}),
    ("project_secrets.describe", "/api/v1/projects/{project}/secrets/{secret}", project_secrets_describe, {}),
    ("notifications.list", f"{V}/notifications", notifications_list, {}),
    ("notifications.describe", f"{V}/notifications/{{notification}}", notifications_describe, {}),
    ("dashboards.list", f"{V}/dashboards", dashboards_list, {}),
    ("dashboards.describe", f"{V}/dashboards/{{dashboard}}", dashboards_describe, {}),
)
