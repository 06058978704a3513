"""Test results: `test_reports` (one row per finished job), `test_suites`, `test_cases`, and `flaky_tests`.

Per job, not per pipeline (docs/source.md, "Test results"): `GET /artifacts/signed_url?scope=jobs&scope_id=
<job>&path=test-results/junit.json` answers 404 at once for a job that published nothing (one request), and a
job with a report costs the signed URL plus its download. The pipeline-level file exists only where an
after-pipeline job ran `gen-pipeline-report`, and it merges the jobs' suites, so it cannot give the same
per-job rows.

Behaviours relied on (docs/api-behaviours.md, "Artifacts" and "Test results"): the signed URL is on another
host, must be fetched without the Authorization header, expires in 20 minutes and is never stored or logged
(signed_urls.py); the `.json` is gzip bytes unless the CLI ran with `--no-compress`; a job reused by a partial
re-run has no artifacts of its own: its report is its source job's (found through `partial_rerun_of` and the
same block and job name in the original pipeline); the feature gate answers 403 with a plain message.
"""

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dlt

from . import normalize, settings, signed_urls
from .context import RunContext
from .endpoints import TABLES
from .errors import ApiError, AuthError, NotFoundError
from .pagination import PageLinkPaginator

logger = logging.getLogger(__name__)

JUNIT = "test-results/junit.json"
FEATURE_GATE = "feature is not enabled"
DEFAULT_MESSAGE_MAX_CHARS = 4096
DEFAULT_REPORT_MAX_BYTES = 64 * 1024 * 1024
MAX_REUSE_HOPS = 5


def _row(job: dict[str, Any], outcome: str, message: str | None = None) -> dict[str, Any]:
    return {
        "job_id": job["job_id"],
        "ppl_id": job.get("ppl_id"),
        "project_id": job.get("project_id"),
        "finish_time": job.get("finish_time"),
        "source_job_id": None,
        "outcome": outcome,
        "message": message,
        "file": None,
        "compressed": False,
        "bytes": 0,
        "report_count": 0,
        "frameworks": [],
        "status": None,
        **dict.fromkeys(("total", "passed", "failed", "errors", "skipped", "disabled"), 0),
        "duration_seconds": 0.0,
        "fetched_at": datetime.now(UTC),
    }


class _Reuse:
    """Finds the source job of a reused job: the same block and job name in the pipeline this one is a
    partial re-run of (one detailed describe per original pipeline, memoized per run)."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def _pipeline(self, ppl_id: str) -> dict[str, Any]:
        def build() -> dict[str, Any]:
            try:
                body = self.ctx.client.get_json(f"pipelines/{ppl_id}", {"detailed": "true"}) or {}
            except NotFoundError:
                return {}
            jobs = {
                (b.get("name"), j.get("name")): j.get("job_id")
                for b in body.get("blocks") or []
                for j in b.get("jobs") or []
            }
            return {
                "partial_rerun_of": (body.get("pipeline") or {}).get("partial_rerun_of") or "",
                "jobs": jobs,
            }

        return self.ctx.memo(("tr_pipeline", ppl_id), build)

    def candidates(self, job: dict[str, Any]) -> Iterator[tuple[str, str]]:
        """(job id, ppl id) of the job's possible sources, nearest first."""
        original, key = job.get("partial_rerun_of"), (job.get("block_name"), job.get("job_name"))
        for _ in range(MAX_REUSE_HOPS):
            if not original or None in key:
                return
            described = self._pipeline(original)
            source = (described.get("jobs") or {}).get(key)
            if source:
                yield source, original
            original = described.get("partial_rerun_of")


def _signed_url(ctx: RunContext, job_id: str) -> str:
    body = ctx.client.get_json("artifacts/signed_url", {"scope": "jobs", "scope_id": job_id, "path": JUNIT})
    items = (body or {}).get("items") or []
    if not items or not items[0].get("url"):
        raise NotFoundError(f"no signed URL for job {job_id}", body="Artifact not found")
    return items[0]["url"]


def fetch_report(
    ctx: RunContext, job: dict[str, Any], reuse: _Reuse, message_cap: int, max_bytes: int
) -> dict[str, Any]:
    """One job's report: {"row": test_reports row, "suites": [...], "cases": [...]}."""
    tried: list[tuple[str, str | None]] = [(job["job_id"], job.get("ppl_id"))]
    first_404 = ""
    index = 0
    candidates = None
    while True:
        job_id, ppl_id = tried[index]
        try:
            url = _signed_url(ctx, job_id)
            break
        except NotFoundError as exc:
            first_404 = first_404 or (exc.body or "Artifact not found")
        except AuthError as exc:
            if FEATURE_GATE in str(exc).lower():
                return {"row": _row(job, "FEATURE_DISABLED", _reason(exc)), "suites": [], "cases": []}
            if "(Permission denied)" in str(
                exc
            ):  # the token lacks project.artifacts.view: not a refused token
                message = "Permission denied: the token needs project.view and project.artifacts.view"
                return {"row": _row(job, "ERROR", message), "suites": [], "cases": []}
            raise
        except ApiError as exc:
            return {"row": _row(job, "ERROR", str(exc)), "suites": [], "cases": []}
        if candidates is None:
            candidates = reuse.candidates(job)
        nxt = next(candidates, None)
        if nxt is None:
            return {"row": _row(job, "NOT_FOUND", first_404), "suites": [], "cases": []}
        tried.append(nxt)
        index += 1
    try:
        raw, stored_bytes, compressed = signed_urls.fetch(
            url,
            max_bytes=max_bytes,
            timeout=getattr(ctx.client, "request_timeout", settings.DEFAULT_REQUEST_TIMEOUT),
            attempts=ctx.client.max_attempts,
            backoff=ctx.client.backoff_factor,
        )
        document = json.loads(raw)
    except (ApiError, ValueError) as exc:
        return {"row": _row(job, "ERROR", f"test report of job {job_id}: {exc}"), "suites": [], "cases": []}
    finally:
        del url  # a bearer credential: not kept a moment longer than the download
    row = _row(job, "OK")
    row.update(file=JUNIT, compressed=compressed, bytes=stored_bytes)
    if job_id != job["job_id"]:
        row["source_job_id"] = job_id
    results = [r for r in (document or {}).get("testResults") or [] if isinstance(r, dict)]
    row.update(_summary(results))
    suites, cases = _suites_and_cases(job_id, ppl_id, results, message_cap)
    return {"row": conform("test_reports", row), "suites": suites, "cases": cases}


def _reason(exc: Exception) -> str:
    text = str(exc)
    start = text.find("(")
    return text[start + 1 : text.find(")", start)] if start >= 0 else text


def conform(table: str, row: dict[str, Any]) -> dict[str, Any]:
    return normalize.conform(TABLES[table], row)


def _ns(value: Any) -> float:
    try:
        return float(value or 0) / 1e9
    except (TypeError, ValueError):
        return 0.0


def _counts(summary: Any) -> dict[str, Any]:
    s = summary if isinstance(summary, dict) else {}
    return {
        "total": int(s.get("total") or 0),
        "passed": int(s.get("passed") or 0),
        "failed": int(s.get("failed") or 0),
        "errors": int(s.get("error") or 0),
        "skipped": int(s.get("skipped") or 0),
        "disabled": int(s.get("disabled") or 0),
        "duration_seconds": _ns(s.get("duration")),
    }


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    total = dict.fromkeys(("total", "passed", "failed", "errors", "skipped", "disabled"), 0)
    nanos = 0
    for res in results:
        c = _counts(res.get("summary"))
        c.pop("duration_seconds")
        nanos += int((res.get("summary") or {}).get("duration") or 0)
        for k, v in c.items():
            total[k] += v
    duration = nanos / 1e9
    return {
        "report_count": len(results),
        "frameworks": sorted({str(r.get("framework")) for r in results if r.get("framework")}),
        "status": "ERROR" if any(str(r.get("status")).lower() == "error" for r in results) else "SUCCESS",
        **total,
        "duration_seconds": duration,
    }


def _none_if_empty(value: Any) -> Any:
    return None if value in ("", None) else value


def _suites_and_cases(
    job_id: str, ppl_id: str | None, results: list[dict[str, Any]], cap: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Suites and tests; system output and failure bodies are never kept (jobs print secrets there)."""
    suites, cases = [], []
    for res in results:
        for suite in res.get("suites") or []:
            suites.append(
                conform(
                    "test_suites",
                    {
                        "job_id": job_id,
                        "ppl_id": ppl_id,
                        "suite_id": suite.get("id"),
                        "report_id": res.get("id"),
                        "report_name": res.get("name"),
                        "framework": res.get("framework"),
                        "name": suite.get("name"),
                        "is_skipped": bool(suite.get("isSkipped")),
                        "is_disabled": bool(suite.get("isDisabled")),
                        "timestamp": _none_if_empty(suite.get("timestamp")),
                        "hostname": _none_if_empty(suite.get("hostname")),
                        "package": _none_if_empty(suite.get("package")),
                        "properties": suite.get("properties"),
                        **_counts(suite.get("summary")),
                    },
                )
            )
            for test in suite.get("tests") or []:
                problem = test.get("failure") or test.get("error") or {}
                message = problem.get("message") if isinstance(problem, dict) else None
                cut = isinstance(message, str) and len(message) > cap
                cases.append(
                    conform(
                        "test_cases",
                        {
                            "job_id": job_id,
                            "ppl_id": ppl_id,
                            "suite_id": suite.get("id"),
                            "test_id": test.get("id"),
                            "file": _none_if_empty(test.get("file")),
                            "classname": _none_if_empty(test.get("classname")),
                            "package": _none_if_empty(test.get("package")),
                            "name": test.get("name"),
                            "state": test.get("state"),
                            "duration_seconds": _ns(test.get("duration")),
                            "failure_message": message[:cap] if cut else message,
                            "failure_type": _none_if_empty(
                                problem.get("type") if isinstance(problem, dict) else None
                            ),
                            "message_truncated": bool(cut),
                        },
                    )
                )
    return suites, cases


def report_items(
    ctx: RunContext,
    jobs: list[dict[str, Any]],
    message_cap: int,
    max_bytes: int,
    reuse: _Reuse | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Fetch the reports of `jobs` in parallel (bounded), in batches for the three transformers."""
    reuse = reuse or _Reuse(ctx)
    batch: list[dict[str, Any]] = []
    for item in ctx.parallel_map(lambda job: fetch_report(ctx, job, reuse, message_cap, max_bytes), jobs):
        batch.append(item)
        if len(batch) >= 200:
            yield batch
            batch = []
    if batch:
        yield batch


def test_result_resources(ctx: RunContext, jobs: Any, message_cap: int, max_bytes: int) -> list[Any]:
    """A hidden fetcher and the transformers `test_reports`, `test_suites`, `test_cases` fed by it. `jobs`: a
    list, or `(parent resource, fn)` where `fn(item)` gives the jobs of each parent item (the CI chunks: each
    chunk's reports are fetched as soon as its jobs are known, one reuse cache for the run)."""
    if isinstance(jobs, tuple):
        parent, jobs_of = jobs
        reuse = _Reuse(ctx)

        def fetch_chunk(item: Any) -> Iterator[list[dict[str, Any]]]:
            yield from report_items(ctx, jobs_of(item), message_cap, max_bytes, reuse)

        fetcher = dlt.transformer(fetch_chunk, data_from=parent, name="test_report_fetch", selected=False)
    else:

        def fetch() -> Iterator[list[dict[str, Any]]]:
            yield from report_items(ctx, list(jobs), message_cap, max_bytes)

        fetcher = dlt.resource(fetch, name="test_report_fetch", selected=False)

    def part(key: str):
        def rows(batch: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
            out = [item[key] for item in batch] if key == "row" else [r for item in batch for r in item[key]]
            if out:
                yield out

        return rows

    out = [fetcher]
    for table, key in (("test_reports", "row"), ("test_suites", "suites"), ("test_cases", "cases")):
        spec = TABLES[table]
        out.append(
            dlt.transformer(
                part(key),
                data_from=fetcher,
                name=table,
                primary_key=list(spec.primary_key),
                write_disposition="merge",
                columns=spec.dlt_columns(),
            )
        )
    return out


def planner_jobs(planner: Any) -> list[dict[str, Any]]:
    """The jobs of the pipelines this run saw DONE for the first time, with what reuse resolution needs."""
    return _report_jobs(planner.details(), planner.plan().newly_done)


def chunk_jobs(chunk: Any) -> list[dict[str, Any]]:
    """`planner_jobs` for one CI chunk (its blocks, jobs and pipelines)."""
    return _report_jobs(chunk, chunk.pipelines)


def _report_jobs(details: Any, pipelines: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    block_names = {b["block_id"]: b.get("name") for b in details.blocks}
    out = []
    for job in details.jobs:
        if str(job.get("state") or "").upper() != "FINISHED":
            continue
        ppl = pipelines.get(job["ppl_id"]) or {}
        out.append(
            {
                "job_id": job["job_id"],
                "ppl_id": job["ppl_id"],
                "project_id": job.get("project_id") or ppl.get("project_id"),
                "finish_time": job.get("finish_time"),
                "block_name": block_names.get(job.get("block_id")),
                "job_name": job.get("name"),
                "partial_rerun_of": ppl.get("partial_rerun_of"),
            }
        )
    return out


def jobs_needing_test_results(pipeline: Any, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """FINISHED jobs with `finish_time` in [start, end) without a `test_reports` row (or with an ERROR one),
    with block and job names and the pipeline's `partial_rerun_of` (reuse resolution), from the destination."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation

    from .timestamps import to_utc

    with pipeline.sql_client() as sql:
        if not sql.has_dataset():
            return []
        q = {t: sql.make_qualified_table_name(t) for t in ("jobs", "blocks", "pipelines", "test_reports")}
        base = (
            f"SELECT j.job_id, j.ppl_id, j.project_id, j.finish_time, b.name, j.name, p.partial_rerun_of "
            f"FROM {q['jobs']} j LEFT JOIN {q['blocks']} b ON b.block_id = j.block_id "
            f"LEFT JOIN {q['pipelines']} p ON p.ppl_id = j.ppl_id "
            "WHERE j.state = 'FINISHED' AND j.finish_time >= %s AND j.finish_time < %s"
        )
        missing = f" AND NOT EXISTS (SELECT 1 FROM {q['test_reports']} r WHERE r.job_id = j.job_id AND r.outcome <> 'ERROR')"
        order = " ORDER BY j.finish_time, j.job_id"
        window = (to_utc(start), to_utc(end))
        try:
            rows = sql.execute_sql(base + missing + order, *window)
        except DatabaseUndefinedRelation:
            try:
                rows = sql.execute_sql(base + order, *window)
            except DatabaseUndefinedRelation:
                return []
    keys = ("job_id", "ppl_id", "project_id", "finish_time", "block_name", "job_name", "partial_rerun_of")
    return [dict(zip(keys, r, strict=True)) | {"finish_time": to_utc(r[3])} for r in rows or []]


# --- flaky tests (Superjerry; SaaS only, feature-gated) ----------------------------------------------------


def flaky_tests(ctx: RunContext, project_ids: list[str]) -> Iterator[list[dict[str, Any]]]:
    """Every project's flaky tests. The gate (404 `Feature is not enabled for your organization`) means the
    organization has no such service: recorded as unavailable in the source state, not an error."""
    state = dlt.current.source_state().setdefault("availability", {})

    def one(project_id: str) -> tuple[list[dict[str, Any]], str | None]:
        rows = []
        try:
            for page in ctx.client.paginate(
                f"projects/{project_id}/test_results/flaky_tests", {}, PageLinkPaginator(page_size=100)
            ):
                rows += [normalize.shape("flaky_tests", raw, project_id=project_id) for raw in page]
        except NotFoundError as exc:
            if FEATURE_GATE in (exc.body or "").lower():
                return [], exc.body
            logger.warning("flaky tests of project %s answered 404; skipped", project_id)
        return rows, None

    unavailable = None
    for rows, gate in ctx.parallel_map(one, project_ids):
        unavailable = unavailable or gate
        if rows:
            yield rows
    if unavailable:
        logger.warning("flaky tests are unavailable for this organization: %s", unavailable)
    state["flaky_tests"] = {
        "available": not unavailable,
        "message": unavailable,
        "checked_at": datetime.now(UTC).isoformat(),
    }
