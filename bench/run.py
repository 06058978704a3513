"""The benchmark: `uv run python bench/run.py [--quick] [--json PATH] [--only SECTION ...] [--keep]
[--scale large]`.

One process tree, one sitting, fixed seeds: the emulator serves in this process on 127.0.0.1, every measured
load runs in its own subprocess with a fresh DuckDB file and dlt working dir. See BENCHMARKS.md for what is
measured, the formulas and the latest figures. Exits non-zero when a section fails to run (a broken harness
or a broken loader), never because a target is missed.
"""

import argparse
import dataclasses
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `semaphore_dagster` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.config import FULL, QUICK  # noqa: E402
from bench.dagster_overhead import section_dagster, section_dagster_vs_bare  # noqa: E402
from bench.report import machine, markdown  # noqa: E402
from bench.resume import section_resume  # noqa: E402
from bench.scale import section_log_policy, section_scale  # noqa: E402
from bench.sections import (  # noqa: E402
    Bench,
    section_floor,
    section_full_loads,
    section_incremental,
    section_logs,
    section_world,
)

SECTIONS: dict[str, Callable[[Bench], None]] = {
    "world": section_world,
    "full_load": section_full_loads,
    "floor": section_floor,
    "incremental": section_incremental,
    "logs": section_logs,
    "dagster": section_dagster,
    "dagster_vs_bare": section_dagster_vs_bare,
    "scale": section_scale,
    "log_policy": section_log_policy,
    "resume": section_resume,
}
NEEDS_WORLD = {"full_load", "floor", "incremental", "dagster"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a tiny world at 0 ms: checks the harness, not the numbers"
    )
    parser.add_argument("--json", type=Path, help="write every figure to this JSON file")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[name for name in SECTIONS if name != "world"],
        help="run only these sections",
    )
    parser.add_argument(
        "--no-seed-style",
        action="store_true",
        help="skip the seed-style loader (about 10 min at 50 ms): the floor and incremental keys stay",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work dirs (DuckDB files, logs) for inspection"
    )
    parser.add_argument(
        "--scale",
        action="append",
        choices=["large"],
        default=[],
        help="also load this scale in the scale section (tiny, small and medium always run)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.no_seed_style:
        plan = dataclasses.replace(plan, seed_style=False)
    chosen = ["world"] + [
        name for name in SECTIONS if name != "world" and (not args.only or name in args.only)
    ]
    root = Path(tempfile.mkdtemp(prefix="semaphore-bench-"))
    bench = Bench(plan=plan, root=root)
    bench.results.update(plan=plan.name, machine=machine(), sections=chosen, extra_scales=args.scale)
    errors: dict[str, str] = {}
    started = time.perf_counter()
    for name in chosen:
        if name in NEEDS_WORLD and bench.world is None:
            errors[name] = "skipped: no world"
            continue
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        section_start = time.perf_counter()
        try:
            SECTIONS[name](bench)
        except Exception as error:  # keep going: the other sections still measure something
            traceback.print_exc()
            errors[name] = f"{type(error).__name__}: {error}"
        print(
            f"[bench] {name} done in {time.perf_counter() - section_start:.1f} s", file=sys.stderr, flush=True
        )
    bench.results["errors"] = errors
    bench.results["bench_wall_s"] = round(time.perf_counter() - started, 1)
    bench.results["work_dir"] = str(root) if args.keep else None
    print(markdown(bench.results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(bench.results, indent=2, default=str) + "\n")
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
