"""Semaphore's project insights endpoints, computed from the world model in plain Python.

`GET /projects/{id}/insights/{performance|reliability|frequency}?pipeline_file=&branch=&from=&to=&aggregate=`
(spec §4). This is deliberately independent of the project's insight SQL (semaphore_dagster/insights): tests
compare the two. The definitions are the same as the SQL's, stated here again:

* Pipelines: the project's pipelines whose pipeline file (`working_directory/yaml_file_name`; a leading
  `/` or `./` ignored on both sides) is `pipeline_file`, on `branch` when given (else every branch).
* performance and reliability use DONE pipelines, dated by the UTC day of `done_at`; frequency uses every
  pipeline, dated by the UTC day of `created_at`.
* performance: duration = done_at - created_at in seconds; for `all` (every result), `passed` and
  `failed`: count, mean, median and p95 (linear interpolation between closest ranks), min, max and the
  population standard deviation. `value_in_seconds` is the mean rounded to whole seconds.
* reliability: passed_count, failed_count, pass_rate = passed / (passed + failed) in 0..1 (null when
  both are 0); all_count, stopped_count and canceled_count are extra (stopped and canceled are out of
  the rate).
* frequency: count = pipelines created that day.
* `from`/`to` (YYYY-MM-DD, inclusive; default: the 30 days ending today in the world's clock).
  `aggregate=daily` (default) gives one entry per day that has pipelines, oldest first; `aggregate=range`
  gives a single entry for the whole range (dated `from`), or none when the range has no pipelines.
"""

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta

KINDS = ("performance", "reliability", "frequency")
DEFAULT_RANGE_DAYS = 30


class _BadRequest(Exception):
    pass


def insights_response(world, project_id: str, kind: str, query: dict[str, str]) -> tuple[int, object]:
    """(status, JSON body) of `GET /projects/{project_id}/insights/{kind}` for `query`."""
    if kind not in KINDS:
        return 404, {"message": "Not found"}
    with world.lock:
        if world.project(project_id) is None:
            return 404, {"message": "Not found"}
        try:
            pipeline_file, branch, start, end, aggregate = _parse(query, world.now().date())
        except _BadRequest as exc:
            return 400, {"message": str(exc)}
        wanted = _norm(pipeline_file)
        pipelines = [
            p
            for p in world.list_pipelines(project_id=project_id)
            if _norm(p.pipeline_file) == wanted and (branch is None or p.branch_name == branch)
        ]
    if kind == "frequency":
        dated = [(p.created_at.date(), p) for p in pipelines]
    else:
        dated = [(p.done_at.date(), p) for p in pipelines if p.state == "DONE" and p.done_at is not None]
    groups = _group([(d, p) for d, p in dated if start <= d <= end], start, aggregate)
    body_of: dict[str, Callable[[dict[date, list]], object]] = {
        "performance": _performance,
        "reliability": _reliability,
        "frequency": _frequency,
    }
    return 200, {kind: body_of[kind](groups)}


def _parse(query: dict[str, str], today: date) -> tuple[str, str | None, date, date, str]:
    pipeline_file = (query.get("pipeline_file") or "").strip()
    if not pipeline_file:
        raise _BadRequest("pipeline_file is required, e.g. pipeline_file=.semaphore/semaphore.yml")
    aggregate = query.get("aggregate") or "daily"
    if aggregate not in ("daily", "range"):
        raise _BadRequest(f"aggregate must be daily or range, not {aggregate!r}")
    end = _date(query, "to") or today
    start = _date(query, "from") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise _BadRequest("from must not be after to")
    return pipeline_file, query.get("branch") or None, start, end, aggregate


def _date(query: dict[str, str], key: str) -> date | None:
    raw = query.get(key)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _BadRequest(f"{key} must be a date as YYYY-MM-DD, not {raw!r}") from None


def _norm(pipeline_file: str) -> str:
    return pipeline_file.removeprefix("./").lstrip("/")


def _group(dated: list[tuple[date, object]], start: date, aggregate: str) -> dict[date, list]:
    groups: dict[date, list] = {}
    for day, p in dated:
        groups.setdefault(start if aggregate == "range" else day, []).append(p)
    return dict(sorted(groups.items()))


def _seconds(a: datetime, b: datetime) -> float:
    return (b - a) / timedelta(microseconds=1) / 1e6


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (DuckDB quantile_cont, numpy's default)."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _stats(day: date, durations: list[float]) -> dict:
    values = sorted(durations)
    n = len(values)
    mean = sum(values) / n
    return {
        "date": day.isoformat(),
        "value_in_seconds": round(mean),
        "count": n,
        "mean_seconds": mean,
        "median_seconds": _quantile(values, 0.5),
        "min_seconds": values[0],
        "max_seconds": values[-1],
        "std_dev_seconds": math.sqrt(sum((v - mean) ** 2 for v in values) / n),
        "p95_seconds": _quantile(values, 0.95),
    }


def _performance(groups: dict[date, list]) -> dict:
    out: dict[str, list] = {"all": [], "passed": [], "failed": []}
    for day, pipelines in groups.items():
        for key, keep in (("all", None), ("passed", "PASSED"), ("failed", "FAILED")):
            durations = [
                _seconds(p.created_at, p.done_at) for p in pipelines if keep is None or p.result == keep
            ]
            if durations:
                out[key].append(_stats(day, durations))
    return out


def _reliability(groups: dict[date, list]) -> list[dict]:
    out = []
    for day, pipelines in groups.items():
        counts = {
            r: sum(1 for p in pipelines if p.result == r) for r in ("PASSED", "FAILED", "STOPPED", "CANCELED")
        }
        decided = counts["PASSED"] + counts["FAILED"]
        out.append(
            {
                "date": day.isoformat(),
                "passed_count": counts["PASSED"],
                "failed_count": counts["FAILED"],
                "pass_rate": counts["PASSED"] / decided if decided else None,
                "all_count": len(pipelines),
                "stopped_count": counts["STOPPED"],
                "canceled_count": counts["CANCELED"],
            }
        )
    return out


def _frequency(groups: dict[date, list]) -> list[dict]:
    return [{"date": day.isoformat(), "count": len(pipelines)} for day, pipelines in groups.items()]
