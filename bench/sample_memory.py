"""Where a first load's memory goes: one load of a scale at 0 ms in this process (the emulator in its own,
`bench.emulator_process`), RSS sampled every 50 ms, each dlt step (extract, normalize, load) of every commit
marked with the RSS it started at, its peak and Python's allocated blocks.

    uv run python bench/sample_memory.py large bench/results/sample-large.json   # about 30 min

Prints one line per step; the JSON holds the steps and every 20th sample. The scale section measures the
peak (`bench/scale.py`); this says in which step of which commit it happens.
"""

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SAMPLE_S = 0.05


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(scale: str, out: str) -> None:
    from dlt.pipeline.pipeline import Pipeline

    from bench.config import TOKEN
    from bench.emulator_process import EmulatorProcess
    from bench.scale import scale_source_args
    from semaphore_dagster.semaphore import load_all, make_pipeline, semaphore_source

    work = tempfile.mkdtemp(prefix=f"sample-{scale}-")
    os.environ["DESTINATION__DUCKDB__CREDENTIALS"] = os.path.join(work, "db.duckdb")
    marks: list[tuple[float, str, float, int]] = []
    samples: list[tuple[float, float]] = []
    for step in ("extract", "normalize", "load"):
        original = getattr(Pipeline, step)

        def marked(self: Any, *args: Any, _original: Any = original, _step: str = step, **kwargs: Any) -> Any:
            marks.append((time.perf_counter(), _step + "+", rss_mb(), sys.getallocatedblocks()))
            try:
                return _original(self, *args, **kwargs)
            finally:
                marks.append((time.perf_counter(), _step + "-", rss_mb(), sys.getallocatedblocks()))

        setattr(Pipeline, step, marked)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), rss_mb()))
            time.sleep(SAMPLE_S)

    with EmulatorProcess(scale, 0, timeout_s=7200) as emulator:
        pipeline = make_pipeline(pipelines_dir=os.path.join(work, "pipelines"))
        threading.Thread(target=sample, daemon=True).start()
        start = time.perf_counter()
        source = semaphore_source(base_url=emulator.base_url, api_token=TOKEN, **scale_source_args(scale))
        load_all(pipeline, source)
        wall = time.perf_counter() - start
    done.set()
    steps = []
    for (began, name, level, blocks), (ended, _, _, _) in zip(marks, marks[1:], strict=False):
        if name.endswith("+"):
            peak = max([r for t, r in samples if began <= t <= ended] or [level])
            steps.append(
                {
                    "step": name[:-1],
                    "t_s": round(began - start, 1),
                    "seconds": round(ended - began, 1),
                    "rss_start_mb": round(level),
                    "peak_mb": round(peak),
                    "python_blocks": blocks,
                }
            )
    Path(out).write_text(
        json.dumps({"scale": scale, "wall_s": wall, "steps": steps, "samples": samples[::20]})
    )
    for entry in steps:
        print(entry)
    print(f"wall {wall:.1f} s, peak {max(r for _, r in samples):.0f} MiB (sampled)")
    print(f"the loaded DuckDB file and dlt's packages (for a replay of a load step): {work}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python bench/sample_memory.py <tiny|small|medium|large> <out.json>")
    main(sys.argv[1], sys.argv[2])
