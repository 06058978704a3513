"""The Dagster code location: `defs` merges the domain folders of `semaphore_dagster/defs/`.

Loaded by `workspace.yaml` / `dagster dev` from the project root. Importing it needs no Semaphore URL or
token; runs resolve them (and the DuckDB path) from dlt config when they start.
"""

import importlib

import dagster as dg
from dagster_dlt import DagsterDltResource

from semaphore_dagster.defs import checks, ingestion, job_logs, schedules, sensors
from semaphore_dagster.defs.settings import DagsterSettings

INSIGHTS_MODULE = "semaphore_dagster.defs.insights"


def insights_defs() -> dg.Definitions | None:
    """The insights room's `defs`, when that room has delivered it (its absence is not an error)."""
    try:
        module = importlib.import_module(INSIGHTS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and INSIGHTS_MODULE.startswith(exc.name):
            return None
        raise
    found = getattr(module, "defs", None)
    return found if isinstance(found, dg.Definitions) else None


def build_definitions(settings: DagsterSettings | None = None) -> dg.Definitions:
    settings = settings or DagsterSettings.from_env()
    parts = [folder.build_defs(settings) for folder in (ingestion, job_logs, checks, schedules, sensors)]
    extra = insights_defs()
    if extra is not None:
        parts.append(extra)
    resources: dict[str, object] = {"dlt": DagsterDltResource()}
    if not any("destination" in (part.resources or {}) for part in parts):
        # The insights read the destination resource; until the Dagster layer binds its own, the DuckDB
        # file the loader writes (resolved as the loader resolves it).
        from semaphore_dagster.defs.settings import duckdb_path
        from semaphore_dagster.resources import DestinationResource

        resources["destination"] = DestinationResource(duckdb_path=str(duckdb_path()))
    # In-process executor: on 2-core machines one process per step costs ~2 s each (stack-notes).
    parts.append(dg.Definitions(resources=resources, executor=dg.in_process_executor))
    return dg.Definitions.merge(*parts)


defs = build_definitions()
