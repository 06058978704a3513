"""Job logs, generated lazily from a job's `JobLogSpec` (the events are never stored).

The same job always yields the same events (a private `random.Random(spec.seed)` walks them in order), so a
running job's log is a prefix of its finished log, and a 100 MB log streams without being built in memory.
"""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from semaphore_dagster.emulator.model import Job, JobLogSpec, to_s

NEVER_STARTED = "This job never started, so no logs were produced."

_WORDS = (
    "compile assets bundle install spec lint cache restore store upload docker build layer pull push migrate "
    "database schema test suite example passed failed pending module package resolve fetch checkout commit"
).split()
_ANSI = ("\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[36m")


@dataclass(frozen=True, slots=True)
class JobLog:
    """What `GET /logs/{job_id}` has for a job now.

    `error` set => the endpoint answers 404 with that message as a JSON string. Otherwise `events()` yields
    the already-encoded JSON objects (bytes, no separators) and `finished` says whether the log is complete
    (a running job's log keeps growing: `next` is an int in self-hosted mode).
    """

    job_id: str
    self_hosted: bool
    error: str | None
    finished: bool
    _job: Job | None = None
    _until: int | None = None  # unix seconds: only events up to this time (running jobs)

    def event_dicts(self) -> Iterator[dict]:
        if self.error is not None or self._job is None or self._job.log is None:
            return iter(())
        return _events(self._job, self._until)

    def events(self) -> Iterator[bytes]:
        for event in self.event_dicts():
            yield json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()

    def stats(self) -> tuple[int, int]:
        """(event count, UTF-8 bytes of all `output` text) of the log as served now."""
        count = size = 0
        for event in self.event_dicts():
            count += 1
            if "output" in event:
                size += len(event["output"].encode())
        return count, size


def job_log_for(job: Job, now: datetime) -> JobLog:
    if job.never_started_message:
        return JobLog(job.job_id, job.self_hosted, job.never_started_message, True)
    if job.start_time is None:  # pending or queued: nothing yet
        return JobLog(job.job_id, job.self_hosted, None, False)
    finished = job.state == "FINISHED"
    return JobLog(job.job_id, job.self_hosted, None, finished, job, None if finished else to_s(now))


@dataclass(frozen=True, slots=True)
class LogCommand:
    """One command of a job's log: its directive, exit code, output events and duration."""

    directive: str
    exit_code: int
    output_chunks: int
    seconds: int


def log_commands(rng: random.Random, job: Job, spec: JobLogSpec) -> list[LogCommand]:
    """The log's commands, with durations summing to the job's run time; a failed or stopped job's last
    command exits non-zero."""
    total = spec.seconds
    directives = ["Exporting environment variables", "Injecting Files", *job.commands]
    env_seconds = [min(total, 1), 0]
    rest = total - sum(env_seconds)
    weights = [rng.uniform(0.2, 1.0) for _ in job.commands]
    weights[-1] += 1.5
    shares = [int(rest * w / sum(weights)) for w in weights]
    shares[-1] += rest - sum(shares)
    extra = max(0, spec.events - 2 - 3 * len(directives))
    base, rest_chunks = divmod(extra, len(job.commands))
    chunks = [1, 1] + [1 + base] * len(job.commands)
    for i in rng.sample(range(len(job.commands)), rest_chunks):
        chunks[2 + i] += 1
    exit_codes = [0] * len(directives)
    if spec.result == "FAILED":
        exit_codes[-1] = rng.choice((1, 1, 1, 2, 127))
    elif spec.result == "STOPPED":
        exit_codes[-1] = 143
    seconds = env_seconds + shares
    return [LogCommand(*row) for row in zip(directives, exit_codes, chunks, seconds, strict=True)]


def _events(job: Job, until: int | None) -> Iterator[dict]:
    spec = job.log
    assert spec is not None and job.start_time is not None
    rng = random.Random(spec.seed)
    commands = log_commands(rng, job, spec)
    t = to_s(job.start_time)
    if until is not None and t > until:
        return
    yield {"event": "job_started", "timestamp": t}
    for cmd in commands:
        started = t
        if until is not None and started > until:
            return
        yield {"event": "cmd_started", "timestamp": started, "directive": cmd.directive}
        chunks = cmd.output_chunks
        if spec.huge_bytes and cmd is commands[-1]:
            chunks = max(1, spec.huge_bytes // max(1, spec.chunk_bytes) + 1)
        for i in range(chunks):
            ts = started + (cmd.seconds * (i + 1)) // (chunks + 1)
            if until is not None and ts > until:
                return
            yield {
                "event": "cmd_output",
                "timestamp": ts,
                "output": _chunk(rng, spec, cmd.directive, i, cmd.exit_code),
            }
        t = started + cmd.seconds
        if until is not None and t > until:
            return
        yield {
            "event": "cmd_finished",
            "timestamp": t,
            "directive": cmd.directive,
            "exit_code": cmd.exit_code,
            "started_at": started,
            "finished_at": t,
        }
        if cmd.exit_code != 0:
            break
    if until is not None:
        return  # a running job has no job_finished yet
    end = to_s(job.finish_time) if job.finish_time else t
    yield {"event": "job_finished", "timestamp": max(end, t), "result": spec.result.lower()}


def _line_pool(ansi: bool) -> tuple[str, ...]:
    """512 plausible output lines (fixed, seeded): chunks pick from them, so even 100 MB streams quickly."""
    rng = random.Random(1234 + ansi)
    lines = []
    for _ in range(512):
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 9))) + f" ({rng.randint(1, 999)}ms)"
        if ansi and rng.random() < 0.2:
            line = f"{rng.choice(_ANSI)}{line}\x1b[0m"
        if rng.random() < 0.01:
            line += " \ufffd"
        lines.append(line)
    return tuple(lines)


_POOLS = {False: _line_pool(False), True: _line_pool(True)}


def _chunk(rng: random.Random, spec: JobLogSpec, directive: str, i: int, exit_code: int) -> str:
    """About `spec.chunk_bytes` of plausible output: a few lines, now and then coloured or with U+FFFD."""
    if directive.startswith(("Exporting", "Injecting")):
        return f"{directive}\n"
    pool = _POOLS[spec.ansi]
    lines = [f"$ {directive}"] if i == 0 else []
    size = 0
    while size < spec.chunk_bytes:
        line = pool[rng.getrandbits(9)]
        lines.append(line)
        size += len(line) + 1
    if exit_code != 0 and rng.random() < 0.5:
        lines.append(f"\x1b[31mError: {rng.choice(_WORDS)} failed with exit code {exit_code}\x1b[0m")
    return "\n".join(lines) + "\n"
