"""The emulator in its own process, for the scale section: the loader's figures must not include the
emulator's CPU (at `large` it spends more than the loader), nor its memory.

    python -m bench.emulator_process <scale> <latency_ms>   # serves; one JSON command per stdin line

The parent talks to it through `EmulatorProcess`, which offers what `bench.harness.run_worker` uses of an
in-process `EmulatorServer`: `base_url`, `request_counts`, `total_requests`, `reset_counts()`, plus the
server process's own CPU seconds and peak RSS (`stats()`).
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def serve(scale: str, latency_ms: int) -> None:
    from bench.config import BENCH_NOW, SEED, TOKEN
    from semaphore_dagster.emulator import EmulatorServer, World, WorldConfig

    started = time.perf_counter()
    world = World.generate(WorldConfig.preset(scale, seed=SEED, now=BENCH_NOW))
    generate_s = time.perf_counter() - started
    with EmulatorServer(world, token=TOKEN, host="127.0.0.1", port=0, latency_ms=latency_ms) as server:
        size = {
            "pipelines": len(world.pipelines),
            "jobs": sum(len(list(p.jobs())) for p in world.pipelines.values()),
            "projects": len(world.projects),
        }
        print(json.dumps({"base_url": server.base_url, "generate_s": generate_s, "world": size}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "counts":
                answer: Any = server.request_counts
            elif command == "reset":
                server.reset_counts()
                answer = {}
            elif command == "stats":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                answer = {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}
            elif command == "quit":
                return
            else:
                answer = {"error": f"unknown command {command!r}"}
            print(json.dumps(answer), flush=True)


class EmulatorProcess:
    """A handle on `serve` running in a child process (see the module docstring)."""

    def __init__(self, scale: str, latency_ms: int = 0, timeout_s: float = 1800.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.emulator_process", scale, str(latency_ms)],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()
        timer = threading.Timer(timeout_s, self._proc.kill)
        timer.start()
        try:
            hello = json.loads(self._readline())
        finally:
            timer.cancel()
        self.base_url: str = hello["base_url"]
        self.generate_s: float = hello["generate_s"]
        self.world: dict[str, int] = hello["world"]

    def _readline(self) -> str:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process exited (code {self._proc.poll()})")
        return line

    def _ask(self, command: str) -> Any:
        with self._lock:
            assert self._proc.stdin is not None
            self._proc.stdin.write(command + "\n")
            self._proc.stdin.flush()
            return json.loads(self._readline())

    @property
    def request_counts(self) -> dict[str, int]:
        return self._ask("counts")

    @property
    def total_requests(self) -> int:
        return sum(self.request_counts.values())

    def reset_counts(self) -> None:
        self._ask("reset")

    def stats(self) -> dict[str, float]:
        return self._ask("stats")

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._ask("quit")
            except (RuntimeError, BrokenPipeError, ValueError):
                pass
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> "EmulatorProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    serve(sys.argv[1], int(sys.argv[2]))
