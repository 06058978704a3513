"""Ground truth of the test-result, people-and-access, secrets-metadata, notification and dashboard tables,
derived from the model (test reports from `test_reports.report`, the document the artifact store serves),
in the shape of docs/tables.md. Secret values, signed URLs, webhook endpoints and secrets, e-mail lists and
test output are never part of it, as they are never part of the loaded tables.
"""

from collections import Counter
from datetime import datetime

from semaphore_dagster.emulator import test_reports as tr
from semaphore_dagster.emulator.people import checkout_at

DEFAULT_MESSAGE_CAP = 4096
NOT_FOUND = "Artifact not found"


def _seconds(ts: datetime | None) -> datetime | None:
    return None if ts is None else ts.replace(microsecond=0)


def test_tables(world, done_pipelines: list, message_cap: int = DEFAULT_MESSAGE_CAP) -> dict[str, list[dict]]:
    reports, suites, cases = [], [], []
    for ppl in done_pipelines:
        for job in ppl.jobs():
            if job.state != "FINISHED":
                continue
            source = world.jobs.get(job.source_job_id) if job.source_job_id else job
            doc = tr.report(world, source) if source is not None else None
            row = {
                "job_id": job.job_id,
                "ppl_id": job.ppl_id,
                "project_id": job.project_id,
                "finish_time": _seconds(job.finish_time),
                "source_job_id": job.source_job_id if doc is not None and source is not job else None,
                "outcome": "OK" if doc is not None else "NOT_FOUND",
                "message": None if doc is not None else NOT_FOUND,
                "file": None,
                "compressed": False,
                "bytes": 0,
                "report_count": 0,
                "frameworks": [],
                "status": None,
                **dict.fromkeys(("total", "passed", "failed", "errors", "skipped", "disabled"), 0),
                "duration_seconds": 0.0,
            }
            if doc is None:
                reports.append(row)
                continue
            data = tr.junit_bytes(world, source)
            row.update(file=tr.JUNIT, compressed=tr.compressed(source), bytes=len(data))
            row.update(_report_summary(doc))
            reports.append(row)
            if source is job:
                s, c = _suites_and_cases(job, doc, message_cap)
                suites += s
                cases += c
    return {"test_reports": reports, "test_suites": suites, "test_cases": cases}


def _counts(summary: dict) -> dict:
    return {
        "total": summary["total"],
        "passed": summary["passed"],
        "failed": summary["failed"],
        "errors": summary["error"],
        "skipped": summary["skipped"],
        "disabled": summary["disabled"],
        "duration_seconds": summary["duration"] / 1e9,
    }


def _report_summary(doc: dict) -> dict:
    results = doc["testResults"]
    total = Counter()
    for res in results:
        total.update(res["summary"])
    return {
        "report_count": len(results),
        "frameworks": sorted({r["framework"] for r in results}),
        "status": "ERROR" if any(r["status"] == "error" for r in results) else "SUCCESS",
        **_counts(
            {
                k: total.get(k, 0)
                for k in ("total", "passed", "failed", "error", "skipped", "disabled", "duration")
            }
        ),
    }


def _suites_and_cases(job, doc: dict, cap: int) -> tuple[list[dict], list[dict]]:
    suites, cases = [], []
    for res in doc["testResults"]:
        for suite in res["suites"]:
            suites.append(
                {
                    "job_id": job.job_id,
                    "ppl_id": job.ppl_id,
                    "suite_id": suite["id"],
                    "report_id": res["id"],
                    "report_name": res["name"],
                    "framework": res["framework"],
                    "name": suite["name"],
                    "is_skipped": suite["isSkipped"],
                    "is_disabled": suite["isDisabled"],
                    "timestamp": suite["timestamp"] or None,
                    "hostname": suite["hostname"] or None,
                    "package": suite["package"] or None,
                    "properties": suite["properties"],
                    **_counts(suite["summary"]),
                }
            )
            for test in suite["tests"]:
                problem = test["failure"] or test["error"] or {}
                message = problem.get("message")
                cut = message is not None and len(message) > cap
                cases.append(
                    {
                        "job_id": job.job_id,
                        "ppl_id": job.ppl_id,
                        "suite_id": suite["id"],
                        "test_id": test["id"],
                        "file": test["file"] or None,
                        "classname": test["classname"] or None,
                        "package": test["package"] or None,
                        "name": test["name"],
                        "state": test["state"].upper(),
                        "duration_seconds": test["duration"] / 1e9,
                        "failure_message": message[:cap] if cut else message,
                        "failure_type": problem.get("type") or None,
                        "message_truncated": cut,
                    }
                )
    return suites, cases


def flaky_tests(world) -> list[dict]:
    """What the flaky-tests API lists for every viewable project (docs/emulator-world.md)."""
    return [row for p in world.list_projects() for row in flaky_rows(world, p.id)]


def flaky_rows(world, project_id: str) -> list[dict]:
    """The emulator's Superjerry: a catalog's flaky test is disrupted by every run of its job that failed."""
    rows = []
    jobs = [j for j in world.jobs.values() if j.project_id == project_id and tr.publishes(j)]
    for template, test in tr.flaky_catalog(world, project_id):
        runs = [j for j in jobs if j.name == template]
        failed = sorted((j for j in runs if j.result == "FAILED"), key=lambda j: (j.finish_time, j.job_id))
        if not failed:
            continue
        days = Counter(j.finish_time.strftime("%Y-%m-%d 00:00:00Z") for j in failed)
        latest = failed[-1]
        ppl = world.pipelines[latest.ppl_id]
        suite = next(
            name
            for r in tr.catalog(world, project_id, template)
            for sid, name in r.suites
            if sid == test.suite
        )
        framework = next(r.framework for r in tr.catalog(world, project_id, template) if test in r.tests)
        rows.append(
            {
                "project_id": project_id,
                "test_id": test.id,
                "test_name": test.name,
                "test_group": test.classname,
                "test_runner": framework,
                "test_file": test.file,
                "test_suite": suite,
                "pass_rate": round(100 * (len(runs) - len(failed)) / len(runs)),
                "labels": ["flaky"],
                "disruptions_count": len(failed),
                "latest_disruption_hash": ppl.commit_sha,
                "latest_disruption_run_id": ppl.wf_id,
                "resolved": False,
                "scheduled": False,
                "ticket_url": None,  # "" from the API: none
                "age": (world.now() - failed[0].finish_time).days,
                "latest_disruption_at": _seconds(latest.finish_time),
                "first_disruption_at": _seconds(failed[0].finish_time),
                "disruption_history": [{"day": d, "count": n} for d, n in sorted(days.items())],
            }
        )
    return rows


def people_tables(world, features: dict[str, bool]) -> dict[str, list[dict]]:
    people = world.people
    roles = {r.id: r for r in people.roles}
    org_members = [_member("ORGANIZATION", world.org_id, None, m, roles) for m in people.members]
    project_members = [
        _member("PROJECT", pid, pid, m, roles) for pid, rows in people.project_members.items() for m in rows
    ]
    return {
        "members": org_members + project_members,
        "roles": [
            {
                "id": r.id,
                "name": r.name,
                "org_id": world.org_id,
                "scope": r.scope,
                "description": r.description,
                "permissions": list(r.permissions),
                "readonly": r.readonly,
            }
            for r in people.roles
            if r.scope == "ORG"
        ],
        "groups": [
            {"id": g.id, "name": g.name, "description": g.description, "member_ids": list(g.member_ids)}
            for g in people.groups
        ],
        "service_accounts": [
            {
                "id": sa.id,
                "name": sa.name,
                "description": sa.description,
                "org_id": world.org_id,
                "creator_id": sa.creator_id or None,
                "created_at": _seconds(sa.created_at),
                "updated_at": _seconds(sa.updated_at),
                "deactivated": sa.deactivated,
            }
            for sa in people.service_accounts
        ],
        "secrets": [
            _secret(world, s, features)
            for s in people.secrets
            if not s.project_id or features.get("project_level_secrets", True)
        ],
        "notifications": [
            {
                "id": n.id,
                "name": n.name,
                "creator_id": n.creator_id or None,
                "create_time": _seconds(n.create_time),
                "update_time": _seconds(n.update_time),
                "rules": [sanitized_rule(r) for r in n.rules],
            }
            for n in people.notifications
        ],
        "dashboards": [
            {
                "id": d.id,
                "name": d.name,
                "title": d.title,
                "create_time": _seconds(d.create_time),
                "update_time": _seconds(d.update_time),
                "widgets": [dict(w) for w in d.widgets],
            }
            for d in people.dashboards
        ],
    }


def _member(scope: str, scope_id: str, project_id: str | None, m, roles: dict) -> dict:
    return {
        "scope": scope,
        "scope_id": scope_id,
        "project_id": project_id,
        "id": m.id,
        "subject_type": m.subject_type.upper(),
        "name": m.name,
        "roles": [{"role_id": rid, "role_name": roles[rid].name, "source": src} for rid, src in m.roles],
    }


def _secret(world, s, features: dict[str, bool]) -> dict:
    policy = features.get("secrets_access_policy", True) and not s.project_id
    return {
        "id": s.id,
        "name": s.name,
        "scope": "PROJECT" if s.project_id else "ORGANIZATION",
        "project_id": s.project_id or None,
        "create_time": _seconds(s.create_time),
        "update_time": _seconds(s.update_time),
        "checkout_at": _seconds(checkout_at(world, s)),
        "content_included": bool(features.get("secrets_exposed_content", False)),
        "env_var_names": [name for name, _ in s.env_vars],
        "file_paths": [path for path, _ in s.files],
        "org_config__projects_access": s.projects_access if policy else None,
        "org_config__project_ids": list(s.project_ids) if policy else None,
        "org_config__debug_access": s.debug_access if policy else None,
        "org_config__attach_access": s.attach_access if policy else None,
    }


def sanitized_rule(rule: dict) -> dict:
    """A notification rule as stored: no Slack or webhook endpoint, no webhook secret name, no e-mail lists."""
    notify = rule.get("notify") or {}
    slack, email, webhook = notify.get("slack"), notify.get("email"), notify.get("webhook")
    return {
        "name": rule.get("name"),
        "filter": rule.get("filter"),
        "notify": {
            "slack": None if slack is None else {k: slack.get(k) for k in ("channels", "message", "status")},
            "email": None if email is None else {k: email.get(k) for k in ("subject", "content", "status")},
            "webhook": None
            if webhook is None
            else {k: webhook.get(k) for k in ("timeout", "action", "retries", "status")},
        },
    }
