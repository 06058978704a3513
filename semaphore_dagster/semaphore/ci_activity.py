"""CI activity: workflows, pipelines, blocks, jobs, promotions (and the jobs whose logs to fetch).

One planner per source run computes, once, what changed since the cursors in dlt state (see incremental.py
for the state, docs/source.md for the rules):

* workflows: `created_after` = last watermark - overlap, `created_before` = run start; ids already seen in
  the overlap are skipped.
* pipelines, per project, two listings with `created_before`/`done_before` = run start:
  L1 `created_after` = min(watermark - overlap, oldest open pipeline) but not before run start - lookback
  (new pipelines, and the current state of the open ones); L2 `done_after` = done watermark - lookback
  (pipelines that became DONE, and late changes to DONE ones). A row is emitted only when it is new or its
  fingerprint changed. Open pipelines older than the lookback are re-described one by one (the sweep).
* blocks and jobs of each pipeline newly seen DONE: one `GET /pipelines/{id}?detailed=true` each (parallel);
  job details from `GET /jobs?states=FINISHED` (newest first, 30 a page, walked in the background meanwhile)
  down to the oldest of those pipelines (not past the lookback), then `GET /jobs/{id}` for the rest.
* `partially_rerun_by`: a new pipeline that is a `partial_rerun_of` an old one re-describes the old one.
* promotions: listed for pipelines newly DONE with a `switch_id`; re-listed for a pipeline a new pipeline
  says it is the `promotion_of`, for the `prev_pipeline_id` of a new deployment, and while PROCESSING.

The CI resources share this planner and its state: load them together (the Dagster layer does).
"""

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from . import normalize, settings
from .context import RunContext
from .deployments import list_targets, triggered_us, walker
from .errors import ApiError, NotFoundError
from .incremental import ci_state, fingerprint, project_state, prune_known_done, prune_recent
from .jobs_list import iter_job_details
from .organization import project_ids
from .pagination import collect_style_a
from .timestamps import to_unix_seconds, to_utc

logger = logging.getLogger(__name__)


def _key(name: str | None) -> Any:
    if name:
        return lambda raw: raw.get(name)
    return lambda raw: (raw.get("name"), str(raw.get("triggered_at")))  # promotions


def _s(value: Any) -> int:
    ts = to_utc(value)
    return to_unix_seconds(ts) if ts else 0


@dataclass
class Plan:
    workflows: list[dict[str, Any]] = field(default_factory=list)
    pipelines: dict[str, dict[str, Any]] = field(default_factory=dict)  # rows to load
    newly_done: dict[str, dict[str, Any]] = field(default_factory=dict)  # first time seen DONE
    unseen_open: list[tuple[str, str]] = field(default_factory=list)  # (project_id, ppl_id) to describe
    first_run: bool = False


@dataclass
class Details:
    blocks: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    gone_jobs: set[str]


class CiPlanner:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.run_s = to_unix_seconds(ctx.run_start)
        self.start_s = to_unix_seconds(ctx.start_date)
        self.overlap_s = int(settings.CREATED_OVERLAP.total_seconds())
        self.lookback_s = int(ctx.lookback.total_seconds())
        self.floor_s = self.run_s - self.lookback_s

    # --- listing helpers --------------------------------------------------------------------------------

    def _list(self, path: str, params: dict[str, Any], key: str | None = None) -> list[dict[str, Any]]:
        return collect_style_a(self.ctx.client, path, params, _key(key))

    def _describe_pipeline(self, ppl_id: str, detailed: bool = False) -> dict[str, Any] | None:
        params = {"detailed": "true"} if detailed else None
        try:
            return self.ctx.client.get_json(f"pipelines/{ppl_id}", params)
        except NotFoundError:
            logger.warning("pipeline %s answered 404 (deleted?): recorded as gone", ppl_id)
            self.ctx.gone.append(ppl_id)
            return None

    # --- pipelines and workflows --------------------------------------------------------------------------

    def plan(self) -> Plan:
        return self.ctx.memo("ci_plan", self._plan)

    def _accept(self, st: dict[str, Any], row: dict[str, Any], plan: Plan, force: bool = False) -> None:
        ppl_id = row["ppl_id"]
        created_s = _s(row.get("created_at"))
        digest = fingerprint(row)
        if row.get("state") == "DONE":
            known = st["known_done"].get(ppl_id)
            if known and known[2:] == [digest] and not force:
                return  # loaded before, unchanged
            st["known_done"][ppl_id] = [created_s, _s(row.get("done_at")), digest]
            st["open"].pop(ppl_id, None)
            plan.pipelines[ppl_id] = row
            if not known:
                plan.newly_done[ppl_id] = row  # first time DONE: blocks, jobs, logs, promotions
            return
        previous = st["open"].get(ppl_id)
        if previous and previous[1] == digest and not force:
            return
        st["open"][ppl_id] = [created_s, digest]
        plan.pipelines[ppl_id] = row

    def _plan_project(self, project_id: str, st: dict[str, Any]) -> Plan:
        plan = Plan(first_run="ppl_created_max" not in st)
        # workflows
        wf_after = st["wf_max"] - self.overlap_s if "wf_max" in st else self.start_s - 1
        params = {"project_id": project_id, "created_after": wf_after, "created_before": self.run_s}
        for raw in self._list("plumber-workflows", params, "wf_id"):
            row = normalize.workflow(raw)
            created = _s(row.get("created_at"))
            if row["wf_id"] in st["wf_recent"]:
                continue
            plan.workflows.append(row)
            st["wf_recent"][row["wf_id"]] = created
            st["wf_max"] = max(st.get("wf_max", created), created)
        if "wf_max" in st:
            prune_recent(st["wf_recent"], st["wf_max"], self.overlap_s)
        # pipelines L1: new ones and the current state of open ones
        if plan.first_run:
            lower = self.start_s - 1
        else:
            lower = st["ppl_created_max"] - self.overlap_s
            if st["open"]:
                lower = min(lower, min(created for created, _ in st["open"].values()) - 1)
            lower = max(lower, self.floor_s)
        seen: set[str] = set()
        created_max, done_max = st.get("ppl_created_max", self.start_s), st.get("ppl_done_max", self.start_s)
        listings = [{"project_id": project_id, "created_after": lower, "created_before": self.run_s}]
        if not plan.first_run:  # L2: pipelines DONE within the lookback (new, or changed late)
            done_after = st["ppl_done_max"] - self.lookback_s
            listings.append({"project_id": project_id, "done_after": done_after, "done_before": self.run_s})
        for params in listings:
            for raw in self._list("pipelines", params, "ppl_id"):
                row = normalize.pipeline(raw)
                seen.add(row["ppl_id"])
                created_max = max(created_max, _s(row.get("created_at")))
                if row.get("state") == "DONE":
                    done_max = max(done_max, _s(row.get("done_at")))
                self._accept(st, row, plan)
        st["ppl_created_max"], st["ppl_done_max"] = created_max, done_max
        plan.unseen_open = [(project_id, ppl_id) for ppl_id in st["open"] if ppl_id not in seen]
        prune_known_done(st["known_done"], self.floor_s, done_max - self.lookback_s)
        return plan

    def _plan(self) -> Plan:
        state = ci_state()
        ids = project_ids(self.ctx)
        states = {pid: project_state(state, pid) for pid in ids}
        plan = Plan()
        for part in self.ctx.parallel_map(lambda pid: self._plan_project(pid, states[pid]), ids):
            plan.workflows.extend(part.workflows)
            plan.pipelines.update(part.pipelines)
            plan.newly_done.update(part.newly_done)
            plan.unseen_open.extend(part.unseen_open)
            plan.first_run = plan.first_run or part.first_run
        # the sweep: open pipelines the listings did not cover (older than the lookback)
        sweep = plan.unseen_open
        for (project_id, ppl_id), body in zip(
            sweep, self.ctx.parallel_map(lambda item: self._describe_pipeline(item[1]), sweep), strict=True
        ):
            if body is None:
                states[project_id]["open"].pop(ppl_id, None)
                continue
            self._accept(states[project_id], normalize.pipeline(body.get("pipeline") or {}), plan)
        # partially_rerun_by: re-describe the originals of new partial reruns
        originals = sorted(
            {r["partial_rerun_of"] for r in plan.pipelines.values() if r.get("partial_rerun_of")}
            - set(plan.pipelines)
        )
        for body in self.ctx.parallel_map(self._describe_pipeline, originals):
            row = normalize.pipeline((body or {}).get("pipeline") or {})
            if row.get("ppl_id") and row.get("project_id") in states:
                self._accept(states[row["project_id"]], row, plan, force=True)
        return plan

    # --- blocks and jobs ------------------------------------------------------------------------------------

    def details(self) -> Details:
        return self.ctx.memo("ci_details", self._details)

    def _details(self) -> Details:
        plan = self.plan()
        done = list(plan.newly_done.values())
        if not done:
            return Details([], [], set())
        # The jobs list is cursor-paginated (serial): walk it in the background while the describes run.
        walker_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="semaphore-jobs")
        listed = walker_pool.submit(self._finished_jobs_since, self._jobs_cutoff(done, plan.first_run))
        try:
            bodies = list(
                self.ctx.parallel_map(lambda r: self._describe_pipeline(r["ppl_id"], detailed=True), done)
            )
            finished = listed.result()
        finally:
            walker_pool.shutdown(wait=True, cancel_futures=True)
        blocks: list[dict[str, Any]] = []
        stubs: dict[str, dict[str, Any]] = {}
        for ppl, body in zip(done, bodies, strict=True):
            for raw_block in (body or {}).get("blocks") or []:
                block = normalize.block(raw_block, ppl["ppl_id"])
                blocks.append(block)
                for raw_job in raw_block.get("jobs") or []:
                    stub = normalize.block_job(raw_job, ppl["ppl_id"], block["block_id"])
                    stubs[stub["job_id"]] = stub
        found = {job_id: finished[job_id] for job_id in stubs if job_id in finished}
        missing = sorted(set(stubs) - found.keys())
        gone: set[str] = set()
        for job_id, raw in zip(missing, self.ctx.parallel_map(self._describe_job, missing), strict=True):
            if raw is None:
                gone.add(job_id)
            else:
                found[job_id] = normalize.job_details(raw)
        jobs = [normalize.job(stub, found.get(job_id)) for job_id, stub in stubs.items()]
        return Details(blocks, jobs, gone)

    def _jobs_cutoff(self, pipelines: list[dict[str, Any]], first_run: bool) -> int:
        """How far back the jobs list is walked: the oldest newly DONE pipeline, but not before the lookback
        (start date on a first run); older pipelines' jobs are described one by one."""
        oldest = min(_s(p.get("created_at")) for p in pipelines)
        floor = self.start_s if first_run else self.floor_s
        return max(oldest, floor) - int(settings.JOB_LIST_SLACK.total_seconds())

    def _finished_jobs_since(self, cutoff: int) -> dict[str, dict[str, Any]]:
        """`GET /jobs?states=FINISHED`, newest first, 30 a page, down to jobs created before `cutoff`."""
        stop = datetime.fromtimestamp(cutoff, UTC)
        return {d["job_id"]: d for d in iter_job_details(self.ctx.client, ("FINISHED",), stop)}

    def _describe_job(self, job_id: str) -> dict[str, Any] | None:
        try:
            return self.ctx.client.get_json(f"jobs/{job_id}")
        except NotFoundError:
            logger.warning("job %s answered 404 (deleted?): recorded as gone", job_id)
            self.ctx.gone.append(job_id)
            return None

    def log_jobs(self) -> list[dict[str, Any]]:
        """Jobs whose logs this run may fetch: every job of the pipelines newly seen DONE, with its result
        (the run's `log_policy` chooses among them, see log_policy.py)."""
        details = self.details()
        return [
            {
                "job_id": j["job_id"],
                "ppl_id": j["ppl_id"],
                "finish_time": j.get("finish_time"),
                "result": j.get("result"),
                "gone": j["job_id"] in details.gone_jobs,
            }
            for j in details.jobs
        ]

    # --- promotions ------------------------------------------------------------------------------------------

    def promotions(self) -> list[dict[str, Any]]:
        return self.ctx.memo("ci_promotions", self._promotions)

    def _deployment_sources(self, state: dict[str, Any]) -> set[str]:
        """`prev_pipeline_id` of deployments newer than the ones the promotions resource has looked at."""
        seen = state["deploy_seen"]
        sources: set[str] = set()
        for target in list_targets(self.ctx):
            target_id = target["id"]
            newest = seen.get(target_id)
            top = newest or 0
            for raw in walker(self.ctx, target_id):
                us = triggered_us(raw)
                if newest is None:  # first look: remember where history stands, re-list nothing
                    top = us
                    break
                if us <= newest:
                    break
                top = max(top, us)
                if raw.get("prev_pipeline_id"):
                    sources.add(raw["prev_pipeline_id"])
            seen[target_id] = top
        return sources

    def _list_promotions(self, ppl_id: str) -> list[dict[str, Any]] | None:
        try:
            return [
                normalize.promotion(raw, ppl_id) for raw in self._list("promotions", {"pipeline_id": ppl_id})
            ]
        except NotFoundError:
            return None
        except ApiError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None  # no switch: the server answers 4xx, meaning "no promotions"
            raise

    def _promotions(self) -> list[dict[str, Any]]:
        plan = self.plan()
        state = ci_state()
        candidates = {p for p, row in plan.newly_done.items() if row.get("switch_id")}
        candidates |= {r["promotion_of"] for r in plan.pipelines.values() if r.get("promotion_of")}
        candidates |= self._deployment_sources(state)
        candidates |= set(state["promotions_open"])
        ordered = sorted(candidates)
        rows: list[dict[str, Any]] = []
        for ppl_id, found in zip(ordered, self.ctx.parallel_map(self._list_promotions, ordered), strict=True):
            found = found or []
            rows.extend(found)
            if any(r.get("status") == "PROCESSING" for r in found):
                state["promotions_open"][ppl_id] = 1
            else:
                state["promotions_open"].pop(ppl_id, None)
        return rows


def workflows(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    yield planner.plan().workflows


def pipelines(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    yield list(planner.plan().pipelines.values())


def blocks(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    yield planner.details().blocks


def jobs(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    yield planner.details().jobs


def promotions(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    yield planner.promotions()
