"""Run one `bench.worker` task in its own subprocess against an in-process emulator, counting its requests.

Each task gets a fresh work dir (DuckDB file, dlt working dir, Dagster home) unless the caller passes one
back in (the incremental runs reuse the full load's dir: that is their state).
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.config import TOKEN
from bench.worker import CHECKPOINT

REPO = Path(__file__).resolve().parent.parent


class WorkerFailed(RuntimeError):
    """A measured subprocess failed: the harness (or the code it measures) is broken."""


@dataclass
class WorkDir:
    """Where one load keeps its DuckDB file, dlt working dir and Dagster home."""

    path: Path

    @classmethod
    def fresh(cls, root: Path, label: str) -> "WorkDir":
        return cls(Path(tempfile.mkdtemp(prefix=f"{label}-", dir=root)))

    @property
    def db_path(self) -> Path:
        return self.path / "bench.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        return self.path / "dlt_pipelines"

    @property
    def dagster_home(self) -> Path:
        return self.path / "dagster_home"


@dataclass
class WorkerRun:
    """What one subprocess measured, plus the emulator's request counts per phase."""

    result: dict[str, Any]
    requests: dict[str, dict[str, int]] = field(default_factory=dict)  # phase -> endpoint -> count
    rate: dict[str, list[int]] = field(default_factory=dict)  # phase -> requests answered in each second

    def phase_requests(self, phase: str) -> dict[str, int]:
        return self.requests.get(phase, {})

    def total(self, phase: str) -> int:
        return sum(self.phase_requests(phase).values())


class RateSampler:
    """Requests the emulator answered in each second of each phase (shows serial stretches of a load)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.phase = "setup"
        self.timeline: dict[str, list[int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rate-sampler", daemon=True)

    def start(self) -> "RateSampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last = 0
        while not self._stop.wait(1.0):
            total = self.server.total_requests
            delta = total - last if total >= last else total  # the counters were reset at a checkpoint
            last = total
            self.timeline.setdefault(self.phase, []).append(delta)


def worker_env(workdir: WorkDir, base_url: str | None) -> dict[str, str]:
    """The environment of a worker: isolated dlt/Dagster dirs, telemetry off, no inherited source config."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("SOURCES__", "DESTINATION__"))
    }
    workdir.dagster_home.mkdir(parents=True, exist_ok=True)
    env.update(
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        RUNTIME__DLTHUB_TELEMETRY="false",
        RUNTIME__LOG_LEVEL="WARNING",
        DLT_DATA_DIR=str(workdir.path / "dlt_data"),
        DESTINATION__DUCKDB__CREDENTIALS=str(workdir.db_path),
        DAGSTER_HOME=str(workdir.dagster_home),
    )
    if base_url:  # for code that reads dlt config (the Dagster layer)
        env.update(
            SOURCES__SEMAPHORE__BASE_URL=base_url,
            SOURCES__SEMAPHORE__API_TOKEN=TOKEN,
        )
    return env


def run_worker(
    kind: str,
    task: dict[str, Any],
    server: Any,
    workdir: WorkDir,
    timeout_s: float,
    extra_env: dict | None = None,
    kill_after_requests: int | None = None,
) -> WorkerRun:
    """Run `bench.worker` for `task`; the emulator `server` (or None) counts requests per checkpoint phase.
    `kill_after_requests`: SIGKILL the worker once the emulator has answered that many requests of its
    `load` phase (a killed first load); the run then returns with `result["killed_at_requests"]`."""
    base_url = server.base_url if server is not None else None
    task = {
        **task,
        "kind": kind,
        "token": TOKEN,
        "base_url": base_url,
        "db_path": str(workdir.db_path),
        "pipelines_dir": str(workdir.pipelines_dir),
        "result_path": str(workdir.path / f"{kind}.result.json"),
    }
    task_path = workdir.path / f"{kind}.task.json"
    task_path.write_text(json.dumps(task, default=str))
    result_path = Path(task["result_path"])
    result_path.unlink(missing_ok=True)
    stderr_path = workdir.path / f"{kind}.stderr.txt"
    env = worker_env(workdir, base_url) | (extra_env or {})
    requests: dict[str, dict[str, int]] = {}
    phase = "setup"
    if server is not None:
        server.reset_counts()
    sampler = RateSampler(server).start() if server is not None else None
    with stderr_path.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.worker", str(task_path)],
            cwd=workdir.path,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        timer = threading.Timer(timeout_s, proc.kill)
        timer.start()
        killed: list[int] = []
        watching = threading.Event()

        def watch() -> None:  # polls the emulator's counter: the kill lands within a few requests
            while proc.poll() is None:
                # every request the run's figures count: the API's and the artifact store's
                answered = sum(server.request_counts.values()) if watching.is_set() else 0
                if watching.is_set() and answered >= (kill_after_requests or 0):
                    killed.append(answered)
                    proc.kill()
                    return
                threading.Event().wait(0.002)

        if kill_after_requests is not None and server is not None:
            threading.Thread(target=watch, name="bench-killer", daemon=True).start()
        try:
            assert proc.stdout is not None and proc.stdin is not None
            for line in proc.stdout:
                if not line.startswith(CHECKPOINT):
                    continue
                if server is not None:
                    requests[phase] = dict(server.request_counts)
                    server.reset_counts()
                phase = line[len(CHECKPOINT) :].strip()
                if sampler is not None:
                    sampler.phase = phase
                if phase == "load":
                    watching.set()
                proc.stdin.write("go\n")
                proc.stdin.flush()
            code = proc.wait()
        finally:
            timer.cancel()
            if sampler is not None:
                sampler.stop()
    if server is not None:
        requests[phase] = dict(server.request_counts)
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    if killed:
        return WorkerRun(result={"killed_at_requests": killed[0]}, requests=requests)
    if code != 0 or "error" in result:
        tail = stderr_path.read_text()[-3000:].replace(TOKEN, "<token>")
        reason = result.get("error") or f"exit code {code} (killed after {timeout_s:.0f} s?)"
        raise WorkerFailed(f"bench task {kind!r} failed: {reason}\n--- stderr tail ---\n{tail}")
    return WorkerRun(result=result, requests=requests, rate=sampler.timeline if sampler is not None else {})
