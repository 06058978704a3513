"""The scale section: a full first load of `tiny`, `small` and `medium` (and `large` with `--scale large`)
at 0 ms, the emulator in its own process (`bench.emulator_process`), the loader in another. Per scale: wall,
loader CPU, requests, loader peak RSS, and the emulator's own CPU; keys `medium_peak_rss_mb`,
`large_peak_rss_mb`, `medium_wall_vs_cpu` and `cpu_ms_per_request` (small) for BENCHMARKS.md.
"""

from datetime import timedelta
from typing import Any

from bench.config import BENCH_NOW
from bench.emulator_process import EmulatorProcess
from bench.harness import WorkDir, run_worker

SCALES = {"quick": ("tiny",), "full": ("tiny", "small", "medium")}


def scale_source_args(scale: str) -> dict[str, Any]:
    from semaphore_dagster.emulator import WorldConfig

    days = WorldConfig.preset(scale).days
    start = BENCH_NOW - timedelta(days=days + 1)
    return {"start_date": start.date().isoformat(), "now": BENCH_NOW.isoformat()}


def measure_scale(bench: Any, scale: str, source_args: dict | None = None) -> dict[str, Any]:
    """One full first load of `scale` at 0 ms (emulator and loader in their own processes)."""
    with EmulatorProcess(scale, 0, timeout_s=bench.plan.timeout_s) as emulator:
        before = emulator.stats()
        workdir = WorkDir.fresh(bench.root, f"scale-{scale}")
        args = {**scale_source_args(scale), **(source_args or {})}
        run = run_worker("ours", {"source_args": args}, emulator, workdir, bench.plan.timeout_s)
        after = emulator.stats()
    requests = run.total("load")
    wall, cpu = run.result["wall_s"], run.result["cpu_s"]
    return {
        "world": emulator.world,
        "wall_s": round(wall, 2),
        "loader_cpu_s": round(cpu, 2),
        "wall_vs_cpu": round(wall / cpu, 3) if cpu else None,
        "requests": requests,
        "cpu_ms_per_request": round(1000 * cpu / requests, 3) if requests else None,
        "peak_rss_mb": run.result["peak_rss_mb"]["self"],
        "emulator_cpu_s": round(after["cpu_s"] - before["cpu_s"], 2),
        "emulator_generate_s": round(emulator.generate_s, 1),
        "phases_s": run.result.get("phases", {}),
        "log_events": run.result.get("rows", {}).get("job_log_events", 0),
    }


def section_scale(bench: Any) -> None:
    scales = list(SCALES["quick" if bench.plan.name == "quick" else "full"])
    for extra in bench.results.get("extra_scales", []):
        if extra not in scales:
            scales.append(extra)
    out: dict[str, Any] = {}
    for scale in scales:
        out[scale] = measure_scale(bench, scale)
    bench.results["scale"] = out
    for scale in ("medium", "large"):
        if scale in out:
            bench.results[f"{scale}_peak_rss_mb"] = out[scale]["peak_rss_mb"]
    if "medium" in out:
        bench.results["medium_wall_vs_cpu"] = out["medium"]["wall_vs_cpu"]
    if "small" in out:
        bench.results["cpu_ms_per_request"] = out["small"]["cpu_ms_per_request"]


def section_log_policy(bench: Any) -> None:
    """Requests and wall of a full first load of `small` (tiny with --quick) at 0 ms under each log policy
    (and a 2,000-byte tail): fewer logs wanted, fewer requests."""
    scale = "tiny" if bench.plan.name == "quick" else "small"
    out: dict[str, Any] = {}
    for label, args in (
        ("all", {}),
        ("failed", {"log_policy": "failed"}),
        ("none", {"log_policy": "none"}),
        ("all_tail_2000", {"log_tail_bytes": 2000}),
    ):
        entry = measure_scale(bench, scale, args)
        out[label] = {
            k: entry[k] for k in ("wall_s", "loader_cpu_s", "requests", "peak_rss_mb", "log_events")
        }
    bench.results["log_policy"] = {"scale": scale, **out}
    base = out["all"]["requests"]
    bench.results["log_policy_failed_requests_ratio"] = round(out["failed"]["requests"] / base, 3)
    bench.results["log_policy_none_requests_ratio"] = round(out["none"]["requests"] / base, 3)
