"""The request floor: the fewest requests that can fetch a world, given the API, and the time they must take.

Computed from the world's ground truth (the tables of docs/tables.md), endpoint by endpoint (P = projects,
M = the page size used for listings the API does not cap, see `UNCAPPED_PAGE_SIZE`):

    projects.list                max(1, ceil(P / 500))              style B, fixed 500 a page
    workflows.list               sum_p max(1, ceil(workflows_p / M))
    pipelines.list               sum_p max(1, ceil(pipelines_p / M))
    pipelines.describe           one per DONE pipeline (detailed=true gives its blocks and block jobs)
    promotions.list              sum over DONE pipelines with a switch of max(1, ceil(promotions_ppl / M))
                                 (a pipeline is promoted once it is done; `switch_id` says it can be)
    jobs.list                    max(1, ceil(finished jobs / 30))   org-wide `states=FINISHED`, 30 a page
    logs.get                     one per job_logs row
    logs.v1                      one per self-hosted log (logs.get answers 302 to /api/v1/logs/{id})
    agent_types.list             1
    agents.list                  max(1, ceil(agents / 200))
    deployment_targets.list      one per project
    deployment_targets.history   sum_t ceil(deployments_t / 10)     10 a page (0 for a target never used)
    retention_policies.describe  one per project
    schedules.list               sum_p max(1, ceil(schedules_p / M))

    floor wall = total requests x (latency + measured per-request overhead) / concurrency cap

The serial chain (a listing's pages come one after another) is ignored: the floor is optimistic.
"""

import math
from collections import Counter
from collections.abc import Iterable

UNCAPPED_PAGE_SIZE = 100  # spec §2.4: no server maximum; 100 is the recommended (and our source's) size
PROJECTS_PAGE = 500
JOBS_PAGE = 30
AGENTS_PAGE = 200
HISTORY_PAGE = 10


def _pages(count: int, page_size: int, at_least_one: bool = True) -> int:
    pages = math.ceil(count / page_size)
    return max(1, pages) if at_least_one else pages


def _per_key_pages(keys: Iterable[str], all_keys: Iterable[str], page_size: int) -> int:
    counts = Counter(keys)
    return sum(_pages(counts.get(key, 0), page_size) for key in all_keys)


def request_floor(tables: dict[str, list[dict]], page_size: int = UNCAPPED_PAGE_SIZE) -> dict[str, int]:
    """Requests by endpoint that any loader needs to fetch every row of `tables` (the world's ground truth)."""
    projects = [row["id"] for row in tables.get("projects", [])]
    pipelines = tables.get("pipelines", [])
    promotions = Counter(row["ppl_id"] for row in tables.get("promotions", []))
    with_switch = [row["ppl_id"] for row in pipelines if row.get("switch_id") and row.get("state") == "DONE"]
    targets = [row["id"] for row in tables.get("deployment_targets", [])]
    deployments = Counter(row["target_id"] for row in tables.get("deployments", []))
    job_logs = tables.get("job_logs", [])
    return {
        "projects.list": _pages(len(projects), PROJECTS_PAGE),
        "workflows.list": _per_key_pages(
            (r["project_id"] for r in tables.get("workflows", [])), projects, page_size
        ),
        "pipelines.list": _per_key_pages((r["project_id"] for r in pipelines), projects, page_size),
        "pipelines.describe": sum(1 for row in pipelines if row.get("state") == "DONE"),
        "promotions.list": sum(_pages(promotions.get(ppl, 0), page_size) for ppl in with_switch),
        "jobs.list": _pages(
            sum(1 for row in tables.get("jobs", []) if row.get("state") == "FINISHED"), JOBS_PAGE
        ),
        "logs.get": len(job_logs),
        "logs.v1": sum(1 for row in job_logs if row.get("source") == "REDIRECT"),
        "agent_types.list": 1,
        "agents.list": _pages(len({row["name"] for row in tables.get("agents", [])}), AGENTS_PAGE),
        "deployment_targets.list": len(projects),
        "deployment_targets.history": sum(
            _pages(deployments.get(t, 0), HISTORY_PAGE, at_least_one=False) for t in targets
        ),
        "retention_policies.describe": len(projects),
        "schedules.list": _per_key_pages(
            (r["project_id"] for r in tables.get("schedules", [])), projects, page_size
        ),
    }


def floor_wall_s(requests: int, latency_s: float, overhead_s: float, concurrency: int) -> float:
    """The floor's wall time: every unavoidable request costs latency + client overhead, `concurrency` at once."""
    return requests * (latency_s + overhead_s) / max(1, concurrency)
