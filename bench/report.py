"""The benchmark's figures as a Markdown report: the machine, the targets table and the details."""

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from bench.config import TARGETS

PHASES = ("extract", "normalize", "load")
PACKAGES = ("dlt", "dagster", "dagster-dlt", "duckdb", "pyarrow", "requests")


def machine() -> dict[str, Any]:
    """Where and when the figures were measured."""
    meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo").read().splitlines() if ":" in line)
    mem_kb = int(meminfo.get("MemTotal", "0 kB").split()[0])
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "git_commit": commit,
    }


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def target_rows(r: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, verdict) for every target of issue 6."""
    rows = []
    lat = r.get("full_load_latency_ms")
    seed = r.get("full_load_vs_seed_style")
    rows.append(
        (
            f"full load at {lat} ms: ours / seed-style (wall, the seed-style tables)",
            _fmt(seed, 3),
            f"<= {TARGETS.vs_seed_style_at_50ms}",
            _verdict(None if seed is None else seed <= TARGETS.vs_seed_style_at_50ms),
        )
    )
    floor = r.get("full_load_vs_floor")
    rows.append(
        (
            f"full load at {lat} ms: ours / floor (wall, the seed-style tables)",
            _fmt(floor, 3),
            f"<= {TARGETS.vs_floor_at_50ms}",
            _verdict(None if floor is None else floor <= TARGETS.vs_floor_at_50ms),
        )
    )
    inc, budget = r.get("incremental_requests"), r.get("incremental_budget")
    rows.append(
        (
            "incremental, nothing new: requests",
            _fmt(inc),
            f"<= {_fmt(budget)} (budget)",
            _verdict(None if inc is None or budget is None else inc <= budget),
        )
    )
    per_entity = r.get("incremental_per_entity_requests")
    rows.append(
        (
            "incremental, nothing new: requests per pipeline/job/log",
            _fmt(per_entity),
            "0",
            _verdict(None if per_entity is None else per_entity == 0),
        )
    )
    eps = r.get("log_events_per_s")
    rows.append(
        (
            "job log events/s into DuckDB (0 ms)",
            _fmt(eps),
            f">= {TARGETS.log_events_per_s:,.0f}",
            _verdict(None if eps is None else eps >= TARGETS.log_events_per_s),
        )
    )
    rss, size = r.get("log_100mb_peak_rss_mb"), r.get("log_huge_mb")
    budget_mb = TARGETS.huge_log_rss_factor * size + TARGETS.huge_log_rss_base_mb if size else None
    rows.append(
        (
            f"peak RSS loading one {_fmt(size, 0)} MB log (MiB)",
            _fmt(rss, 0),
            f"<= {_fmt(budget_mb, 0)}",
            _verdict(None if rss is None or budget_mb is None else rss <= budget_mb),
        )
    )
    tick_req, tick_s = r.get("sensor_tick_requests"), r.get("sensor_tick_s")
    rows.append(
        (
            "sensor tick, nothing new: requests",
            _fmt(tick_req),
            f"<= {TARGETS.sensor_tick_requests}",
            _verdict(None if tick_req is None else tick_req <= TARGETS.sensor_tick_requests),
        )
    )
    rows.append(
        (
            "sensor tick, nothing new: seconds",
            _fmt(tick_s, 3),
            f"<= {TARGETS.sensor_tick_s}",
            _verdict(None if tick_s is None else tick_s <= TARGETS.sensor_tick_s),
        )
    )
    for label, key, target in (
        (
            "incremental, nothing new: wall / its requests' floor (50 ms)",
            "incremental_vs_floor",
            TARGETS.incremental_vs_floor,
        ),
        (
            "Dagster layer / bare load, every table (wall after imports)",
            "dagster_vs_bare_load",
            TARGETS.dagster_vs_bare_load,
        ),
    ):
        value = r.get(key)
        rows.append(
            (label, _fmt(value, 3), f"<= {target}", _verdict(None if value is None else value <= target))
        )
    resume = r.get("resume_refetch_ratio")
    rows.append(
        (
            f"requests after a kill at 80% of a first load / whole first load (slices of "
            f"{_fmt(r.get('resume_slice_pipelines'), 0)} pipelines)",
            _fmt(resume, 3),
            f"<= {TARGETS.resume_refetch_ratio}",
            _verdict(None if resume is None else resume <= TARGETS.resume_refetch_ratio),
        )
    )
    for label, key in (
        ("definitions import (s, no target)", "definitions_import_s"),
        ("one job-log partition materialized in-process (s, no target)", "partition_materialize_s"),
    ):
        rows.append((label, _fmt(r.get(key), 2), "", ""))
    return rows


def _table(header: tuple[str, ...], rows: list[tuple]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _load_rows(r: dict[str, Any]) -> list[tuple]:
    rows = []
    for latency, entry in r.get("full_load", {}).items():
        floor = r.get("floor", {}).get("by_latency", {}).get(latency, {})
        for who in ("ours", "ours_same_tables", "seed_style"):
            if who in entry:
                e = entry[who]
                rows.append(
                    (
                        f"{latency} ms",
                        who,
                        _fmt(e["wall_s"]),
                        _fmt(e["requests"]),
                        f"{_fmt(e['rows_top_level'])} ({_fmt(e['rows_total'])})",
                        _fmt(e["peak_rss_mb"], 0),
                        " / ".join(_fmt(e.get("phases_s", {}).get(f"{p}_s"), 1) for p in PHASES),
                    )
                )
        if floor:
            rows.append(
                (
                    f"{latency} ms",
                    "floor",
                    _fmt(floor["floor_wall_s"]),
                    _fmt(r["floor"]["requests"]),
                    "",
                    "",
                    "",
                )
            )
    return rows


def _endpoint_rows(r: dict[str, Any]) -> list[tuple]:
    loads = r.get("full_load", {})
    top = loads.get(str(r.get("full_load_latency_ms")), {})
    ours = top.get("ours", {}).get("requests_by_endpoint", {})
    seed = top.get("seed_style", {}).get("requests_by_endpoint", {})
    floor = r.get("floor", {}).get("requests_by_endpoint", {})
    inc = r.get("incremental", {})
    quiet = inc.get("nothing_new", {}).get("requests_by_endpoint", {})
    hour = inc.get("after_live_hour", {}).get("requests_by_endpoint", {})
    names = sorted(set(ours) | set(seed) | set(floor) | set(quiet) | set(hour))
    return [
        (
            name,
            _fmt(ours.get(name, 0)),
            _fmt(seed.get(name, 0)),
            _fmt(floor.get(name, 0)),
            _fmt(quiet.get(name, 0)),
            _fmt(hour.get(name, 0)),
        )
        for name in names
    ]


def markdown(r: dict[str, Any]) -> str:
    """The report printed at the end of a run (and pasted into BENCHMARKS.md)."""
    m = r.get("machine", {})
    lines = [
        f"Measured {m.get('date_utc')} on {m.get('nproc')} cores, {m.get('memory_gib')} GiB, Python {m.get('python')}"
        f" (load average at start {m.get('load_avg_at_start')}), commit {m.get('git_commit')}; plan `{r.get('plan')}`.",
        "",
        *_table(("figure", "value", "target", "verdict"), target_rows(r)),
        "",
        *_table(
            (
                "latency",
                "loader",
                "wall s",
                "requests",
                "rows (incl. nested tables)",
                "peak RSS MiB",
                "extract / normalize / load s",
            ),
            _load_rows(r),
        ),
        "",
        *_table(
            ("endpoint", "ours full", "seed-style full", "floor", "incr. nothing new", "incr. after 1 h"),
            _endpoint_rows(r),
        ),
    ]
    extra = []
    floor = r.get("floor")
    if floor:
        extra.append(
            f"Floor: {floor['requests']:,} requests, per-request overhead {floor['per_request_overhead_ms']} ms"
            f" (measured at 0 ms over {floor['overhead_sample_requests']} requests of the floor's mix),"
            f" concurrency cap {floor['concurrency_cap']}."
        )
    inc = r.get("incremental")
    if inc:
        for label, key in (("nothing new", "nothing_new"), ("after one simulated hour", "after_live_hour")):
            e = inc[key]
            extra.append(
                f"Incremental ({label}, {inc['latency_ms']} ms): {e['requests']} requests, {e['wall_s']} s,"
                f" {e['rows_loaded_total']} rows loaded."
            )
    logs = r.get("job_logs")
    if logs:
        t, h = logs["throughput"], logs["huge_log"]
        extra.append(
            f"Job logs: {t['events']:,} events of {t['jobs']} jobs in {t['wall_s']} s ({t['events_per_s']:,} events/s,"
            f" peak RSS {t['peak_rss_mb']:.0f} MiB); one {h['log_mb']} MB log: {h['events']:,} events in {h['wall_s']} s,"
            f" peak RSS {h['peak_rss_mb']:.0f} MiB (RSS before the load {h['rss_before_load_mb']:.0f} MiB)."
        )
    dag = r.get("dagster")
    if dag:
        extra.append(
            "Dagster: "
            + ", ".join(
                f"{key} {_fmt(value, 3)}" for key, value in dag.items() if not isinstance(value, dict)
            )
        )
    scale = r.get("scale")
    if scale:
        lines += [
            "",
            *_table(
                (
                    "scale (0 ms, emulator in its own process)",
                    "pipelines / jobs / log events",
                    "wall s (loader CPU s)",
                    "wall / CPU",
                    "requests",
                    "CPU ms / request",
                    "loader peak RSS MiB",
                    "emulator CPU s",
                ),
                [
                    (
                        name,
                        f"{e['world']['pipelines']:,} / {e['world']['jobs']:,} / {e['log_events']:,}",
                        f"{e['wall_s']} ({e['loader_cpu_s']})",
                        _fmt(e["wall_vs_cpu"], 2),
                        f"{e['requests']:,}",
                        _fmt(e["cpu_ms_per_request"], 2),
                        _fmt(e["peak_rss_mb"], 0),
                        _fmt(e["emulator_cpu_s"], 1),
                    )
                    for name, e in scale.items()
                ],
            ),
        ]
    errors = r.get("errors")
    if errors:
        extra.append(
            "Sections that failed: " + "; ".join(f"{k}: {v.splitlines()[0]}" for k, v in errors.items())
        )
    return "\n".join(lines + [""] + [f"- {line}" for line in extra]) + "\n"
