"""The new-pipeline sensor's logic, free of Dagster: what changed since the cursor, and what to run.

Semaphore's org-wide `GET /jobs` lists jobs newest first (by creation) for given states, whatever the
number of projects. Each tick makes two listings:

* active jobs (PENDING, QUEUED, RUNNING): new ids mean new pipelines started; ids that were active last
  tick and are gone now have finished (or were deleted) since then;
* FINISHED jobs, newest first, stopping at the cursor's watermark (the creation time of the newest
  finished job already seen): jobs that were created and finished between two ticks.

With nothing new that is one page each (two requests while fewer than 30 jobs are running).
"""

import base64
import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

ACTIVE_STATES = ["PENDING", "QUEUED", "RUNNING"]


class JobLister(Protocol):
    def iter_jobs(self, states: list[str], stop_before: Any = None) -> Iterator[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class SeenJob:
    job_id: str
    created: int | None  # unix seconds
    finished: datetime | None


def _to_unix(value: Any) -> int | None:
    if value in (None, "", "0", 0):
        return None
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    text = str(value)
    if text.isdigit():
        return int(text)
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def read_job(job: Mapping[str, Any]) -> SeenJob:
    """Id and times from a Jobs API object (`metadata.*`, unix-second strings) or a flattened row."""
    meta = job.get("metadata") if isinstance(job.get("metadata"), Mapping) else job
    job_id = str(meta.get("id") or job.get("job_id") or meta.get("job_id"))
    finished = _to_unix(meta.get("finish_time"))
    return SeenJob(
        job_id,
        _to_unix(meta.get("create_time")),
        datetime.fromtimestamp(finished, UTC) if finished else None,
    )


CURSOR_VERSION = 2


@dataclass
class WatchState:
    """The sensor cursor. Log days move pending -> covered (a CI-activity run was requested after they
    were seen) -> ready (no CI run in flight any more: that run is done) -> requested.

    Stored as `v2 <summary> <payload>`: a short readable summary for the UI's cursor display, then the
    state as zlib-compressed, base64 JSON. `load` reads this version and the unversioned JSON of earlier
    releases (unknown fields ignored, missing ones defaulted); anything else starts afresh."""

    watermark: int | None = None  # creation time of the newest FINISHED job seen
    at_watermark: list[str] = field(default_factory=list)  # FINISHED ids created in that second
    active: list[str] = field(default_factory=list)  # ids active at the last tick
    last_tick: float | None = None
    ci_pending: bool = False  # a CI-activity run is wanted but one is still queued or running
    pending_days: list[str] = field(default_factory=list)  # days of newly finished jobs, no CI run asked yet
    pending_ids: list[str] = field(default_factory=list)  # the newly finished jobs behind pending_days
    covered_days: dict[str, str] = field(default_factory=dict)  # day -> run key, waiting for the CI run
    ready_days: dict[str, str] = field(default_factory=dict)  # day -> run key, to request (capped)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "WatchState":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def load(cls, cursor: str | None) -> "WatchState | None":
        """The state in `cursor`, or None (first tick) when there is none or it cannot be read."""
        if not cursor:
            return None
        try:
            if cursor.startswith("{"):  # unversioned JSON (before version 2)
                return cls.from_dict(json.loads(cursor))
            version, _, rest = cursor.partition(" ")
            if version != f"v{CURSOR_VERSION}":
                return None
            payload = rest.rsplit(" ", 1)[-1]
            return cls.from_dict(json.loads(zlib.decompress(base64.urlsafe_b64decode(payload))))
        except (ValueError, TypeError, zlib.error):
            return None

    def summary(self) -> str:
        mark = (
            datetime.fromtimestamp(self.watermark, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            if self.watermark
            else "none"
        )
        waiting = len(self.pending_days) + len(self.covered_days) + len(self.ready_days)
        return f"watermark={mark} active={len(self.active)} log_days_waiting={waiting} ci_pending={int(self.ci_pending)}"

    def dump(self) -> str:
        data = json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()
        payload = base64.urlsafe_b64encode(zlib.compress(data, 9)).decode()
        return f"v{CURSOR_VERSION} {self.summary()} {payload}"


@dataclass
class Observation:
    finished: list[SeenJob]  # created and finished since the watermark
    vanished: list[str]  # were active, are not anymore: finished since the last tick
    started: list[str]  # active now, unknown before
    active: list[str]

    @property
    def anything_new(self) -> bool:
        return bool(self.finished or self.vanished or self.started)


def observe(api: JobLister, state: WatchState | None) -> Observation:
    """List active jobs, then FINISHED ones down to the watermark (in this order, so a job finishing
    between the two listings is seen as active now and caught as vanished on the next tick)."""
    active = [read_job(j).job_id for j in api.iter_jobs(states=ACTIVE_STATES, stop_before=None)]
    watermark = state.watermark if state else None
    stop_before = datetime.fromtimestamp(watermark, UTC) if watermark is not None else None
    finished: list[SeenJob] = []
    for raw in api.iter_jobs(states=["FINISHED"], stop_before=stop_before):
        job = read_job(raw)
        if watermark is not None and job.created is not None:
            if job.created < watermark:
                break
            if job.created == watermark and job.job_id in (state.at_watermark if state else []):
                continue
        if state is None and finished and job.created != finished[0].created:
            break  # first tick: only the newest second, to set the watermark
        finished.append(job)
    previous = set(state.active) if state else set()
    now_active = set(active)
    return Observation(
        finished=finished,
        vanished=sorted(previous - now_active),
        started=sorted(now_active - previous) if state else [],
        active=sorted(now_active),
    )


def digest(ids: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(sorted(ids)).encode()).hexdigest()[:12]


def days_between(start: datetime, end: datetime) -> list[date]:
    days, day = [], start.date()
    while day <= end.date():
        days.append(day)
        day += timedelta(days=1)
    return days


@dataclass
class Plan:
    ci_run_key: str | None
    log_days: list[tuple[str, str]]  # (partition key, run key)
    state: WatchState
    reason: str


def plan(
    state: WatchState | None,
    seen: Observation,
    now: datetime,
    ci_in_flight: bool,
    max_runs: int,
    first_day: date,
) -> Plan:
    """Decide the runs of this tick and the next cursor.

    A CI-activity run is requested when anything is new (one at a time: while one is queued or running,
    the wish is kept in the cursor). The log partitions of the days concerned are requested once a CI run
    asked for after those jobs finished has completed, so they load the jobs it brought in; a stream of
    new CI runs never starves them. At most `max_runs` requests per tick; the rest waits in the cursor.
    Run keys are digests of the job ids behind a request, so a repeated tick launches nothing twice.
    """
    new_state = WatchState.from_dict(json.loads(json.dumps(asdict(state)))) if state else WatchState()
    new_state.active = seen.active
    new_state.last_tick = now.timestamp()
    created = [j.created for j in seen.finished if j.created is not None]
    if created:
        newest = max(created)
        same_second = [j.job_id for j in seen.finished if j.created == newest]
        if newest == new_state.watermark:
            new_state.at_watermark = sorted(set(new_state.at_watermark) | set(same_second))
        elif new_state.watermark is None or newest > new_state.watermark:
            new_state.watermark, new_state.at_watermark = newest, sorted(same_second)

    if not ci_in_flight:  # the CI run that covered these days has finished
        new_state.ready_days.update(new_state.covered_days)
        new_state.covered_days = {}

    if state is None:
        new_state.ci_pending = True  # first tick: catch up once
    elif seen.anything_new:
        new_state.ci_pending = True
        days = {j.finished.date() for j in seen.finished if j.finished}
        if seen.vanished and state.last_tick:
            days |= set(days_between(datetime.fromtimestamp(state.last_tick, UTC), now))
        wanted = {d.isoformat() for d in days if first_day <= d <= now.date()}
        new_state.pending_days = sorted(set(new_state.pending_days) | wanted)
        new_state.pending_ids = sorted(
            set(new_state.pending_ids) | {j.job_id for j in seen.finished} | set(seen.vanished)
        )

    budget = max(max_runs, 1)
    ci_run_key = None
    if new_state.ci_pending and not ci_in_flight:
        ci_run_key = f"ci-{digest([*new_state.pending_ids, *seen.started, str(new_state.watermark)])}"
        new_state.ci_pending = False
        budget -= 1
        behind = digest(new_state.pending_ids)
        for day in new_state.pending_days:
            new_state.covered_days[day] = f"logs-{day}-{behind}"
        new_state.pending_days, new_state.pending_ids = [], []

    chosen = sorted(new_state.ready_days, reverse=True)[:budget] if budget > 0 else []
    log_days = [(day, new_state.ready_days.pop(day)) for day in chosen]

    waiting = len(new_state.pending_days) + len(new_state.covered_days) + len(new_state.ready_days)
    reason = (
        f"{len(seen.finished) + len(seen.vanished)} newly finished, {len(seen.started)} started job(s); "
        f"{waiting} log day(s) waiting"
    )
    return Plan(ci_run_key, log_days, new_state, reason)
