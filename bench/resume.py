"""The resume section: a first load committed in slices, SIGKILLed at 80% of its requests, then run again.

`resume_refetch_ratio` = requests of the run after the kill / requests of an uninterrupted first load of the
same world with the same settings (issue 12 target <= 0.25: at best 0.2, the part never fetched). Beside it:
the same ratio with the default `slice_pipelines` (one commit at this scale: the whole load is fetched
again), and what slicing costs, the wall of the sliced first load over the one-commit load, side by side.
Both end with the same rows as the uninterrupted load (agents aside: a snapshot per run).
"""

from typing import Any

from bench.harness import WorkDir


def _rows(run: Any) -> dict[str, int]:
    return {t: n for t, n in run.result.get("rows", {}).items() if t not in ("agents", "agent_types")}


def _killed_then_resumed(bench: Any, server: Any, args: dict, whole: int) -> dict[str, Any]:
    workdir = WorkDir.fresh(bench.root, "resume")
    kill_at = int(bench.plan.resume_kill_at * whole)
    killed, _ = bench.run("ours", {"source_args": args}, server, workdir, kill_after_requests=kill_at)
    resumed, _ = bench.run("ours", {"source_args": args}, server, workdir)
    return {
        "killed_at_requests": killed.result["killed_at_requests"],
        "resumed_requests": resumed.total("load"),
        "resumed_requests_by_endpoint": dict(sorted(resumed.phase_requests("load").items())),
        "resumed_wall_s": round(resumed.result["wall_s"], 2),
        "resumed_commits": resumed.result.get("commits"),
        "ratio": round(resumed.total("load") / whole, 4),
        "rows": _rows(resumed),
    }


def section_resume(bench: Any) -> None:
    assert bench.world is not None
    from semaphore_dagster.semaphore import settings

    sliced_args = {**bench.source_args(bench.world), "slice_pipelines": bench.plan.resume_slice_pipelines}
    default_args = bench.source_args(bench.world)
    out: dict[str, Any] = {"kill_at": bench.plan.resume_kill_at, "latency_ms": 0}
    with bench.serve(bench.world, 0) as server:
        whole_default, _ = bench.run("ours", {"source_args": default_args}, server)
        whole_sliced, _ = bench.run("ours", {"source_args": sliced_args}, server)
        for label, args, whole in (
            ("sliced", sliced_args, whole_sliced),
            ("default", default_args, whole_default),
        ):
            total = whole.total("load")
            entry = _killed_then_resumed(bench, server, args, total)
            entry.update(
                slice_pipelines=args.get("slice_pipelines", settings.DEFAULT_SLICE_PIPELINES),
                whole_requests=total,
                whole_wall_s=round(whole.result["wall_s"], 2),
                whole_commits=whole.result.get("commits"),
                rows_equal_whole=entry["rows"] == _rows(whole),
            )
            out[label] = entry
    out["sliced_vs_one_commit_wall"] = round(
        whole_sliced.result["wall_s"] / whole_default.result["wall_s"], 3
    )
    bench.results["resume"] = out
    bench.results["resume_refetch_ratio"] = out["sliced"]["ratio"]
    bench.results["resume_refetch_ratio_default_slices"] = out["default"]["ratio"]
    bench.results["resume_slice_pipelines"] = out["sliced"]["slice_pipelines"]
