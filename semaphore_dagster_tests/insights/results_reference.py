"""The test-result, secret and notification insights recomputed in plain Python from a world's tables (the
emulator's ground truth, or what a load wrote), independently of the dbt models, to hold the models
against (docs/insights.md states the definitions)."""

import re
from collections import defaultdict
from datetime import datetime, timedelta

FAILED = ("FAILED", "ERROR")


def _reused_jobs(tables: dict[str, list[dict]]) -> set[str]:
    return {r["job_id"] for r in tables.get("test_reports", []) if r.get("source_job_id")}


def flaky_test_commits(tables: dict[str, list[dict]]) -> dict[tuple, tuple[int, int, int]]:
    """(project_id, commit_sha, test_id) -> (runs, passed_runs, failed_runs) of the tests that both passed
    and failed on a commit."""
    pipelines = {p["ppl_id"]: p for p in tables.get("pipelines", [])}
    reused = _reused_jobs(tables)
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for c in tables.get("test_cases", []):
        p = pipelines.get(c["ppl_id"])
        if c["job_id"] in reused or p is None or not p.get("commit_sha"):
            continue
        key = (p["project_id"], p["commit_sha"], c["test_id"])
        if c["state"] == "PASSED":
            counts[key][0] += 1
        elif c["state"] in FAILED:
            counts[key][1] += 1
    return {k: (p + f, p, f) for k, (p, f) in counts.items() if p and f}


def pipeline_counts(tables: dict[str, list[dict]]) -> dict[str, tuple[int, int, int, int]]:
    """ppl_id -> (total, failed + errors, reused_reports, reused_total) over OK test reports."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in tables.get("test_reports", []):
        if r.get("outcome") != "OK" or not r.get("ppl_id"):
            continue
        row = out[r["ppl_id"]]
        if r.get("source_job_id"):
            row[2] += 1
            row[3] += r["total"]
        else:
            row[0] += r["total"]
            row[1] += r["failed"] + r["errors"]
    return {k: tuple(v) for k, v in out.items()}


def stale_secrets(tables: dict[str, list[dict]], as_of: datetime, days: int = 90) -> set[str]:
    """Ids of the secrets never checked out or not since `as_of - days`."""
    cut = as_of - timedelta(days=days)
    return {
        s["id"] for s in tables.get("secrets", []) if s.get("checkout_at") is None or s["checkout_at"] <= cut
    }


def _matches(term: str, value: str) -> bool:
    if len(term) >= 2 and term.startswith("/") and term.endswith("/"):
        return re.search(term[1:-1], value) is not None
    return term == value


def failure_notification_gaps(tables: dict[str, list[dict]]) -> dict[str, tuple[str, str | None]]:
    """project_id -> (coverage NONE | PARTIAL, partial rules) of the projects no unrestricted rule with an
    active target notifies on failure, by Semaphore's matching (docs/insights.md, "Notification rules")."""
    rules = []
    for n in tables.get("notifications", []):
        for i, rule in enumerate(n.get("rules") or []):
            f = rule.get("filter") or {}
            notify = rule.get("notify") or {}
            results = f.get("results") or []
            rules.append(
                {
                    "label": f"{n.get('name') or n['id']} / {rule.get('name') or f'#{i}'}",
                    "projects": f.get("projects") or [],
                    "on_failure": not results or any(_matches(t, "failed") for t in results),
                    "restricted": any(
                        t != "/.*/" for k in ("branches", "pipelines", "tags") for t in f.get(k) or []
                    ),
                    "target": any(
                        isinstance(notify.get(k), dict) and notify[k].get("status") != "INACTIVE"
                        for k in ("slack", "email", "webhook")
                    ),
                }
            )
    gaps = {}
    for project in tables.get("projects", []):
        mine = [
            r
            for r in rules
            if r["on_failure"] and r["target"] and any(_matches(t, project["name"]) for t in r["projects"])
        ]
        if any(not r["restricted"] for r in mine):
            continue
        partial = sorted(r["label"] for r in mine)
        gaps[project["id"]] = ("PARTIAL" if partial else "NONE", ", ".join(partial) or None)
    return gaps
