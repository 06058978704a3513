"""What the checks verify, as data taken from docs/tables.md: keys, references, enum domains."""

from dataclasses import dataclass

PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "projects": ("id",),
    "workflows": ("wf_id",),
    "pipelines": ("ppl_id",),
    "blocks": ("block_id",),
    "jobs": ("job_id",),
    "promotions": ("ppl_id", "name", "triggered_at"),
    "job_logs": ("job_id",),
    "job_log_events": ("job_id", "seq"),
    "agent_types": ("name",),
    "agents": ("name", "snapshot_at"),
    "deployment_targets": ("id",),
    "deployments": ("id",),
    "artifact_retention_policies": ("project_id",),
    "schedules": ("id",),
}


@dataclass(frozen=True)
class Reference:
    """`child.column` must name an existing `parent.parent_column` (when not NULL)."""

    child: str
    column: str
    parent: str
    parent_column: str

    @property
    def name(self) -> str:
        return f"{self.child}_{self.column}_references_{self.parent}"


REFERENCES: tuple[Reference, ...] = (
    Reference("workflows", "project_id", "projects", "id"),
    Reference("pipelines", "wf_id", "workflows", "wf_id"),
    Reference("blocks", "ppl_id", "pipelines", "ppl_id"),
    Reference("jobs", "ppl_id", "pipelines", "ppl_id"),
    Reference("promotions", "ppl_id", "pipelines", "ppl_id"),
    Reference("job_logs", "job_id", "jobs", "job_id"),
    Reference("job_log_events", "job_id", "jobs", "job_id"),
    Reference("deployments", "target_id", "deployment_targets", "id"),
)

_PIPELINE_RESULTS = ("PASSED", "STOPPED", "CANCELED", "FAILED")
_REASONS = (
    "TEST",
    "MALFORMED",
    "STUCK",
    "USER",
    "INTERNAL",
    "STRATEGY",
    "FAST_FAILING",
    "DELETED",
    "TIMEOUT",
)
_WF_TRIGGERS = ("HOOK", "SCHEDULE", "API", "MANUAL_RUN")

ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "projects": {"visibility": ("PRIVATE", "PUBLIC")},
    "workflows": {"triggered_by": _WF_TRIGGERS},
    "pipelines": {
        "state": ("INITIALIZING", "PENDING", "QUEUING", "RUNNING", "STOPPING", "DONE"),
        "result": _PIPELINE_RESULTS,
        "result_reason": _REASONS,
        "queue__type": ("IMPLICIT", "USER_GENERATED"),
        "triggerer__wf_triggered_by": _WF_TRIGGERS,
        "triggerer__ppl_triggered_by": ("WORKFLOW", "PROMOTION", "AUTO_PROMOTION", "PARTIAL_RE_RUN"),
    },
    "blocks": {
        "state": ("WAITING", "RUNNING", "STOPPING", "DONE", "INITIALIZING"),
        "result": _PIPELINE_RESULTS,
        "result_reason": (*_REASONS, "SKIPPED"),
    },
    "jobs": {
        "state": ("PENDING", "QUEUED", "RUNNING", "FINISHED"),
        "result": ("PASSED", "FAILED", "STOPPED"),
    },
    "promotions": {"status": ("PROCESSING", "PASSED", "FAILED")},
    "job_logs": {"outcome": ("OK", "NOT_FOUND", "GONE", "ERROR"), "source": ("INLINE", "REDIRECT")},
    "job_log_events": {
        "event": ("JOB_STARTED", "CMD_STARTED", "CMD_OUTPUT", "CMD_FINISHED", "JOB_FINISHED"),
        "result": ("PASSED", "FAILED", "STOPPED"),
    },
    "agents": {"state": ("WAITING_FOR_JOB", "RUNNING_JOB")},
    "deployment_targets": {"state": ("SYNCING", "USABLE", "UNUSABLE", "CORDONED")},
    "deployments": {"state": ("PENDING", "STARTED", "FAILED")},
}

# (table, [timestamp columns in the order they must happen]).
TIMESTAMP_ORDERS: dict[str, tuple[str, ...]] = {
    "pipelines": ("created_at", "running_at", "done_at"),
    "jobs": ("create_time", "start_time", "finish_time"),
}

REDACTED = "<redacted>"
