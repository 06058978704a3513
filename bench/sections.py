"""The measured sections of the benchmark. Each adds its figures to `Bench.results` (the `--json` document).

Every load runs in its own subprocess (`bench.harness.run_worker`); the emulator runs in this process, so
its request counts are exact and its memory is not in the loads' peak RSS.
"""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.config import BENCH_NOW, MB, SEED, TARGETS, TOKEN, BenchPlan, incremental_budget
from bench.floor import UNCAPPED_PAGE_SIZE, floor_wall_s, request_floor
from bench.harness import WorkDir, WorkerRun, run_worker
from semaphore_dagster.emulator import EmulatorServer, World, WorldConfig

# The tables the seed-style loader loads: `ours_same_tables` loads only these, for the like-for-like ratios
# (ours also loads test results, people, secrets metadata, notifications and dashboards: about 6.5k more
# requests at small, one signed URL per job and one artifact download per report).
SEED_STYLE_TABLES = (
    "projects", "workflows", "pipelines", "blocks", "jobs", "promotions", "job_logs", "job_log_events",
    "agent_types", "agents", "deployment_targets", "deployments", "artifact_retention_policies", "schedules",
)  # fmt: skip

# Endpoints that cost one request per pipeline, job or log: an incremental run with nothing new makes none.
PER_ENTITY_ENDPOINTS = ("pipelines.describe", "jobs.describe", "logs.get", "logs.v1", "promotions.list")


def bench_now() -> datetime:
    """The world's clock: a fixed instant, so the same seed gives the same world on every run.

    Our source is told this is `now` (its `now` argument), so its windows (start date, lookback,
    `created_before`) see the world as they would at that moment; after the simulated hour, the world's
    clock and the source's `now` move together.
    """
    return BENCH_NOW


def our_concurrency_cap() -> int:
    """The source's default `max_concurrency` (the floor divides by it)."""
    from semaphore_dagster.semaphore import settings

    return int(settings.DEFAULT_MAX_CONCURRENCY)


@dataclass
class Bench:
    """The shared state of one benchmark run."""

    plan: BenchPlan
    root: Path  # temp dir holding every work dir
    results: dict[str, Any] = field(default_factory=dict)
    world: World | None = None
    tables: dict[str, list[dict]] = field(default_factory=dict)
    incremental_dir: WorkDir | None = None  # the full load whose state the incremental runs continue
    overhead_s: float | None = None

    @contextmanager
    def serve(self, world: World, latency_ms: int, **options: Any) -> Iterator[EmulatorServer]:
        with EmulatorServer(
            world, token=TOKEN, host="127.0.0.1", port=0, latency_ms=latency_ms, **options
        ) as server:
            yield server

    def source_args(self, world: World) -> dict[str, Any]:
        """Our source's arguments besides URL and token: the world's clock, a start date before it all."""
        start = world.now() - timedelta(days=world.config.days + 1)
        return {"start_date": start.date().isoformat(), "now": world.now().isoformat()}

    def run(
        self,
        kind: str,
        task: dict,
        server: Any,
        workdir: WorkDir | None = None,
        extra_env: dict | None = None,
        kill_after_requests: int | None = None,
    ) -> tuple[WorkerRun, WorkDir]:
        workdir = workdir or WorkDir.fresh(self.root, kind)
        run = run_worker(kind, task, server, workdir, self.plan.timeout_s, extra_env, kill_after_requests)
        return run, workdir


def _summary(run: WorkerRun, phase: str = "load") -> dict[str, Any]:
    by_endpoint = dict(sorted(run.phase_requests(phase).items()))
    return {
        "wall_s": round(run.result["wall_s"], 3),
        "requests": sum(by_endpoint.values()),
        "requests_by_endpoint": by_endpoint,
        "rows": run.result.get("rows", {}),
        "rows_total": sum(run.result.get("rows", {}).values()),
        # without dlt's nested child tables (`parent__child`), which only the seed-style loader creates
        "rows_top_level": sum(n for table, n in run.result.get("rows", {}).items() if "__" not in table),
        "rows_loaded": run.result.get("rows_loaded", {}),
        "peak_rss_mb": run.result["peak_rss_mb"]["self"],
        "peak_rss_children_mb": run.result["peak_rss_mb"]["children"],
        **({"phases_s": run.result["phases"]} if "phases" in run.result else {}),
        "requests_per_s": run.rate.get(phase, []),
    }


def section_world(bench: Bench) -> None:
    plan = bench.plan
    config = WorldConfig.preset(plan.world_scale, seed=SEED, now=bench_now(), **plan.world_knobs)
    started = time.perf_counter()
    bench.world = World.generate(config)
    bench.tables = bench.world.ground_truth()
    bench.results["world"] = {
        "scale": plan.world_scale,
        "seed": SEED,
        "knobs": plan.world_knobs,
        "now": bench.world.now().isoformat(),
        "generate_s": round(time.perf_counter() - started, 2),
        "rows": {table: len(rows) for table, rows in sorted(bench.tables.items())},
    }


def section_full_loads(bench: Bench) -> None:
    """Ours vs seed-style, full load of the same world, at each latency."""
    assert bench.world is not None
    out: dict[str, Any] = {}
    # The seed-style client follows a self-hosted log redirect as given; Semaphore's form (`https://` on the
    # server's host, no port) is unreachable on a loopback emulator, so here the redirect names the origin the
    # client used (our loader follows both forms: docs/api-behaviours.md).
    options = {"log_redirect_base": "client"} if bench.plan.seed_style else {}
    for latency in bench.plan.latencies_ms:
        with bench.serve(bench.world, latency, **options) as server:
            ours, ours_dir = bench.run("ours", {"source_args": bench.source_args(bench.world)}, server)
            entry: dict[str, Any] = {"ours": _summary(ours)}
            if latency == bench.plan.incremental_latency_ms:
                bench.incremental_dir = ours_dir
            # ours on the seed-style loader's tables: what the floor counts, and the like-for-like comparison
            task = {"source_args": bench.source_args(bench.world), "resources": list(SEED_STYLE_TABLES)}
            same, _ = bench.run("ours", task, server)
            entry["ours_same_tables"] = _summary(same)
            if bench.plan.seed_style:
                seed, _ = bench.run("seed", {}, server)
                entry["seed_style"] = _summary(seed)
                entry["ours_vs_seed_style"] = round(
                    entry["ours_same_tables"]["wall_s"] / entry["seed_style"]["wall_s"], 4
                )
                entry["all_tables_vs_seed_style"] = round(
                    entry["ours"]["wall_s"] / entry["seed_style"]["wall_s"], 4
                )
                entry["requests_ours_vs_seed_style"] = round(
                    entry["ours_same_tables"]["requests"] / max(1, entry["seed_style"]["requests"]), 4
                )
        out[str(latency)] = entry
    bench.results["full_load"] = out
    top = str(max(bench.plan.latencies_ms))
    bench.results["full_load_vs_seed_style"] = out[top].get("ours_vs_seed_style")
    bench.results["full_load_latency_ms"] = int(top)


def _floor_paths(tables: dict[str, list[dict]], floor: dict[str, int], samples: int) -> list[str]:
    """A sample of real request paths, drawn in the proportions of the floor's request mix."""
    m = UNCAPPED_PAGE_SIZE
    projects = [r["id"] for r in tables["projects"]]
    done = [r["ppl_id"] for r in tables["pipelines"] if r.get("state") == "DONE"] or [
        tables["pipelines"][0]["ppl_id"]
    ]
    switched = [
        r["ppl_id"] for r in tables["pipelines"] if r.get("switch_id") and r.get("state") == "DONE"
    ] or done
    logs = [
        r["job_id"] for r in tables["job_logs"] if r.get("outcome") == "OK" and r.get("source") == "INLINE"
    ]
    targets = [r["id"] for r in tables.get("deployment_targets", [])]
    api = "/api/v1alpha"
    makers = {
        "projects.list": lambda rng: f"{api}/projects",
        "workflows.list": lambda rng: (
            f"{api}/plumber-workflows?project_id={rng.choice(projects)}&page_size={m}"
        ),
        "pipelines.list": lambda rng: f"{api}/pipelines?project_id={rng.choice(projects)}&page_size={m}",
        "pipelines.describe": lambda rng: f"{api}/pipelines/{rng.choice(done)}?detailed=true",
        "promotions.list": lambda rng: f"{api}/promotions?pipeline_id={rng.choice(switched)}&page_size={m}",
        "jobs.list": lambda rng: f"{api}/jobs?states=FINISHED&page_size=30",
        "logs.get": lambda rng: f"{api}/logs/{rng.choice(logs)}",
        "agent_types.list": lambda rng: f"{api}/self_hosted_agent_types",
        "agents.list": lambda rng: f"{api}/agents",
        "deployment_targets.list": lambda rng: f"{api}/deployment_targets?project_id={rng.choice(projects)}",
        "deployment_targets.history": lambda rng: f"{api}/deployment_targets/{rng.choice(targets)}/history",
        "retention_policies.describe": lambda rng: (
            f"{api}/artifacts_retention_policies/{rng.choice(projects)}"
        ),
        "schedules.list": lambda rng: f"{api}/schedules?project_id={rng.choice(projects)}&page_size={m}",
    }
    # logs.v1 is the second half of a redirected logs.get: sampled as inline logs
    usable = {name: n for name, n in floor.items() if n and name in makers and (name != "logs.get" or logs)}
    if not targets:
        usable.pop("deployment_targets.history", None)
    rng = random.Random(SEED)
    names = rng.choices(list(usable), weights=list(usable.values()), k=samples)
    return [makers[name](rng) for name in names]


def section_floor(bench: Bench) -> None:
    """The request floor of the world and ours/floor at each latency."""
    assert bench.world is not None
    floor = request_floor(bench.tables)
    total = sum(floor.values())
    with bench.serve(bench.world, 0) as server:
        paths = _floor_paths(bench.tables, floor, bench.plan.overhead_samples)
        run, _ = bench.run("overhead", {"paths": paths}, server)
    bench.overhead_s = run.result["per_request_s"]
    cap = our_concurrency_cap()
    by_latency: dict[str, Any] = {}
    for latency in bench.plan.latencies_ms:
        wall = floor_wall_s(total, latency / 1000, bench.overhead_s, cap)
        loads = bench.results.get("full_load", {}).get(str(latency), {})
        ours = loads.get("ours_same_tables") or loads.get("ours")  # the floor counts the seed-style tables
        ideal_rate = cap / (latency / 1000 + bench.overhead_s)  # requests/s with the cap always busy
        slow = sum(1 for n in ours["requests_per_s"] if n < ideal_rate / 4) if ours else None
        by_latency[str(latency)] = {
            "floor_wall_s": round(wall, 3),
            "ideal_requests_per_s": round(ideal_rate, 1),
            # seconds of our load with under a quarter of that rate (serial listings, normalize, load)
            "ours_seconds_below_quarter_rate": slow,
            "ours_wall_s": ours["wall_s"] if ours else None,
            "ours_vs_floor": round(ours["wall_s"] / wall, 3) if ours and wall > 0 else None,
            "ours_requests_vs_floor": round(ours["requests"] / total, 3) if ours else None,
        }
    bench.results["floor"] = {
        "requests": total,
        "requests_by_endpoint": floor,
        "uncapped_page_size": UNCAPPED_PAGE_SIZE,
        "per_request_overhead_ms": round(bench.overhead_s * 1000, 3),
        "overhead_sample_requests": len(paths),
        "concurrency_cap": cap,
        "by_latency": by_latency,
    }
    bench.results["full_load_vs_floor"] = by_latency[str(max(bench.plan.latencies_ms))]["ours_vs_floor"]


def _incremental_summary(run: WorkerRun) -> dict[str, Any]:
    summary = _summary(run)
    per_entity = {k: v for k, v in summary["requests_by_endpoint"].items() if k in PER_ENTITY_ENDPOINTS}
    return {
        "wall_s": summary["wall_s"],
        "requests": summary["requests"],
        "requests_by_endpoint": summary["requests_by_endpoint"],
        "per_entity_requests": per_entity,
        "phases_s": summary.get("phases_s", {}),
        "rows_loaded": summary["rows_loaded"],
        "rows_loaded_total": sum(summary["rows_loaded"].values()),
        "peak_rss_mb": summary["peak_rss_mb"],
    }


def section_incremental(bench: Bench) -> None:
    """Our source again on the full load's state: nothing new, then after one simulated hour of live mode."""
    assert bench.world is not None
    workdir = bench.incremental_dir
    latency = bench.plan.incremental_latency_ms
    if workdir is None:  # no full load at this latency: make one (not measured here)
        with bench.serve(bench.world, latency) as server:
            _, workdir = bench.run("ours", {"source_args": bench.source_args(bench.world)}, server)
    with bench.serve(bench.world, latency) as server:
        nothing_new, _ = bench.run("ours", {"source_args": bench.source_args(bench.world)}, server, workdir)
    bench.world.advance(timedelta(hours=bench.plan.live_step_hours))
    with bench.serve(bench.world, latency) as server:
        after_hour, _ = bench.run("ours", {"source_args": bench.source_args(bench.world)}, server, workdir)
    projects = len(bench.tables["projects"])
    targets = len(bench.tables.get("deployment_targets", []))
    budget = incremental_budget(projects, targets)
    quiet = _incremental_summary(nothing_new)
    bench.results["incremental"] = {
        "latency_ms": latency,
        "nothing_new": quiet,
        "after_live_hour": _incremental_summary(after_hour),
        "live_step_hours": bench.plan.live_step_hours,
    }
    if bench.overhead_s is not None:  # the floor section measured the per-request overhead
        floor_s = floor_wall_s(quiet["requests"], latency / 1000, bench.overhead_s, our_concurrency_cap())
        bench.results["incremental"]["nothing_new"]["floor_wall_s"] = round(floor_s, 3)
        bench.results["incremental_vs_floor"] = round(quiet["wall_s"] / floor_s, 3) if floor_s else None
    bench.results["import_s"] = round(nothing_new.result.get("import_s", 0.0), 3)
    bench.results["incremental_requests"] = quiet["requests"]
    bench.results["incremental_budget"] = budget
    bench.results["incremental_per_entity_requests"] = sum(quiet["per_entity_requests"].values())


def _log_jobs(world: World, only: set[str] | None = None) -> list[dict[str, Any]]:
    """The (job_id, ppl_id, finish_time) of finished jobs, as `job_logs_source` takes them."""
    jobs = []
    with world.lock:
        for job in world.jobs.values():
            if job.state != "FINISHED" or (only is not None and job.job_id not in only):
                continue
            jobs.append(
                {"job_id": job.job_id, "ppl_id": job.ppl_id, "finish_time": job.finish_time.isoformat()}
            )
    return sorted(jobs, key=lambda j: j["job_id"])


def _warm_logs(server: EmulatorServer, jobs: list[dict[str, Any]]) -> None:
    """Fetch every job's log once (following the self-hosted redirect), so the emulator caches its body."""
    import requests

    session = requests.Session()
    for job in jobs:
        url = f"{server.base_url}/api/v1alpha/logs/{job['job_id']}"
        response = session.get(url, headers={"Authorization": f"Token {TOKEN}"}, allow_redirects=False)
        if response.status_code == 302:
            session.get(
                response.headers["location"]
                .replace("https://", "http://")
                .replace("//127.0.0.1/", f"//127.0.0.1:{server.port}/")
            )


def section_logs(bench: Bench) -> None:
    """Job logs: events/s into DuckDB at 0 ms; peak RSS loading one huge log."""
    plan = bench.plan
    world = World.generate(WorldConfig.preset("tiny", seed=SEED, now=bench_now(), **plan.log_world_knobs))
    jobs = _log_jobs(world)
    with bench.serve(world, 0) as server:
        cold, _ = bench.run("logs", {"jobs": jobs}, server)
    # the same logs again from an emulator that already rendered them (EmulatorServer(log_cache_bytes)): the
    # loader's rate, not the in-process emulator's log generation (about 75k events/s, BENCHMARKS.md)
    with bench.serve(world, 0, log_cache_bytes=512 * MB) as server:
        _warm_logs(server, jobs)
        run, _ = bench.run("logs", {"jobs": jobs}, server)
    throughput = {
        "jobs": len(jobs),
        "events": run.result["events"],
        "wall_s": round(run.result["wall_s"], 3),
        "events_per_s": round(run.result["events_per_s"]),
        "requests": run.total("load"),
        "peak_rss_mb": run.result["peak_rss_mb"]["self"],
        "phases_s": run.result["phases"],
        "world_knobs": plan.log_world_knobs,
        "cold_emulator": {
            "wall_s": round(cold.result["wall_s"], 3),
            "events_per_s": round(cold.result["events_per_s"]),
            "phases_s": cold.result["phases"],
        },
    }
    huge = World.generate(
        WorldConfig.preset(
            "tiny",
            seed=SEED,
            now=bench_now(),
            projects=1,
            days=1,
            pipelines_per_day=4.0,
            huge_log_bytes=plan.huge_log_bytes,
        )
    )
    huge_id = getattr(huge, "huge_log_job_id", None)
    if not huge_id:
        raise RuntimeError("the emulator generated no huge log (WorldConfig.huge_log_bytes)")
    huge_ids = {huge_id}
    huge_jobs = _log_jobs(huge, huge_ids)
    size_mb = plan.huge_log_bytes / MB
    budget = TARGETS.huge_log_rss_factor * size_mb + TARGETS.huge_log_rss_base_mb
    runs: dict[str, Any] = {}
    # stored in full (cap above the log: the worst case for memory, the headline), then with the default cap
    for label, args in (("stored_in_full", {"log_max_bytes": plan.huge_log_bytes * 2}), ("default_cap", {})):
        with bench.serve(huge, 0) as server:
            big, _ = bench.run("logs", {"jobs": huge_jobs, "source_args": args}, server)
        runs[label] = {
            "log_max_bytes": args.get("log_max_bytes", "default"),
            "events": big.result["events"],
            "wall_s": round(big.result["wall_s"], 3),
            "phases_s": big.result["phases"],
            "rss_before_load_mb": big.result["rss_before_load_mb"],
            "peak_rss_mb": big.result["peak_rss_mb"]["self"],
        }
    bench.results["job_logs"] = {
        "throughput": throughput,
        "huge_log": {"log_mb": round(size_mb, 1), "rss_budget_mb": budget, **runs["stored_in_full"]},
        "huge_log_default_cap": runs["default_cap"],
    }
    bench.results["log_events_per_s"] = throughput["events_per_s"]
    bench.results["log_events_per_s_cold_emulator"] = throughput["cold_emulator"]["events_per_s"]
    bench.results["log_100mb_peak_rss_mb"] = runs["stored_in_full"]["peak_rss_mb"]
    bench.results["log_100mb_peak_rss_mb_default_cap"] = runs["default_cap"]["peak_rss_mb"]
    bench.results["log_huge_mb"] = round(size_mb, 1)
