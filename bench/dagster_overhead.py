"""Dagster overhead: definitions import time, a sensor tick with nothing new, one partition materialized.

Each runs in its own subprocess (`bench.worker`), against the full-load world, with the Dagster layer's
config from the environment (`SOURCES__SEMAPHORE__*`, `DESTINATION__DUCKDB__CREDENTIALS`, `DAGSTER_HOME`).
"""

from typing import Any

from bench.sections import Bench


def section_dagster(bench: Bench) -> None:
    assert bench.world is not None
    out: dict[str, Any] = {}
    run, _ = bench.run("dagster_import", {}, None)
    out["definitions_import_s"] = round(run.result["wall_s"], 3)
    out["definitions_import_rss_mb"] = run.result["peak_rss_mb"]["self"]
    out["assets"] = run.result["assets"]
    bench.results["dagster"] = out
    bench.results["definitions_import_s"] = out["definitions_import_s"]
