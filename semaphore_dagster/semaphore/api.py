"""`SemaphoreAPI`, a small client for sensors, and `jobs_needing_logs`, a destination query for Dagster."""

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from dlt.destinations.exceptions import DatabaseUndefinedRelation

from . import normalize, settings
from .jobs_list import iter_job_details
from .source import make_client
from .timestamps import to_utc

logger = logging.getLogger(__name__)


class SemaphoreAPI:
    """Read-only helper over the same client (retries, token-free errors, no token to other origins)."""

    def __init__(
        self,
        base_url: str,
        api_token: str,
        auth_scheme: str = settings.DEFAULT_AUTH_SCHEME,
        request_timeout: float = settings.DEFAULT_REQUEST_TIMEOUT,
        max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
        max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
        backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
        request_deadline: float | None = None,
    ) -> None:
        self.client = make_client(
            base_url,
            api_token,
            auth_scheme,
            request_timeout,
            max_attempts,
            max_retry_delay,
            backoff_factor,
            request_deadline,
        )

    @property
    def request_count(self) -> int:
        return self.client.request_count

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `/api/v1alpha/<path>` as JSON."""
        return self.client.get_json(path.lstrip("/"), params)

    def iter_jobs(
        self, states: Iterable[str] = ("FINISHED",), stop_before: datetime | None = None
    ) -> Iterator[dict[str, Any]]:
        """Org-wide `GET /jobs?states=...`, newest first, 30 a page; stops at the first job created before
        `stop_before`. Yields the Jobs API part of `jobs` rows (no ppl_id/block_id: the list lacks them)."""
        stop = to_utc(stop_before) if stop_before else None
        for detail in iter_job_details(self.client, states, stop):
            yield normalize.job(None, detail)


def completed_loads_filter(sql: Any, alias: str) -> str:
    """SQL condition: the row of `alias` belongs to a completed load (`_dlt_loads.status = 0`). dlt commits
    a package table by table, so rows of a failed or killed load can be in a table before their load is
    complete; readers see completed loads only (docs/source.md, "No half load visible")."""
    loads = sql.make_qualified_table_name("_dlt_loads")
    # NULL: a row written before its table had `_dlt_load_id` (earlier versions loaded Arrow rows without it).
    return f"({alias}._dlt_load_id IS NULL OR {alias}._dlt_load_id IN (SELECT load_id FROM {loads} WHERE status = 0))"


def jobs_needing_logs(pipeline: Any, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """FINISHED jobs with `finish_time` in [start, end) that have no `job_logs` row, or an ERROR one that
    fewer than `settings.LOG_FETCH_RUNS` runs have tried (a log that fails for good is not fetched forever),
    read from the destination with the pipeline's SQL client, completed loads only. A missing dataset or
    `jobs` table means no jobs; a missing `job_logs` table means no logs yet. Each job carries `attempts`
    (runs that tried its log so far), which the next `job_logs` row counts on from, and its `result`."""
    window = (to_utc(start), to_utc(end))
    with pipeline.sql_client() as sql:
        if not sql.has_dataset():
            return []
        jobs = sql.make_qualified_table_name("jobs")
        logs = sql.make_qualified_table_name("job_logs")
        done_jobs, done_logs = completed_loads_filter(sql, "j"), completed_loads_filter(sql, "l")
        where = f"WHERE j.state = 'FINISHED' AND j.finish_time >= %s AND j.finish_time < %s AND {done_jobs}"
        order = " ORDER BY j.finish_time, j.job_id"
        with_logs = (
            f"SELECT j.job_id, j.ppl_id, j.finish_time, l.attempts, j.result FROM {jobs} j "
            f"LEFT JOIN (SELECT * FROM {logs} l WHERE {done_logs}) l ON l.job_id = j.job_id {where} "
            f"AND (l.job_id IS NULL OR (l.outcome = 'ERROR' AND coalesce(l.attempts, 1) < "
            f"{int(settings.LOG_FETCH_RUNS)}))"
        )
        try:
            rows = sql.execute_sql(with_logs + order, *window)
        except DatabaseUndefinedRelation:
            try:
                rows = sql.execute_sql(
                    f"SELECT j.job_id, j.ppl_id, j.finish_time, 0, j.result FROM {jobs} j {where}" + order,
                    *window,
                )
            except DatabaseUndefinedRelation:
                return []
    return [
        {
            "job_id": r[0],
            "ppl_id": r[1],
            "finish_time": to_utc(r[2]),
            "attempts": int(r[3] or 0),
            "result": r[4],  # for `log_policy=failed` in job_logs_source
        }
        for r in rows or []
    ]
