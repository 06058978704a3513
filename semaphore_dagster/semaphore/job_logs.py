"""Job logs: one `job_logs` row per job (outcome, counts, truncation) and its events in `job_log_events`.

Bounded memory: a body is held whole only up to WHOLE_BODY_BYTES (1 MiB, then parsed under one lock, see
there); a bigger one is never held whole: `ijson` parses the event array incrementally from the socket;
events are stored until their `output` text passes `log_max_bytes` (the event that crosses the cap is kept,
later ones are only counted), so a 100 MB log costs the cap, not 100 MB several times over. With
`log_tail_bytes` the last events are kept instead, in a window of about that many bytes (log_policy.py).

The log body is consumed after dlt's retrying `send()` has returned, so a body cut off mid-stream (or a
trickling body past the request deadline) escapes dlt's retry: we retry the whole log here, with the same
back-off. A body that arrives whole but does not parse fails the same way each time: after three identical
failures we stop (a deterministic failure must not cost `max_attempts` requests per run; two were not enough
to tell it from a proxy that cuts bodies at random, which cuts the same body at the same byte).

Text is stored faithfully (ANSI colour codes, NUL characters as they were sent); what cannot be stored as
text is replaced, as docs/source.md documents: invalid UTF-8 byte sequences by U+FFFD, a lone UTF-16
surrogate escape (`\ud800`) by the parser's `?` (or U+FFFD).

One job's log failing for good (a persistent 5xx, a body that never parses) is an `ERROR` row for that job,
and the run goes on; `attempts` counts the runs that tried (`jobs_needing_logs` re-offers an ERROR log to at
most `settings.LOG_FETCH_RUNS` runs). Many logs failing in a row with 5xx or network errors is an outage of
the log service, not one bad log: the run fails (`LogOutage`) and the next run tries them again.
"""

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import ijson
import pyarrow as pa
import pyarrow.compute as pc
import requests
import urllib3

from . import log_events, log_policy, settings
from .client import DeadlineReader, ForeignRedirect, SemaphoreClient, _short_body
from .context import RunContext
from .errors import ApiError
from .redaction import redact_text
from .timestamps import to_utc

logger = logging.getLogger(__name__)
NO_EVENTS = log_events.empty()

STREAM_ERRORS = (
    ijson.common.IncompleteJSONError,
    ijson.common.JSONError,
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    OSError,
    ValueError,
)


class LogOutage(ApiError):
    """Many job logs in a row failed with 5xx or network errors: the log service is down, fail the run."""


class _Streak:
    """Consecutive job logs that failed with a server or network error (reset by any other outcome)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self._lock = threading.Lock()

    def record(self, transport_failure: bool) -> None:
        with self._lock:
            self.count = self.count + 1 if transport_failure else 0
            if self.count >= self.limit:
                raise LogOutage(
                    f"{self.count} job logs in a row failed with server or network errors: the log service "
                    "looks down; the run stops and the next run fetches them again"
                )


def _log_row(
    job: dict[str, Any], outcome: str, source: str | None, message: str | None = None
) -> dict[str, Any]:
    return {
        "attempts": int(job.get("attempts") or 0) + 1,
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
    body: DeadlineReader, job_id: str, cap: int, tail: int | None = None
) -> tuple[pa.Table, int, int, bool]:
    """Stream-parse `{"events": [...]}`; returns (stored events as Arrow, event count, output bytes, truncated).

    Head (`tail` None): events are stored until their output passes `cap`. Tail: a window of the last events
    whose output passes `tail` (the oldest is dropped while the rest still pass it), so at most `tail` bytes
    plus one event are held; `seq` stays the event's index in the whole log. The events become Arrow
    columns in log_events.py (no per-event row dict)."""
    stored = log_events.EventBuffer(job_id)
    window: deque[tuple[int, int, dict[str, Any]]] = deque()  # (output bytes, seq, raw event)
    held = 0  # output bytes in `window`
    count = size = 0
    truncated = False
    for event in ijson.items(body, "events.item", use_float=True):
        if not isinstance(event, dict):
            event = {}
        length = log_events.output_bytes(event)
        size += length
        if tail is not None:
            window.append((length, count, event))
            held += length
            while held - window[0][0] > tail:
                held -= window.popleft()[0]
        elif not truncated:
            stored.add(event, count, length)
            if size > cap:
                truncated = True
        count += 1
    if tail is not None:
        for length, seq, event in window:
            stored.add(event, seq, length)
        truncated = size > tail
    return stored.table(), count, size, truncated


def _whole_events(body: bytes, job_id: str, cap: int, tail: int | None) -> tuple[pa.Table, int, int, bool]:
    """`_read_events` of a body held whole, in Arrow (log_events.whole_log): the same events kept (the cap's
    head up to the event that passes it, or the tail's window), counts and truncation."""
    events, lengths = log_events.whole_log(body, job_id)
    count = len(events)
    if not count:
        return events, 0, 0, False
    cumulative = pc.cumulative_sum(lengths)
    size = cumulative[-1].as_py()
    if tail is None:
        if size <= cap:
            return events, count, size, False
        keep = pc.index(pc.greater(cumulative, cap), True).as_py() + 1
        return events.slice(0, keep), count, size, True
    # the window: from the first event after which at most `tail` bytes follow (the streaming loop's pops)
    start = pc.index(pc.greater_equal(cumulative, size - tail), True).as_py()
    return events.slice(start), count, size, size > tail


# A body up to this size is read whole before it is parsed, and parsed under `_PARSE_LOCK`: one log parses at
# a time while the other workers wait on the network. Parsing holds the GIL (ijson's events and to_batch were
# Python; orjson and pyarrow's conversion of Python objects hold it too), so concurrent parses
# only took turns every switch interval with their caches cold: 8 workers spent 1.2 s of CPU on the logs
# that one parses in 0.75 s (BENCHMARKS.md, "Third pass"). A bigger body is parsed as it streams (its memory
# is bounded by the cap, not by the body), outside the lock. At most max_concurrency bodies are held whole.
WHOLE_BODY_BYTES = 1024 * 1024
_PARSE_LOCK = threading.Lock()


class _Replay:
    """The chunks already read from a body, then (when it was not read to its end) the rest of it."""

    def __init__(self, chunks: list[bytes], rest: DeadlineReader | None) -> None:
        self._chunks = deque(chunks)
        self._rest = rest

    def read(self, size: int = 65536) -> bytes:
        if size == 0:  # ijson probes the type of the stream with read(0)
            return b""
        if self._chunks:
            return self._chunks.popleft()
        return self._rest.read(size) if self._rest is not None else b""


def _parse_body(
    body: DeadlineReader, job_id: str, cap: int, tail: int | None
) -> tuple[pa.Table, int, int, bool]:
    """`_read_events` of the body: a small one read whole first and parsed under `_PARSE_LOCK`."""
    chunks: list[bytes] = []
    held = 0
    while held <= WHOLE_BODY_BYTES:
        data = body.read(65536)
        if not data:
            with _PARSE_LOCK:
                return _whole_events(b"".join(chunks), job_id, cap, tail)
        chunks.append(data)
        held += len(data)
    return _read_events(_Replay(chunks, body), job_id, cap, tail)


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
    client: SemaphoreClient,
    job: dict[str, Any],
    log_max_bytes: int,
    streak: _Streak | None = None,
    log_tail_bytes: int | None = None,
) -> tuple[dict[str, Any], pa.Table]:
    """Fetch one job's log. Returns (job_logs row, job_log_events rows as Arrow).

    Outcomes: OK; NOT_FOUND (404 with the server's reason, e.g. the job never started); GONE (404 for a job
    the Jobs API no longer knows, `job["gone"]`); ERROR (a failure that retries did not fix: a persistent
    5xx, a body that never completes or parses, a 4xx from the self-hosted log server, a redirect to another
    host; `message` says why, with any `jwt` redacted). 401/403 from the API itself raise (the token is bad:
    every other request fails too), and so does an outage of the log service (`LogOutage`).
    """
    job_id = job["job_id"]
    attempts = client.max_attempts
    problems: list[str] = []
    transport = False  # the last failure was a 5xx or a network error (counts towards an outage)
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(client.max_retry_delay, client.backoff_factor * 2 ** (attempt - 1)))
        try:
            response, source = client.open_log(job_id)
        except ForeignRedirect as exc:
            return _done(streak, _log_row(job, "ERROR", "REDIRECT", str(exc)), NO_EVENTS)
        except ApiError as exc:  # dlt's send() already retried it (resets, timeouts, TLS)
            problems.append(str(exc))
            transport = True
            break
        with response:
            status = response.status_code
            if status == 404:
                if _cut_json_string(response):
                    problems.append("404 body cut off")
                    transport = True
                    continue
                reason = _short_body(response, 500) or "Not Found"
                return _done(
                    streak,
                    _log_row(job, "GONE" if job.get("gone") else "NOT_FOUND", source, reason),
                    NO_EVENTS,
                )
            if status in (401, 403) and source == "INLINE":
                raise client._error(requests.HTTPError(response=response), "GET", f"logs/{job_id}")
            if status >= 500:  # dlt's send() already retried it with back-off
                problems.append(f"answered {status} after {attempts} attempts")
                transport = True
                break
            if status != 200:
                message = redact_text(
                    f"{source.lower()} log fetch answered {status}: {_short_body(response)}"
                )
                return _done(streak, _log_row(job, "ERROR", source, message), NO_EVENTS)
            ends = getattr(response, "_semaphore_deadline", time.monotonic() + client.request_deadline)
            body = DeadlineReader(response, ends, repair_utf8=True)
            try:
                events, count, size, truncated = _parse_body(body, job_id, log_max_bytes, log_tail_bytes)
            except requests.exceptions.ReadTimeout:
                problems.append(
                    f"body not complete within {client.request_deadline:.0f} s (request_deadline)"
                )
                transport = True
                continue
            except requests.RequestException as exc:
                problems.append(f"body cut off ({type(exc).__name__})")
                transport = True
                continue
            except STREAM_ERRORS as exc:
                # the body arrived whole (the reader saw its end) but is not the JSON expected: the same
                # bytes fail the same way again, so three identical failures end the retries.
                problems.append(f"body is not a JSON log at byte {body.bytes_read} ({type(exc).__name__})")
                transport = False
                if len(problems) >= 3 and problems[-1] == problems[-2] == problems[-3]:
                    break
                continue
        row = _log_row(job, "OK", source)
        row.update(event_count=count, bytes=size, stored_event_count=len(events), truncated=truncated)
        return _done(streak, row, events)
    tried = len(problems)
    message = f"log of job {job_id} failed ({tried} attempt{'s' if tried != 1 else ''}): {problems[-1]}"
    row = _log_row(job, "ERROR", None, redact_text(message))
    if streak is not None:
        streak.record(transport)
    return row, NO_EVENTS


def _done(streak: _Streak | None, row: dict[str, Any], events: pa.Table) -> tuple[dict[str, Any], pa.Table]:
    if streak is not None:
        streak.record(False)
    return row, events


def new_streak(ctx: RunContext) -> _Streak:
    """One outage counter per run (shared by the chunks of a run)."""
    return _Streak(max(settings.LOG_OUTAGE_STREAK, 2 * ctx.max_concurrency))


def log_items(
    ctx: RunContext, jobs: list[dict[str, Any]], streak: _Streak | None = None
) -> Iterator[dict[str, Any]]:
    """Fetch the logs of `jobs` that the run's `log_policy` wants, in parallel (bounded), one item per job
    for the two log transformers."""

    jobs = log_policy.select(ctx.log_policy, jobs)
    streak = streak or new_streak(ctx)

    def one(job: dict[str, Any]) -> dict[str, Any]:
        row, events = fetch_log(ctx.client, job, ctx.log_max_bytes, streak, ctx.log_tail_bytes)
        return {"row": row, "events": events}

    yield from ctx.parallel_map(one, jobs)


LOG_BATCH_BYTES = 16 * 1024 * 1024  # stored output per batch handed to dlt
LOG_BATCH_JOBS = 200


def batched(items: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Group fetched logs so dlt gets few, large items (bounded by LOG_BATCH_BYTES of output)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for item in items:
        batch.append(item)
        size += item["events"].nbytes
        if size >= LOG_BATCH_BYTES or len(batch) >= LOG_BATCH_JOBS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
