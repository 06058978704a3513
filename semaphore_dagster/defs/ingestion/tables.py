"""The catalog of Semaphore tables as Dagster sees them: asset key, group, upstream tables, description.

Dependencies follow the data (a pipeline belongs to a workflow, a job to a pipeline, ...), not dlt's
resource nesting: the translator's default would invent a phantom upstream key per resource.
"""

from dataclasses import dataclass

from dagster import AssetKey

from semaphore_dagster.defs.settings import (
    PIPELINE_CI,
    PIPELINE_DEPLOYMENTS,
    PIPELINE_FLEET,
    PIPELINE_LOGS,
    PIPELINE_ORG,
)

KEY_PREFIX = "semaphore"

GROUP_CI = "ci_activity"
GROUP_FLEET = "fleet"
GROUP_DEPLOYMENTS = "deployments"
GROUP_ORG = "organization"


@dataclass(frozen=True)
class TableInfo:
    name: str
    group: str
    pipeline: str  # the dlt pipeline (and Dagster multi-asset) that loads it
    upstream: tuple[str, ...]
    description: str

    @property
    def key(self) -> AssetKey:
        return table_key(self.name)


def table_key(table: str) -> AssetKey:
    return AssetKey([KEY_PREFIX, table])


TABLES: dict[str, TableInfo] = {
    t.name: t
    for t in (
        TableInfo(
            "projects", GROUP_ORG, PIPELINE_ORG, (), "Semaphore projects (full refresh, merged on id)."
        ),
        TableInfo(
            "schedules", GROUP_ORG, PIPELINE_ORG, ("projects",), "Periodic schedules (tasks) of each project."
        ),
        TableInfo(
            "artifact_retention_policies",
            GROUP_ORG,
            PIPELINE_ORG,
            ("projects",),
            "Artifact retention policies, one row per project.",
        ),
        TableInfo(
            "workflows",
            GROUP_CI,
            PIPELINE_CI,
            ("projects",),
            "Workflows (one per push, PR, schedule, API call).",
        ),
        TableInfo(
            "pipelines",
            GROUP_CI,
            PIPELINE_CI,
            ("workflows",),
            "Pipelines of each workflow with state, result and timings; updated until DONE.",
        ),
        TableInfo(
            "blocks",
            GROUP_CI,
            PIPELINE_CI,
            ("pipelines",),
            "Blocks of each finished pipeline (detailed describe).",
        ),
        TableInfo(
            "jobs",
            GROUP_CI,
            PIPELINE_CI,
            ("pipelines", "blocks"),
            "Jobs of each finished pipeline, with machine, agent and timings from the Jobs API.",
        ),
        TableInfo(
            "promotions",
            GROUP_CI,
            PIPELINE_CI,
            ("pipelines",),
            "Promotions triggered from each pipeline (re-listed over a sliding window).",
        ),
        TableInfo(
            "job_logs",
            GROUP_CI,
            PIPELINE_LOGS,
            ("jobs",),
            "One row per finished job: log outcome, sizes, truncation. Partitioned by UTC day of job finish.",
        ),
        TableInfo(
            "job_log_events",
            GROUP_CI,
            PIPELINE_LOGS,
            ("job_logs",),
            "The events of each job log (commands, output, exit codes). Partitioned with job_logs.",
        ),
        TableInfo(
            "agent_types",
            GROUP_FLEET,
            PIPELINE_FLEET,
            (),
            "Self-hosted agent types (registration tokens are never stored).",
        ),
        TableInfo(
            "agents",
            GROUP_FLEET,
            PIPELINE_FLEET,
            ("agent_types",),
            "Self-hosted agents: one snapshot per load (snapshot_at).",
        ),
        TableInfo(
            "deployment_targets",
            GROUP_DEPLOYMENTS,
            PIPELINE_DEPLOYMENTS,
            ("projects",),
            "Deployment targets (environments) of each project.",
        ),
        TableInfo(
            "deployments",
            GROUP_DEPLOYMENTS,
            PIPELINE_DEPLOYMENTS,
            ("deployment_targets",),
            "Deployment history of each target (parameter values redacted).",
        ),
    )
}


def tables_of_pipeline(pipeline_name: str) -> list[str]:
    return [t.name for t in TABLES.values() if t.pipeline == pipeline_name]


CI_ACTIVITY_TABLES = tables_of_pipeline(PIPELINE_CI)
LOG_TABLES = tables_of_pipeline(PIPELINE_LOGS)
# Loaded daily; projects is also loaded hourly with CI activity so a new project's workflows never arrive
# before it (the referential-integrity checks are blocking).
SLOWLY_CHANGING_TABLES = [
    t.name for t in TABLES.values() if t.pipeline in (PIPELINE_ORG, PIPELINE_FLEET, PIPELINE_DEPLOYMENTS)
]
