"""The Dagster code location `semaphore_dagster`: every folder of `semaphore_dagster/defs/` (loaded by
`dg.load_from_defs_folder`), plus the resources and the executor.

Loaded by `dg dev` / `dg check defs` (`[tool.dg]` in pyproject.toml), by `dagster dev` (workspace.yaml,
`[tool.dagster]`) and by `import semaphore_dagster.definitions` (`defs`). Importing it needs no Semaphore URL
or token: the resources resolve what is unset from dlt config when a run or a tick starts.
"""

from pathlib import Path

import dagster as dg

from semaphore_dagster.dagster_layer.settings import DagsterSettings, settings_override
from semaphore_dagster.resources import DestinationResource, SemaphoreResource

CODE_LOCATION = "semaphore_dagster"
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def default_resources(settings: DagsterSettings) -> dict[str, dg.ConfigurableResource]:
    """The resources the dlt way: what `.dlt/*.toml` and `SOURCES__SEMAPHORE__*` / `DESTINATION__*` say."""
    return {
        "semaphore": SemaphoreResource.from_env(),
        "destination": DestinationResource.from_env(settings.destination_kind),
    }


def build_definitions(
    settings: DagsterSettings | None = None, resources: dict[str, dg.ConfigurableResource] | None = None
) -> dg.Definitions:
    """The code location, built from `settings` (default: the environment's) with `resources` (default:
    `default_resources`; pass `semaphore=` and `destination=` resources to point it elsewhere)."""
    settings = settings or DagsterSettings.from_env()
    with settings_override(settings):
        folders = dg.load_from_defs_folder(path_within_project=PROJECT_ROOT)
    bound = {**default_resources(settings), **(resources or {})}
    # In-process executor: on 2-core machines one process per step costs ~2 s each.
    return dg.Definitions.merge(folders, dg.Definitions(resources=bound, executor=dg.in_process_executor))


defs = build_definitions()
