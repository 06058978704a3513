"""Semaphore's project insights (Velocity), computed from the world model in plain Python by Semaphore's rules.

Served: `GET /api/v1alpha/projects/{id}/insights/{performance|reliability|frequency}` (docs/insights.md,
"The emulator's insights endpoints"). Not served, because Semaphore's public API has no route for them, but
computed here as the reference the tests hold our models against: MTTR and the last successful run
(`describe_project_performance`, what Semaphore's Insights page shows beside the charts).

This module is deliberately independent of the project's insight SQL (the dbt models): the tests compare the
two. The rules, stated again in our words (docs/insights.md has the table):

* A *valid run* is a DONE pipeline whose result is not CANCELED, whose result_reason is not MALFORMED and
  that has both running_at and done_at (Semaphore's collector drops the rest). Its pipeline file is Go's
  `path.Join(working_directory, yaml_file_name)` (so `./.semaphore` and `..` resolve); its duration is
  `done_at - running_at` truncated to whole seconds (Go `int32(d.Seconds())`).
* Daily metrics exist for each (pipeline file, UTC day of done_at) that has valid runs, for the days before
  today only, and for three branch keys: the CI branch, the CD branch (project insights settings, else the
  repository's default branch) and `""` (all branches). A key's row exists when it has runs that day.
* Per row: `count` = valid runs (user stops included); the statistics and reliability drop runs stopped
  with reason USER or STRATEGY. mean = integer division, median = the middle value or the integer mean of
  the two middle ones, p95 = nearest rank (`sorted[ceil(0.95 n) - 1]`), population std dev truncated to an
  integer; all 0 when no run is left. `passed` and `failed` lists use only runs with that result (a
  STOPPED run is in neither); reliability's failed_count = FAILED + STOPPED (not USER/STRATEGY).
* RANGE: performance = the integer mean of the daily means (and of the daily std devs) over the rows with
  runs; reliability and frequency = the sums. Dated by the request's from/to (null when not given).
* MTTR, per (project, pipeline file, branch), valid runs in done order: a run that is not PASSED (stops
  included) opens an episode when none is open; the next PASSED closes it. The figure averages
  `passed_at - failed_at` of episodes closed in [from, to] over EVERY branch of the pipeline file
  (Semaphore's branch filter repeats the file filter), truncated to seconds; 0 when none.
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

from semaphore_dagster.emulator import responses as r
from semaphore_dagster.emulator.model import to_us

KINDS = ("performance", "reliability", "frequency")
FEATURE = "pipeline_summaries"  # the FeatureProvider flag the public API gates the insights routes on
FEATURE_DISABLED = "Feature is not enabled for your organization"
MISSING_FILE = "Missing required query parameter: pipeline_file"
NOT_STATISTICS = ("USER", "STRATEGY")  # stop reasons left out of the statistics and reliability
PERF_FIELDS = ("count", "mean_seconds", "median_seconds", "min_seconds", "max_seconds")
PERF_FIELDS += ("std_dev_seconds", "p95_seconds")


@dataclass(frozen=True, slots=True)
class InsightsSettings:
    """A project's Insights settings (Semaphore's project_settings); '' = unset (the default branch)."""

    ci_branch_name: str = ""
    ci_pipeline_file_name: str = ""
    cd_branch_name: str = ""
    cd_pipeline_file_name: str = ""


# --- Go's path.Join -------------------------------------------------------------------------------------


def go_path_clean(path: str) -> str:
    """Go's `path.Clean`: collapse slashes, drop `.` segments, resolve `..` lexically."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    out: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(seg)
    cleaned = ("/" if rooted else "") + "/".join(out)
    return cleaned or ("/" if rooted else ".")


def go_path_join(*elems: str) -> str:
    """Go's `path.Join`: empty elements ignored, the result cleaned; '' when every element is empty."""
    joined = "/".join(e for e in elems if e)
    return go_path_clean(joined) if joined else ""


# --- the collector: valid runs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """One valid pipeline run as Semaphore's collector stores it (entity.PipelineRun)."""

    ppl_id: str
    branch_name: str
    pipeline_file_name: str
    result: str
    reason: str
    running_at: datetime
    done_at: datetime

    @property
    def state(self) -> str:
        """MTTR's view: PASSED, or FAILED for anything else (stops included)."""
        return "PASSED" if self.result == "PASSED" else "FAILED"

    @property
    def seconds(self) -> int:
        """`int32(done_at.Sub(running_at).Seconds())`: truncated toward zero."""
        us = to_us(self.done_at) - to_us(self.running_at)
        return us // 1_000_000 if us >= 0 else -((-us) // 1_000_000)


def valid_runs(world, project_id: str) -> list[Run]:
    """The project's valid runs (collector's isValidRun), in done order (the order Semaphore sees them)."""
    runs = [
        Run(
            p.ppl_id,
            p.branch_name,
            go_path_join(p.working_directory, p.yaml_file_name),
            p.result,
            p.result_reason or "TEST",
            p.running_at,
            p.done_at,
        )
        for p in world.list_pipelines(project_id=project_id)
        if p.state == "DONE"
        and p.result != "CANCELED"
        and p.result_reason != "MALFORMED"
        and p.running_at is not None
        and p.done_at is not None
    ]
    return sorted(runs, key=lambda run: (run.done_at, run.ppl_id))


def settings_of(world, project_id: str) -> InsightsSettings:
    return getattr(world, "insights_settings", {}).get(project_id) or InsightsSettings()


def metric_branches(world, project) -> tuple[str, str]:
    """(CI branch, CD branch) the daily metrics are computed for: settings, else the repository default."""
    s = settings_of(world, project.id)
    default = project.default_branch or "main"
    return (s.ci_branch_name or default, s.cd_branch_name or default)


# --- the aggregator: daily metrics -----------------------------------------------------------------------


def _go_div(a: int, b: int) -> int:
    """Go integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _median(values: list[int]) -> int:
    n = len(values)
    if n % 2 == 0:
        return _go_div(values[n // 2 - 1] + values[n // 2], 2)
    return values[n // 2]


def _p95(values: list[int]) -> int:
    return values[int(math.ceil(float(len(values)) * 0.95) - 1)]


def _std_dev(values: list[int]) -> int:
    avg = float(sum(values)) / len(values)
    variance = sum((v - avg) * (v - avg) for v in values) / len(values)
    return int(math.sqrt(variance))


@dataclass(frozen=True, slots=True)
class Point:
    """One MetricPoint of a daily row (all, passed or failed)."""

    count: int  # frequency: every run given
    mean: int
    median: int
    min: int
    max: int
    std_dev: int
    p95: int
    total: int  # reliability: runs left after dropping USER/STRATEGY stops
    passed: int
    failed: int
    stopped: int


def metric_point(runs: list[Run]) -> Point:
    kept = [run for run in runs if run.reason not in NOT_STATISTICS]
    values = sorted(run.seconds for run in kept)
    stats = (
        (_go_div(sum(values), len(values)), _median(values), values[0], values[-1], _std_dev(values))
        + (_p95(values),)
        if values
        else (0, 0, 0, 0, 0, 0)
    )
    counts = {res: sum(1 for run in kept if run.result == res) for res in ("PASSED", "FAILED", "STOPPED")}
    return Point(len(runs), *stats, len(kept), counts["PASSED"], counts["FAILED"], counts["STOPPED"])


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One project_metrics row: a (pipeline file, branch key, day) with runs."""

    pipeline_file_name: str
    branch_name: str  # "" = all branches
    day: date
    all: Point
    passed: Point
    failed: Point


def daily_rows(world, project) -> list[DailyRow]:
    """Every daily metrics row of the project, oldest day first."""
    runs = valid_runs(world, project.id)
    today = world.now().astimezone(UTC).date()
    keys = sorted({(run.pipeline_file_name, run.done_at.astimezone(UTC).date()) for run in runs})
    ci, cd = metric_branches(world, project)
    rows = []
    for file, day in keys:
        if day >= today:
            continue
        of_day = [r for r in runs if r.pipeline_file_name == file and r.done_at.astimezone(UTC).date() == day]
        for branch in dict.fromkeys((ci, cd, "")):
            picked = [r for r in of_day if branch == "" or r.branch_name == branch]
            if picked:
                rows.append(
                    DailyRow(
                        file,
                        branch,
                        day,
                        metric_point(picked),
                        metric_point([r for r in picked if r.result == "PASSED"]),
                        metric_point([r for r in picked if r.result == "FAILED"]),
                    )
                )
    return sorted(rows, key=lambda row: (row.day, row.pipeline_file_name, row.branch_name))


# --- MTTR and last successful run ------------------------------------------------------------------------


@dataclass(slots=True)
class Episode:
    """One project_mttr record."""

    pipeline_file_name: str
    branch_name: str
    failed_ppl_id: str
    failed_at: datetime
    passed_ppl_id: str | None = None
    passed_at: datetime | None = None


def mttr_episodes(world, project_id: str) -> list[Episode]:
    """The MTTR records of the project, per (pipeline file, branch), built as the collector builds them."""
    open_: dict[tuple[str, str], Episode] = {}
    out: list[Episode] = []
    for run in valid_runs(world, project_id):
        key = (run.pipeline_file_name, run.branch_name)
        episode = open_.get(key)
        if episode is None and run.state == "FAILED":
            open_[key] = Episode(run.pipeline_file_name, run.branch_name, run.ppl_id, run.done_at)
            out.append(open_[key])
        elif episode is not None and run.state == "PASSED":
            episode.passed_ppl_id, episode.passed_at = run.ppl_id, run.done_at
            del open_[key]
    return out


def avg_mttr_seconds(episodes: list[Episode], pipeline_file: str, start: datetime, end: datetime) -> int:
    """Semaphore's AvgMttr: episodes of the file on ANY branch closed in [start, end]; 0 when none."""
    spans = [
        to_us(e.passed_at) - to_us(e.failed_at)
        for e in episodes
        if e.pipeline_file_name == pipeline_file and e.passed_at is not None and start <= e.passed_at <= end
    ]
    if not spans:
        return 0
    mean_us = _go_div(sum(spans), len(spans))
    return _go_div(mean_us, 1_000_000)


def last_successful_run_at(world, project_id: str, pipeline_file: str, branch: str) -> datetime | None:
    """done_at of the last PASSED valid run of (file, branch); None when none (Semaphore: 1970-01-01).

    For branch "" Semaphore reads one branch's record, the first by a random id: not reproducible, None."""
    if branch == "":
        return None
    passed = [
        run.done_at
        for run in valid_runs(world, project_id)
        if run.pipeline_file_name == pipeline_file and run.branch_name == branch and run.result == "PASSED"
    ]
    return passed[-1] if passed else None


def describe_project_performance(
    world, project_id: str, pipeline_file: str, branch: str, start: date, end: date
) -> dict:
    """What Velocity's DescribeProjectPerformance answers for the Insights page's range [start, end]
    (the page sends both days at 00:00 UTC): the MTTR in whole seconds and the last successful run."""
    lo = datetime(start.year, start.month, start.day, tzinfo=UTC)
    hi = datetime(end.year, end.month, end.day, tzinfo=UTC)
    with world.lock:
        episodes = mttr_episodes(world, project_id)
        last = last_successful_run_at(world, project_id, pipeline_file, branch)
    return {
        "mean_time_to_recovery_seconds": avg_mttr_seconds(episodes, pipeline_file, lo, hi),
        "last_successful_run_at": last,
    }


# --- the HTTP endpoints ----------------------------------------------------------------------------------


def _ts(day: date | None) -> str | None:
    """The public API's timestamp rendering (`DateTime.to_string`), None for none."""
    return None if day is None else f"{day.isoformat()} 00:00:00Z"


def _param_date(query: dict[str, str], key: str) -> date | None:
    """`from`/`to` as the public API reads them: a YYYY-MM-DD date, anything else ignored (no filter)."""
    try:
        return date.fromisoformat(query.get(key) or "")
    except ValueError:
        return None


def _perf_entry(day_from: date | None, day_to: date | None, p: Point | None, mean=0, std=0) -> dict:
    values = (p.count, p.mean, p.median, p.min, p.max, p.std_dev, p.p95) if p else (0, mean, 0, 0, 0, std, 0)
    entry = dict(zip(PERF_FIELDS, values, strict=True))
    return {**entry, "from_date": _ts(day_from), "to_date": _ts(day_to)}


def _mean_of(values: list[int]) -> int:
    return _go_div(sum(values), len(values)) if values else 0


def insights_response(world, project_id: str, kind: str, query: dict[str, str]) -> r.Response:
    """The public API's answer to `GET /projects/{project_id}/insights/{kind}?{query}` (plugs in order:
    the feature gate, project authorization, the required pipeline_file, then Velocity)."""
    if kind not in KINDS:
        return r.text(404, "oops")
    with world.lock:
        if FEATURE not in world.features:
            return r.text(404, FEATURE_DISABLED)
        project = world.project(project_id)
        if project is None:
            return r.text(404, r.NOT_FOUND)
        pipeline_file = query.get("pipeline_file") or ""
        if pipeline_file == "":
            return r.json_string(400, MISSING_FILE)
        branch = query.get("branch") or ""
        start, end = _param_date(query, "from"), _param_date(query, "to")
        rows = [
            row
            for row in daily_rows(world, project)
            if row.pipeline_file_name == pipeline_file
            and row.branch_name == branch
            and (start is None or row.day >= start)
            and (end is None or row.day <= end)
        ]
    daily = query.get("aggregate") != "range"
    if kind == "performance":
        if daily:
            body = {
                key: [_perf_entry(row.day, row.day, getattr(row, key)) for row in rows]
                for key in ("all", "failed", "passed")
            }
        else:
            body = {}
            for key in ("all", "failed", "passed"):
                points = [getattr(row, key) for row in rows if getattr(row, key).count > 0]
                mean, std = _mean_of([p.mean for p in points]), _mean_of([p.std_dev for p in points])
                body[key] = [_perf_entry(start, end, None, mean, std)]
        return r.ok(body)
    if kind == "reliability":
        counts = [(row.day, row.all.total, row.all.passed, row.all.failed + row.all.stopped) for row in rows]
        if not daily:
            counts = [(None, *(sum(c[i] for c in counts) for i in (1, 2, 3)))]
        entries = [
            {"all_count": a, "failed_count": f, "from_date": _ts(d or start), "passed_count": p}
            | {"to_date": _ts(d or end)}
            for d, a, p, f in counts
        ]
        return r.ok({"metrics": entries})
    counts = [(row.day, row.all.count) for row in rows]
    if not daily:
        counts = [(None, sum(c for _, c in counts))]
    entries = [{"all_count": c, "from_date": _ts(d or start), "to_date": _ts(d or end)} for d, c in counts]
    return r.ok({"metrics": entries})
