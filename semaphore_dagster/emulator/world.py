"""`World`: the emulated organization and the queries the HTTP layer answers from.

Every list method returns entities already in the API's order with the API's filter semantics
(docs/api-behaviours.md); the HTTP layer only paginates and renders (render.py). Readers hold
`world.lock` while they read; live mode (`advance`) holds it while it mutates. Sorted lists are cached and
invalidated by `touch()`, which every mutation calls: callers must not mutate the lists they get.
"""

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from semaphore_dagster.emulator.config import WorldConfig
from semaphore_dagster.emulator.logs import JobLog, job_log_for
from semaphore_dagster.emulator.model import (
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
    Workflow,
    to_s,
)
from semaphore_dagster.emulator.people import People

__all__ = [
    "World",
    "Agent",
    "AgentType",
    "Block",
    "Deployment",
    "DeploymentTarget",
    "Job",
    "JobLog",
    "Pipeline",
    "Project",
    "Promotion",
    "RetentionPolicy",
    "Schedule",
    "Workflow",
]


def _newest_first(items: Iterable, key: Callable) -> list:
    return sorted(items, key=key, reverse=True)


class World:
    """The whole organization. Build one with `World.generate(WorldConfig.preset("tiny", seed=7, now=...))`."""

    def __init__(self, config: WorldConfig, now: datetime, org_id: str) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.org_id = org_id
        self.org_name = config.org_name
        self._clock = now
        self.version = 0  # bumped by every mutation (cache key)
        self._cache: dict = {}
        self.projects: list[Project] = []  # "DB order", the ones the token may view
        self.hidden_projects: list[
            Project
        ] = []  # the ones it may not (projecthub filters them out of its pages)
        self.workflows: dict[str, Workflow] = {}
        self.pipelines: dict[str, Pipeline] = {}
        self.jobs: dict[str, Job] = {}
        self.promotions: dict[str, list[Promotion]] = {}  # ppl_id -> promotions (any order)
        self.agent_types: list[AgentType] = []
        self.agents: list[Agent] = []
        self.deployment_targets: list[DeploymentTarget] = []
        self.retention_policies: dict[str, RetentionPolicy] = {}
        self.schedules: list[Schedule] = []
        self.steps = 0  # live-mode steps applied so far (advance seeds its rng with it)
        # Planned entities not yet visible, and in-flight ones with their final form (see timeline.py).
        self._future: list = []
        self._seq = 0
        self._inflight: dict[str, Pipeline] = {}
        self._inflight_promotions: dict = {}
        self._inflight_deployments: dict = {}
        self._planner = None  # planner.Planner: live mode plans new workflows with it
        self._planned: dict[str, Pipeline] = {}  # ppl_id -> final form (also the not yet visible ones)
        self._planned_wf: dict[str, Workflow] = {}
        self._profiles: list = []  # profiles.ProjectProfile per project
        self._fail_fast: set[str] = set()  # project ids whose pipelines stop on the first failure
        self._agent_names: dict[str, list[str]] = {}  # agent type -> names that ran jobs
        self.users: list = []  # planner.User
        self.huge_log_job_id: str | None = None  # the job with `huge_log_bytes` of log, if any
        self._static: dict = {}  # immutable derived data (test catalogs), never invalidated
        # members, roles, groups, service accounts, secrets, ...: empty for a hand-built world
        self.people = People()
        self.features: set[str] = {"pipeline_summaries"}  # the organization's feature flags
        self.insights_settings: dict = {}  # project id -> insights.InsightsSettings (CI/CD branch and file)

    # construction and live mode -------------------------------------------------------------------------

    @classmethod
    def generate(cls, config: WorldConfig) -> "World":
        from semaphore_dagster.emulator.generate import generate_world

        return generate_world(config)

    def advance(self, delta: timedelta, activity: float = 1.0, wall_clock: bool = False) -> None:
        """Move the clock forward by `delta` and apply what happens meanwhile, `activity` times as much;
        `wall_clock` for the live thread's ticks on the wall clock (see live.py)."""
        from semaphore_dagster.emulator.live import advance

        advance(self, delta, activity, wall_clock)

    def ground_truth(
        self,
        log_max_bytes: int | None = None,
        store_deployment_parameter_values: bool = False,
        log_mode: str = "cloud",
        test_message_max_chars: int = 4096,
        features: dict[str, bool] | None = None,
        log_policy: str = "all",
        log_tail_bytes: int | None = None,
    ) -> dict[str, list[dict]]:
        """Every table of docs/tables.md as flat rows, derived from the model (see ground_truth.py).

        Blocks, jobs, job logs and test reports only of DONE pipelines (the loader loads them once the
        pipeline is DONE). `features` as given to `EmulatorServer(features=...)`."""
        from semaphore_dagster.emulator.ground_truth import ground_truth

        return ground_truth(
            self,
            log_max_bytes,
            store_deployment_parameter_values,
            log_mode,
            test_message_max_chars,
            features,
            log_policy=log_policy,
            log_tail_bytes=log_tail_bytes,
        )

    def export_json(self, path: str | Path, log_max_bytes: int | None = None) -> list[Path]:
        """Write one `<table>.json` per ground-truth table into the directory `path`; returns the files."""
        from semaphore_dagster.emulator.ground_truth import export_json

        return export_json(self, Path(path), log_max_bytes)

    def touch(self) -> None:
        """Invalidate cached sorted lists after a mutation."""
        self.version += 1
        self._cache.clear()

    def _cached(self, key: tuple, build: Callable[[], list]) -> list:
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = build()
        return hit

    def now(self) -> datetime:
        return self._clock

    # projects -------------------------------------------------------------------------------------------

    def list_projects(self) -> list[Project]:
        """The projects the token may view (every other listing and the ground truth use these)."""
        return self.projects

    def projects_db_order(self) -> list[Project]:
        """Every project in projecthub's DB order, the hidden ones (`hidden_projects`, first) included: it
        pages these, then filters by permission."""
        return self.hidden_projects + self.projects

    def project(self, project_id: str) -> Project | None:
        return next((p for p in self.projects if p.id == project_id), None)

    def project_by_name(self, name: str) -> Project | None:
        return next((p for p in self.projects if p.name == name), None)

    # workflows ------------------------------------------------------------------------------------------

    def _workflows_of(self, project_id: str) -> list[Workflow]:
        return self._cached(
            ("wf", project_id),
            lambda: _newest_first(
                (w for w in self.workflows.values() if w.project_id == project_id),
                key=lambda w: (w.created_at, w.wf_id),
            ),
        )

    def list_workflows(
        self,
        project_id: str,
        *,
        branch_name: str | None = None,
        label: str | None = None,
        requester_id: str | None = None,
        created_after: int | None = None,
        created_before: int | None = None,
    ) -> list[Workflow]:
        """Newest first; `created_after`/`created_before` are strict, in unix seconds. The result is cached per
        query (every page of a listing asks the same), and the created window is found by binary search."""
        key = ("wf_q", project_id, branch_name, label, requester_id, created_after, created_before)
        return self._cached(
            key,
            lambda: self._filter_workflows(
                project_id, branch_name, label, requester_id, created_after, created_before
            ),
        )

    def _filter_workflows(
        self,
        project_id: str,
        branch_name: str | None,
        label: str | None,
        requester_id: str | None,
        created_after: int | None,
        created_before: int | None,
    ) -> list[Workflow]:
        labels = None if label is None else {label, f"refs/tags/{label}", f"pull-request-{label}"}
        out = []
        rows = _created_slice(self._workflows_of(project_id), created_after, created_before)
        for w in rows:
            if branch_name is not None and w.branch_name != branch_name:
                continue
            if labels is not None and w.branch_name not in labels:
                continue
            if requester_id is not None and w.requester_id != requester_id:
                continue
            if not _in_window(w.created_at, created_after, created_before):
                continue
            out.append(w)
        return out

    def workflow(self, wf_id: str) -> Workflow | None:
        return self.workflows.get(wf_id)

    # pipelines ------------------------------------------------------------------------------------------

    def _pipelines_sorted(self, project_id: str | None, wf_id: str | None) -> list[Pipeline]:
        def build() -> list[Pipeline]:
            rows = (
                p
                for p in self.pipelines.values()
                if (project_id is None or p.project_id == project_id) and (wf_id is None or p.wf_id == wf_id)
            )
            return _newest_first(rows, key=lambda p: (p.created_at, p.ppl_id))

        return self._cached(("ppl", project_id, wf_id), build)

    def list_pipelines(
        self,
        *,
        project_id: str | None = None,
        wf_id: str | None = None,
        branch_name: str | None = None,
        yml_file_path: str | None = None,
        created_after: int | None = None,
        created_before: int | None = None,
        done_after: int | None = None,
        done_before: int | None = None,
        label: str | None = None,
        queue_id: str | None = None,
        pr_head_branch: str | None = None,
        pr_target_branch: str | None = None,
    ) -> list[Pipeline]:
        """Newest first by creation. Times are strict unix seconds; any `done_*` also restricts to DONE.
        Cached per query (every page of a listing asks the same); the created window by binary search."""
        query = (
            project_id,
            wf_id,
            branch_name,
            yml_file_path,
            created_after,
            created_before,
            done_after,
            done_before,
            label,
            queue_id,
            pr_head_branch,
            pr_target_branch,
        )
        return self._cached(("ppl_q", *query), lambda: self._filter_pipelines(*query))

    def _filter_pipelines(
        self,
        project_id: str | None,
        wf_id: str | None,
        branch_name: str | None,
        yml_file_path: str | None,
        created_after: int | None,
        created_before: int | None,
        done_after: int | None,
        done_before: int | None,
        label: str | None,
        queue_id: str | None,
        pr_head_branch: str | None,
        pr_target_branch: str | None,
    ) -> list[Pipeline]:
        done_filter = done_after is not None or done_before is not None
        out = []
        for p in _created_slice(self._pipelines_sorted(project_id, wf_id), created_after, created_before):
            if branch_name is not None and p.branch_name != branch_name:
                continue
            if yml_file_path is not None and p.pipeline_file != yml_file_path:
                continue
            if not _in_window(p.created_at, created_after, created_before):
                continue
            if done_filter and (p.state != "DONE" or not _in_window(p.done_at, done_after, done_before)):
                continue
            if label is not None and p.label != label:
                continue
            if queue_id is not None and p.queue.queue_id != queue_id:
                continue
            if pr_head_branch is not None and p.pr_head_branch != pr_head_branch:
                continue
            if pr_target_branch is not None and p.pr_target_branch != pr_target_branch:
                continue
            out.append(p)
        return out

    def pipeline(self, ppl_id: str) -> Pipeline | None:
        return self.pipelines.get(ppl_id)

    def blocks(self, ppl_id: str) -> list[Block]:
        ppl = self.pipelines.get(ppl_id)
        return [] if ppl is None else ppl.blocks

    def topology(self, ppl_id: str) -> list[tuple[str, list[str], list[str]]]:
        """(block name, job names, dependency block names) per block, in definition order."""
        return [(b.name, [j.name for j in b.jobs], list(b.dependencies)) for b in self.blocks(ppl_id)]

    # promotions -----------------------------------------------------------------------------------------

    def list_promotions(self, ppl_id: str, name: str | None = None) -> list[Promotion] | None:
        """Newest trigger first; None when the pipeline has no switch (no promotions configured)."""
        ppl = self.pipelines.get(ppl_id)
        if ppl is None or not ppl.switch_id:
            return None
        rows = self.promotions.get(ppl_id, [])
        if name is not None:
            rows = [r for r in rows if r.name == name]
        return _newest_first(rows, key=lambda r: r.triggered_at)

    # jobs -----------------------------------------------------------------------------------------------

    def job(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def list_jobs(self, states: set[str]) -> list[Job]:
        """Jobs API list: jobs in `states`, newest first by create time then id desc. No states => []."""
        key = ("jobs", frozenset(states))
        return self._cached(
            key,
            lambda: _newest_first(
                (j for j in self.jobs.values() if j.state in states),
                key=lambda j: (to_s(j.create_time), j.job_id),
            ),
        )

    def job_log(self, job_id: str) -> JobLog | None:
        """The job's log as the logs endpoint serves it now; None for an unknown job."""
        job = self.jobs.get(job_id)
        return None if job is None else job_log_for(job, self._clock)

    # agents ---------------------------------------------------------------------------------------------

    def list_agent_types(self) -> list[AgentType]:
        return sorted(self.agent_types, key=lambda t: (t.create_time, t.name))

    def agent_type(self, name: str) -> AgentType | None:
        return next((t for t in self.agent_types if t.name == name), None)

    def agent_count(self, type_name: str) -> int:
        """`status.total_agent_count` of an agent type."""
        return sum(1 for a in self.agents if a.type == type_name)

    def list_agents(self, agent_type: str | None = None) -> list[Agent]:
        """Oldest connection first; `Agent.created_at_ms` is the cursor value."""
        rows = (a for a in self.agents if agent_type is None or a.type == agent_type)
        return sorted(rows, key=lambda a: (a.connected_at, a.name))

    def agent(self, name: str) -> Agent | None:
        return next((a for a in self.agents if a.name == name), None)

    # deployment targets ---------------------------------------------------------------------------------

    def list_deployment_targets(
        self, project_id: str, target_name: str | None = None
    ) -> list[DeploymentTarget]:
        return [
            t
            for t in self.deployment_targets
            if t.project_id == project_id and (target_name is None or t.name == target_name)
        ]

    def deployment_target(self, target_id: str) -> DeploymentTarget | None:
        return next((t for t in self.deployment_targets if t.id == target_id), None)

    def deployments(self, target_id: str) -> list[Deployment]:
        """Newest first (`triggered_at` desc)."""
        target = self.deployment_target(target_id)
        return (
            [] if target is None else _newest_first(target.deployments, key=lambda d: (d.triggered_at, d.id))
        )

    # retention and schedules ----------------------------------------------------------------------------

    def retention_policy(self, project_id: str) -> RetentionPolicy | None:
        """A project without a policy gets one with three empty lists; None for an unknown project."""
        if self.project(project_id) is None:
            return None
        return self.retention_policies.get(project_id) or RetentionPolicy(project_id, [], [], [])

    def list_schedules(self, project_id: str | None = None) -> list[Schedule]:
        """In creation order (`inserted_at`), optionally for one project."""
        rows = (s for s in self.schedules if project_id is None or s.project_id == project_id)
        return sorted(rows, key=lambda s: (s.inserted_at, s.id))

    def schedule(self, id_or_name: str) -> Schedule | None:
        return next((s for s in self.schedules if id_or_name in (s.id, s.name)), None)


def _first(rows: list, below: Callable[[Any], bool]) -> int:
    """The first index where `below(row)` holds, for a predicate false then true along `rows`."""
    low, high = 0, len(rows)
    while low < high:
        middle = (low + high) // 2
        if below(rows[middle]):
            high = middle
        else:
            low = middle + 1
    return low


def _created_slice(rows: list, after: int | None, before: int | None) -> list:
    """The rows (newest first by `created_at`) that can be in the strict window (after, before): a slice
    found by binary search; `_in_window` still decides each row (rows without a time stay in)."""
    start = 0 if before is None else _first(rows, lambda row: row.created_at < _from_s(before))
    end = len(rows) if after is None else _first(rows, lambda row: not row.created_at > _from_s(after))
    return rows[start : max(start, end)]


def _in_window(ts: datetime | None, after: int | None, before: int | None) -> bool:
    """Strict unix-second window, as plumber compares (`> after`, `< before`) on the stored timestamp."""
    if ts is None:
        return after is None and before is None
    if after is not None and not ts > _from_s(after):
        return False
    return before is None or ts < _from_s(before)


def _from_s(seconds: int) -> datetime:
    from semaphore_dagster.emulator.model import EPOCH

    return EPOCH + timedelta(seconds=seconds)
