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
* slices: a run that finds more pipelines newly DONE than `slice_pipelines` commits them in slices (newest
  first), one dlt load each (`advance`, driven by slices.py), so a long first load killed midway resumes
  after its last committed slice (docs/source.md, "Resumable loads").

The CI resources share this planner and its state: load them together (the Dagster layer does).
"""

import copy
import logging
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dlt

from . import normalize, settings
from .context import RunContext
from .deployments import list_targets, triggered_us, walker
from .errors import ApiError, NotFoundError
from .incremental import (
    ci_state,
    fingerprint,
    project_state,
    prune_known_done,
    prune_recent,
    replace_ci_state,
)
from .jobs_list import iter_job_details
from .organization import project_ids
from .packed_rows import PackedRows, RowSpill
from .pagination import collect_style_a
from .progress import Progress
from .timestamps import to_unix_seconds, to_utc

logger = logging.getLogger(__name__)


def _key(name: str | None) -> Any:
    if name:
        return lambda raw: raw.get(name)
    return lambda raw: (raw.get("name"), str(raw.get("triggered_at")))  # promotions


def _s(value: Any) -> int:
    ts = to_utc(value)
    return to_unix_seconds(ts) if ts else 0


# what the planner keeps of a pipeline newly DONE besides its packed row: what slicing, the jobs walk, the
# promotions and the test results ask of it
HEAD_FIELDS = (
    "ppl_id",
    "project_id",
    "created_at",
    "done_at",
    "switch_id",
    "partial_rerun_of",
    "promotion_of",
)


_HEAD_INDEX = {name: index for index, name in enumerate(HEAD_FIELDS)}


class Head(tuple):
    """The HEAD_FIELDS of a pipeline newly DONE, read like the row (`head["ppl_id"]`, `head.get(name)`). A
    tuple: a first load holds one per pipeline of the window until its slice loads it (43,886 at `large`), and
    seven fields cost 96 bytes as a tuple against 360 as a dict; the project id is interned (one string per
    project, not per pipeline)."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        return tuple.__getitem__(self, _HEAD_INDEX[key] if isinstance(key, str) else key)

    def get(self, name: str, default: Any = None) -> Any:
        index = _HEAD_INDEX.get(name)
        return default if index is None else tuple.__getitem__(self, index)


def head(row: dict[str, Any]) -> Head:
    project_id = row.get("project_id")
    values = [row.get(name) for name in HEAD_FIELDS]
    if isinstance(project_id, str):
        values[_HEAD_INDEX["project_id"]] = sys.intern(project_id)
    return Head(values)


@dataclass
class Plan:
    """What one run loads of CI activity. Rows wait packed in a temporary file (packed_rows.py) until their
    slice loads them: a first load's plan is the whole window, and as dicts it grew the loader's peak with the
    organization."""

    workflows: PackedRows = field(default_factory=PackedRows)  # wf_id -> row
    pipelines: PackedRows = field(default_factory=PackedRows)  # ppl_id -> row to load
    newly_done: dict[str, "Head"] = field(default_factory=dict)  # first time seen DONE -> `head`
    unseen_open: list[tuple[str, str]] = field(default_factory=list)  # (project_id, ppl_id) to describe
    first_run: bool = False


@dataclass
class Details:
    blocks: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    gone_jobs: set[str]


@dataclass
class Chunk:
    """Up to CHUNK_PIPELINES pipelines newly seen DONE, described, with their blocks and jobs: the unit of
    work the blocks, jobs, job logs and test results resources consume (so what is held does not grow with
    the organization, and a pipeline's logs start as soon as its jobs are known)."""

    pipelines: dict[str, "Head"]  # ppl_id -> head (HEAD_FIELDS)
    blocks: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    gone_jobs: set[str]
    last: bool = False  # the run's last chunk (its consumers log their final progress)


def log_jobs(chunk: "Chunk | Details") -> list[dict[str, Any]]:
    """The jobs of a chunk whose logs a run may fetch, with their result (the run's `log_policy` chooses
    among them, see log_policy.py)."""
    return [
        {
            "job_id": j["job_id"],
            "ppl_id": j["ppl_id"],
            "finish_time": j.get("finish_time"),
            "result": j.get("result"),
            "gone": j["job_id"] in chunk.gone_jobs,
        }
        for j in chunk.jobs
    ]


class JobWalk:
    """`GET /jobs?states=FINISHED` (cursor-paginated, so serial), walked newest first in a background thread
    down to `cutoff`, never further ahead than the lowest create time a chunk asked for (`request`). Details
    are held until a chunk claims them or `evict` knows no pipeline still to come can own them: the walk
    overlaps the describes and the logs, and holds about one chunk's worth of jobs, not the organization's."""

    def __init__(self, client: Any, cutoff: int, target: int) -> None:
        self._client = client
        self._cutoff = cutoff
        self._cond = threading.Condition()
        self._held: dict[str, tuple[int, dict[str, Any]]] = {}  # job_id -> (create time, details)
        self._frontier: int | None = None  # create time of the last job walked
        self._target: int | None = target
        self._done = self._closed = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="semaphore-jobs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            stop = datetime.fromtimestamp(self._cutoff, UTC)
            for detail in iter_job_details(self._client, ("FINISHED",), stop):
                created = _s(detail.get("create_time"))
                with self._cond:
                    self._held[detail["job_id"]] = (created, detail)
                    if created:
                        self._frontier = created if self._frontier is None else min(self._frontier, created)
                    self._cond.notify_all()
                    while not self._closed and self._passed(self._target):
                        self._cond.wait()
                    if self._closed:
                        return
        except BaseException as exc:  # handed to the chunk that waits (ApiError, ...)
            self._error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _passed(self, low: int | None) -> bool:
        return low is not None and self._frontier is not None and self._frontier < low

    def request(self, low: int) -> None:
        with self._cond:
            self._target = low if self._target is None else min(self._target, low)
            self._cond.notify_all()

    def wait_past(self, low: int) -> None:
        """Block until every listed job created at or after `low` was walked (or the walk ended)."""
        self.request(low)
        with self._cond:
            while not self._done and not self._passed(low):
                self._cond.wait()
            if self._error is not None:
                raise self._error

    def claim(self, job_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        with self._cond:
            return {j: self._held.pop(j)[1] for j in job_ids if j in self._held}

    def evict(self, newer_than: int | None) -> None:
        """Drop held details created after `newer_than` (all of them when None: no pipeline left)."""
        with self._cond:
            if newer_than is None:
                self._held.clear()
            else:
                for job_id in [j for j, (created, _) in self._held.items() if created > newer_than]:
                    del self._held[job_id]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._held.clear()
            self._cond.notify_all()


class CiPlanner:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.run_s = to_unix_seconds(ctx.run_start)
        self.start_s = to_unix_seconds(ctx.start_date)
        self.overlap_s = int(settings.CREATED_OVERLAP.total_seconds())
        self.lookback_s = int(ctx.lookback.total_seconds())
        self.floor_s = self.run_s - self.lookback_s
        # slices (see `advance`): each a list of chunk parts (lists of pipeline rows, newest first)
        self.slices: list[list[list[dict[str, Any]]]] = []
        self.slice = 0  # the slice the current dlt load extracts
        self._planned = False
        # (slice, id of the dlt state dict) last written: a retried load (new state dict) is written again
        self._entered: tuple[int, int] = (-1, 0)
        self._enter_lock = threading.Lock()
        self._slice_chunks: tuple[int, list[Chunk]] = (-1, [])  # the current slice's chunks, for a retry
        self._before: dict[str, Any] = {}  # the CI state as this run found it
        self._after: dict[str, Any] = {}  # the CI state once the whole plan is loaded
        self._newly_done: dict[str, Head] = {}
        self._unpruned: dict[str, dict[str, list[Any]]] = {}  # project -> known_done before pruning
        self._chunk_iter: Iterator[Chunk] | None = None
        self._spill: RowSpill | None = None  # the plan's packed rows (made when the plan is)

    def _new_plan(self, first_run: bool = False) -> Plan:
        if self._spill is None:
            self._spill = RowSpill()
        return Plan(PackedRows(self._spill), PackedRows(self._spill), first_run=first_run)

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
        return self.ctx.memo("ci_plan", self._plan_and_slice)

    def _plan_and_slice(self) -> Plan:
        before = copy.deepcopy(ci_state())
        plan = self._plan()
        done = sorted(plan.newly_done.values(), key=lambda r: _s(r.get("created_at")), reverse=True)
        per_slice = self.ctx.slice_pipelines
        size = max(1, min(settings.CHUNK_PIPELINES, per_slice))
        parts = [done[i : i + size] for i in range(0, len(done), size)]
        step = max(1, per_slice // size)
        self.slices = [parts[i : i + step] for i in range(0, len(parts), step)] or [[]]
        self._planned = True
        self._before, self._after = before, copy.deepcopy(ci_state())
        self._newly_done = plan.newly_done
        if len(self.slices) > 1:
            self._write_committed_state(0)
        self._entered = (0, id(dlt.current.source_state()))
        return plan

    # --- slices -------------------------------------------------------------------------------------------

    @property
    def sliced(self) -> bool:
        return len(self.slices) > 1

    def advance(self) -> bool:
        """Move to the next slice, if any: the driver then runs one more dlt load of the CI resources. False
        when the plan was never made (no CI resource selected) or the last slice was extracted."""
        if not self._planned or self.slice + 1 >= len(self.slices):
            return False
        self.slice += 1
        return True

    def slice_ids(self, index: int) -> list[str]:
        return [r["ppl_id"] for part in self.slices[index] for r in part] if index < len(self.slices) else []

    def enter_slice(self) -> Plan:
        """The plan, with the current slice's committed state written into this load's dlt state (once per
        load: each CI resource calls this first, whichever dlt runs first). A load retried after a failed
        attempt (the Dagster step retries once when another process took the DuckDB file) starts from a new
        state dict: the state is written into it again, and the slice's chunks are replayed."""
        plan = self.plan()
        with self._enter_lock:
            key = (self.slice, id(dlt.current.source_state()))
            if self._entered != key:
                self._write_committed_state(self.slice)
                self._entered = key
        return plan

    def _write_committed_state(self, index: int) -> None:
        """What the load of slice `index` commits: the whole plan's state for the last slice; before it, the
        state of what is loaded so far. The pipelines of later slices are not `known_done` (an open one
        stays open), the committed ones all are (not pruned to the lookback yet: the run after a kill lists
        the whole window again) and the pipeline watermarks stay where the run found them, so a run after a
        kill lists the same window again and describes only the pipelines not yet committed. Pipelines committed with
        a `switch_id` wait in `promotions_open` (promotions are listed by the last slice)."""
        state = copy.deepcopy(self._after)
        if index < len(self.slices) - 1:
            pending = {p for later in range(index + 1, len(self.slices)) for p in self.slice_ids(later)}
            for project_id, st in state["projects"].items():
                old = self._before.get("projects", {}).get(project_id, {})
                for key in ("ppl_created_max", "ppl_done_max"):
                    if key in old:
                        st[key] = old[key]
                    else:
                        st.pop(key, None)
                known = self._unpruned.get(project_id, st["known_done"])
                st["known_done"] = {k: v for k, v in known.items() if k not in pending}
                for ppl_id in pending & known.keys():
                    if ppl_id in old.get("open", {}):
                        st["open"][ppl_id] = old["open"][ppl_id]
            for earlier in range(index + 1):
                for ppl_id in self.slice_ids(earlier):
                    if self._newly_done[ppl_id].get("switch_id"):
                        state["promotions_open"][ppl_id] = 1
        replace_ci_state(state)

    def slice_pipeline_rows(self) -> list[dict[str, Any]]:
        """Pipeline rows the current slice loads: a newly DONE pipeline with its blocks and jobs (never
        visible without them), every other changed row with the first slice."""
        plan = self.enter_slice()
        if not self.sliced:
            return list(plan.pipelines.values())
        rows = [plan.pipelines[p] for p in self.slice_ids(self.slice) if p in plan.pipelines]
        if self.slice == 0:
            rows.extend(r for p, r in plan.pipelines.items() if p not in plan.newly_done)
        return rows

    def slice_chunks(self) -> Iterator["Chunk"]:
        """The current slice's chunks, from one walk that goes on across the slices' loads (kept until the
        next slice, so a retried load of this slice gets the same chunks)."""
        self.enter_slice()
        if self._chunk_iter is None:
            self._chunk_iter = self.chunks()
        if self._slice_chunks[0] != self.slice:
            self._slice_chunks = (self.slice, [])
        held = self._slice_chunks[1]
        for index in range(len(self.slices[self.slice])):
            if index == len(held):
                chunk = next(self._chunk_iter, None)
                if chunk is None:
                    return
                held.append(chunk)
            yield held[index]
        if self.slice == len(self.slices) - 1:
            next(self._chunk_iter, None)  # let the walk end (its last progress line, the thread stops)

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
                plan.newly_done[ppl_id] = head(row)  # first time DONE: blocks, jobs, logs, promotions
            return
        previous = st["open"].get(ppl_id)
        if previous and previous[1] == digest and not force:
            return
        st["open"][ppl_id] = [created_s, digest]
        plan.pipelines[ppl_id] = row

    def _plan_project(self, project_id: str, st: dict[str, Any]) -> Plan:
        plan = self._new_plan(first_run="ppl_created_max" not in st)
        # workflows
        wf_after = st["wf_max"] - self.overlap_s if "wf_max" in st else self.start_s - 1
        params = {"project_id": project_id, "created_after": wf_after, "created_before": self.run_s}
        for raw in self._list("plumber-workflows", params, "wf_id"):
            row = normalize.workflow(raw)
            created = _s(row.get("created_at"))
            if row["wf_id"] in st["wf_recent"]:
                continue
            plan.workflows[row["wf_id"]] = row
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
        # before pruning: a slice's state keeps every pipeline it committed (a resumed first load lists them
        # all again; pruned ones older than the lookback would be described again)
        self._unpruned[project_id] = dict(st["known_done"])
        prune_known_done(st["known_done"], self.floor_s, done_max - self.lookback_s)
        return plan

    def _plan(self) -> Plan:
        state = ci_state()
        ids = project_ids(self.ctx)
        states = {pid: project_state(state, pid) for pid in ids}
        plan = self._new_plan()
        for part in self.ctx.parallel_map(lambda pid: self._plan_project(pid, states[pid]), ids):
            plan.workflows.absorb(part.workflows)
            plan.pipelines.absorb(part.pipelines)
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

    def chunks(self) -> Iterator["Chunk"]:
        """Blocks and jobs of the pipelines newly seen DONE, one bounded `Chunk` at a time (see `JobWalk`)."""
        plan = self.plan()
        parts = [part for piece in self.slices for part in piece]
        if not parts:
            return
        done = [r for part in parts for r in part]
        floor = self.start_s if plan.first_run else self.floor_s
        slack = int(settings.JOB_LIST_SLACK.total_seconds())
        lows = [max(_s(part[-1].get("created_at")), floor) - slack for part in parts]
        # newest done_at among this part and the older ones: a listed job created after it (plus slack)
        # belongs to none of the pipelines still to come, so it is not held
        later_done = [0] * len(parts)
        newest = 0
        for index in range(len(parts) - 1, -1, -1):
            newest = max(newest, *(_s(r.get("done_at")) or self.run_s for r in parts[index]))
            later_done[index] = newest
        walk = JobWalk(self.ctx.client, lows[-1], lows[min(1, len(parts) - 1)])
        progress = Progress("blocks and jobs", "pipelines", len(done))
        try:
            for index, part in enumerate(parts):
                walk.request(lows[min(index + 1, len(parts) - 1)])  # let the walk run one part ahead
                blocks, stubs = self._describe_part(part)
                walk.wait_past(lows[index])
                found = walk.claim(stubs)
                following = later_done[index + 1] if index + 1 < len(parts) else None
                walk.evict(None if following is None else following + slack)
                chunk = self._chunk(part, blocks, stubs, found)
                chunk.last = index == len(parts) - 1
                progress.add(pipelines=len(part), jobs=len(chunk.jobs))
                yield chunk
            progress.done()
        finally:
            walk.close()

    def _describe_part(
        self, part: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        bodies = self.ctx.parallel_map(lambda r: self._describe_pipeline(r["ppl_id"], detailed=True), part)
        blocks: list[dict[str, Any]] = []
        stubs: dict[str, dict[str, Any]] = {}
        for ppl, body in zip(part, bodies, strict=True):
            for raw_block in (body or {}).get("blocks") or []:
                block = normalize.block(raw_block, ppl["ppl_id"])
                blocks.append(block)
                for raw_job in raw_block.get("jobs") or []:
                    stub = normalize.block_job(raw_job, ppl["ppl_id"], block["block_id"])
                    stubs[stub["job_id"]] = stub
        return blocks, stubs

    def _chunk(
        self,
        part: list[dict[str, Any]],
        blocks: list[dict[str, Any]],
        stubs: dict[str, dict[str, Any]],
        found: dict[str, dict[str, Any]],
    ) -> "Chunk":
        missing = sorted(set(stubs) - found.keys())
        gone: set[str] = set()
        for job_id, raw in zip(missing, self.ctx.parallel_map(self._describe_job, missing), strict=True):
            if raw is None:
                gone.add(job_id)
            else:
                found[job_id] = normalize.job_details(raw)
        jobs = [normalize.job(stub, found.get(job_id)) for job_id, stub in stubs.items()]
        return Chunk({r["ppl_id"]: r for r in part}, blocks, jobs, gone)

    def details(self) -> Details:
        """Every chunk at once (tests and callers that want one list; the source streams `chunks()`)."""
        return self.ctx.memo("ci_details", self._details)

    def _details(self) -> Details:
        blocks: list[dict[str, Any]] = []
        jobs: list[dict[str, Any]] = []
        gone: set[str] = set()
        for chunk in self.chunks():
            blocks.extend(chunk.blocks)
            jobs.extend(chunk.jobs)
            gone |= chunk.gone_jobs
        return Details(blocks, jobs, gone)

    def _describe_job(self, job_id: str) -> dict[str, Any] | None:
        try:
            return self.ctx.client.get_json(f"jobs/{job_id}")
        except NotFoundError:
            logger.warning("job %s answered 404 (deleted?): recorded as gone", job_id)
            self.ctx.gone.append(job_id)
            return None

    def log_jobs(self) -> list[dict[str, Any]]:
        """Jobs whose logs this run may fetch: every job of the pipelines newly seen DONE."""
        return log_jobs(self.details())

    # --- promotions ------------------------------------------------------------------------------------------

    def promotions(self) -> list[dict[str, Any]]:
        return self.ctx.memo("ci_promotions", self._promotions)

    def _deployment_sources(self, state: dict[str, Any]) -> set[str]:
        """`prev_pipeline_id` of deployments newer than the ones the promotions resource has looked at."""
        seen = state["deploy_seen"]

        def one(target_id: str) -> tuple[str, int, set[str]]:  # targets walked side by side (one page each)
            newest = seen.get(target_id)
            top, found = newest or 0, set()
            for raw in walker(self.ctx, target_id):
                us = triggered_us(raw)
                if newest is None:  # first look: remember where history stands, re-list nothing
                    top = us
                    break
                if us <= newest:
                    break
                top = max(top, us)
                if raw.get("prev_pipeline_id"):
                    found.add(raw["prev_pipeline_id"])
            return target_id, top, found

        sources: set[str] = set()
        target_ids = [target["id"] for target in list_targets(self.ctx)]
        for target_id, top, found in self.ctx.parallel_map(one, target_ids):
            seen[target_id] = top
            sources |= found
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
        for key in ("promotions_open", "deploy_seen"):  # so a retried load commits them too
            self._after[key] = copy.deepcopy(state[key])
        return rows


def workflows(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    plan = planner.enter_slice()
    if planner.slice == 0:  # in batches: unpacked all at once, a first load's workflows are the window's
        batch: list[dict[str, Any]] = []
        for row in plan.workflows.values():
            batch.append(row)
            if len(batch) >= settings.CHUNK_PIPELINES:
                yield batch
                batch = []
        if batch:
            yield batch


def pipelines(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    yield planner.slice_pipeline_rows()


def chunks(planner: CiPlanner) -> Iterator[Chunk]:
    yield from planner.slice_chunks()


def blocks(chunk: Chunk) -> Iterator[list[dict[str, Any]]]:
    if chunk.blocks:
        yield chunk.blocks


def jobs(chunk: Chunk) -> Iterator[list[dict[str, Any]]]:
    if chunk.jobs:
        yield chunk.jobs


def promotions(planner: CiPlanner) -> Iterator[list[dict[str, Any]]]:
    planner.enter_slice()
    if planner.slice == len(planner.slices) - 1:  # listed once, by the last slice (see `advance`)
        yield planner.promotions()
