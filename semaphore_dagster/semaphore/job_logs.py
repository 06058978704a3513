"""Job logs: one `job_logs` row per job (outcome, counts, truncation) and its events in `job_log_events`.

Bounded memory: the body is never held whole. `ijson` parses the event array incrementally from the socket;
events are stored until their `output` text passes `log_max_bytes` (the event that crosses the cap is kept,
later ones are only counted), so a 100 MB log costs the cap, not 100 MB several times over.

The log body is consumed after dlt's retrying `send()` has returned, so a body cut off mid-stream (or a
trickling body past the deadline) escapes dlt's retry: we retry the whole log here, with the same back-off.
"""

import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import ijson
import pyarrow as pa
import requests
import urllib3

from . import normalize
from .client import ForeignRedirect, SemaphoreClient, _short_body
from .context import RunContext
from .errors import ApiError
from .redaction import redact_text
from .timestamps import to_utc

logger = logging.getLogger(__name__)

STREAM_ERRORS = (
    ijson.common.IncompleteJSONError,
    ijson.common.JSONError,
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
    ValueError,
)


class _Deadline(Exception):
    pass


def _log_row(
    job: dict[str, Any], outcome: str, source: str | None, message: str | None = None
) -> dict[str, Any]:
    return {
        "job_id": job["job_id"],
        "ppl_id": job.get("ppl_id"),
        "finish_time": to_utc(job.get("finish_time")),
        "outcome": outcome,
        "message": message,
        "event_count": 0,
        "bytes": 0,
        "stored_event_count": 0,
        "truncated": False,
        "source": source,
        "fetched_at": datetime.now(UTC),
    }


def _read_events(
    response: requests.Response, job_id: str, cap: int, deadline: float
) -> tuple[list[dict[str, Any]], int, int, bool]:
    """Stream-parse `{"events": [...]}`; returns (stored event rows, event count, output bytes, truncated)."""
    response.raw.decode_content = True
    stored: list[dict[str, Any]] = []
    count = size = 0
    truncated = False
    for event in ijson.items(response.raw, "events.item", use_float=True):
        if time.monotonic() > deadline:
            raise _Deadline()
        output = event.get("output") if isinstance(event, dict) else None
        if isinstance(output, str):
            size += len(output.encode("utf-8", "surrogatepass"))
        if not truncated:
            stored.append(normalize.log_event(event if isinstance(event, dict) else {}, job_id, count))
            if size > cap:
                truncated = True
        count += 1
    return stored, count, size, truncated


def _cut_json_string(response: requests.Response) -> bool:
    """A 404 reason is a JSON string (`"This job never started, ..."`); one that does not parse was cut off."""
    try:
        text = (response.text or "").strip()
    except STREAM_ERRORS:  # the body itself was cut off
        return True
    if not text.startswith('"'):
        return False
    try:
        json.loads(text)
        return False
    except ValueError:
        return True


def fetch_log(
    client: SemaphoreClient, job: dict[str, Any], log_max_bytes: int, deadline_s: float = 600.0
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Fetch one job's log. Returns (job_logs row, job_log_events rows).

    Outcomes: OK; NOT_FOUND (404 with the server's reason, e.g. the job never started); GONE (404 for a job
    the Jobs API no longer knows, `job["gone"]`); ERROR (a failure that retries did not fix, or a 4xx from
    the self-hosted log server; `message` says why, with any `jwt` redacted). 401/403 from the API itself
    and persistent 5xx raise: the run fails and the next run fetches the log again.
    """
    job_id = job["job_id"]
    attempts = client.max_attempts
    last_problem = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(client.max_retry_delay, client.backoff_factor * 2 ** (attempt - 1)))
        try:
            response, source = client.open_log(job_id)
        except ForeignRedirect as exc:
            return _log_row(job, "ERROR", "REDIRECT", str(exc)), []
        with response:
            status = response.status_code
            if status == 404:
                if _cut_json_string(response):
                    last_problem = "404 body cut off"
                    continue
                reason = _short_body(response, 500) or "Not Found"
                return _log_row(job, "GONE" if job.get("gone") else "NOT_FOUND", source, reason), []
            if status in (401, 403) and source == "INLINE":
                raise client._error(requests.HTTPError(response=response), "GET", f"logs/{job_id}")
            if status >= 500:  # dlt's send() already retried it with back-off
                raise ApiError(f"GET logs/{job_id} answered {status} after retries", status=status)
            if status != 200:
                message = redact_text(
                    f"{source.lower()} log fetch answered {status}: {_short_body(response)}"
                )
                return _log_row(job, "ERROR", source, message), []
            try:
                events, count, size, truncated = _read_events(
                    response, job_id, log_max_bytes, time.monotonic() + deadline_s
                )
            except _Deadline:
                last_problem = f"body not complete within {deadline_s:.0f} s"
                continue
            except STREAM_ERRORS as exc:
                last_problem = f"body cut off or not JSON ({type(exc).__name__})"
                continue
        row = _log_row(job, "OK", source)
        row.update(event_count=count, bytes=size, stored_event_count=len(events), truncated=truncated)
        return row, events
    message = f"log of job {job_id} failed after {attempts} attempts: {last_problem}"
    return _log_row(job, "ERROR", None, redact_text(message)), []


def log_items(ctx: RunContext, jobs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Fetch the logs of `jobs` in parallel (bounded), one item per job for the two log transformers."""

    def one(job: dict[str, Any]) -> dict[str, Any]:
        row, events = fetch_log(ctx.client, job, ctx.log_max_bytes)
        return {"row": row, "events": events}

    yield from ctx.parallel_map(one, jobs)


LOG_BATCH_BYTES = 16 * 1024 * 1024  # stored output per batch handed to dlt
LOG_BATCH_JOBS = 200

EVENTS_SCHEMA = pa.schema(
    [
        pa.field("job_id", pa.string(), nullable=False),
        pa.field("seq", pa.int64(), nullable=False),
        ("event", pa.string()),
        ("timestamp", pa.timestamp("us", tz="UTC")),
        ("directive", pa.string()),
        ("output", pa.string()),
        ("exit_code", pa.int64()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
        ("result", pa.string()),
    ]
)


def events_table(events: list[dict[str, Any]]) -> pa.Table:
    """`job_log_events` rows as an Arrow table of the contract's types (a value of another type, e.g. a
    non-integer exit code, becomes NULL rather than failing the load)."""
    columns = {}
    for field in EVENTS_SCHEMA:
        values = [event.get(field.name) for event in events]
        try:
            columns[field.name] = pa.array(values, type=field.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            columns[field.name] = pa.array([_coerce(v, field.type) for v in values], type=field.type)
    return pa.table(columns, schema=EVENTS_SCHEMA)


def _coerce(value: Any, kind: pa.DataType) -> Any:
    try:
        return pa.array([value], type=kind)[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
        return str(value) if pa.types.is_string(kind) else None


def batched(items: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Group fetched logs so dlt gets few, large items (bounded by LOG_BATCH_BYTES of output)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for item in items:
        batch.append(item)
        size += sum(len(e.get("output") or "") for e in item["events"])
        if size >= LOG_BATCH_BYTES or len(batch) >= LOG_BATCH_JOBS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
