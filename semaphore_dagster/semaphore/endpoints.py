"""The endpoint table: for each table of docs/tables.md, its endpoint, pagination style, key and columns.

Column types are declared (dlt hints) so every contract column exists even when all its values are NULL, and
lists land as JSON columns. `enums` are UPPERCASE columns; `empty_is_null` are text columns where the API's
`""` means "none" (ID references and similar).
"""

from dataclasses import dataclass, field
from typing import Any

T, B, INT, TS, J = "text", "bool", "bigint", "timestamp", "json"


@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: tuple[str, ...]
    endpoint: str
    style: str  # A: page+link, B: page+x-has-more, C: body cursor, D: time cursor, none, derived
    columns: dict[str, str]
    enums: tuple[str, ...] = ()
    empty_is_null: tuple[str, ...] = ()
    write_disposition: str = "merge"
    extra: dict[str, Any] = field(default_factory=dict)
    # --- the rest of the table contract (one description per table, from which the Dagster asset specs,
    # the checks, the insights' inputs and docs/tables.md derive) ---
    # What one row is, in a sentence (asset description, docs).
    description: str = ""
    # Domain group: the Dagster asset group and the dlt pipeline that loads it derive from it.
    group: str = ""
    # Per-column descriptions (asset column schema, docs/tables.md); every column should have one.
    column_descriptions: dict[str, str] = field(default_factory=dict)
    # column -> (parent table, parent column): a non-NULL value must name an existing parent row.
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    # enum column -> its allowed UPPERCASE values (the checks' domain); columns listed in `enums`.
    enum_values: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def timestamps(self) -> tuple[str, ...]:
        return tuple(name for name, kind in self.columns.items() if kind == TS)

    def dlt_columns(self) -> dict[str, dict[str, Any]]:
        cols: dict[str, dict[str, Any]] = {}
        for name, kind in self.columns.items():
            hint: dict[str, Any] = {"data_type": kind, "nullable": name not in self.primary_key}
            if kind == TS:
                hint["timezone"] = True
                hint["precision"] = 6
            cols[name] = hint
        return cols


def _cols(spec: str, kind: str = T) -> dict[str, str]:
    return dict.fromkeys(spec.split(), kind)


TABLES: dict[str, TableSpec] = {}


def _add(spec: TableSpec) -> None:
    TABLES[spec.name] = spec


_add(
    TableSpec(
        "projects",
        ("id",),
        "GET /projects",
        "B",
        {
            **_cols("id name description org_id owner_id visibility"),
            "custom_permissions": B,
            **_cols("repository__url repository__name repository__owner repository__integration_type"),
            "repository__pipeline_file": T,
            **_cols("repository__run_on tasks debug_permissions attach_permissions", J),
        },
        enums=("visibility", "repository__integration_type", "repository__run_on"),
    )
)
_add(
    TableSpec(
        "workflows",
        ("wf_id",),
        "GET /plumber-workflows?project_id=",
        "A",
        {
            **_cols("wf_id initial_ppl_id project_id hook_id requester_id branch_id branch_name commit_sha"),
            "created_at": TS,
            **_cols("triggered_by rerun_of repository_id organization_id"),
        },
        enums=("triggered_by",),
        empty_is_null=("rerun_of",),
    )
)
_add(
    TableSpec(
        "pipelines",
        ("ppl_id",),
        "GET /pipelines?project_id= (created_after, done_after), GET /pipelines/{id}",
        "A",
        {
            **_cols(
                "ppl_id wf_id project_id name branch_name commit_sha commit_message working_directory "
                "yaml_file_name pipeline_file"
            ),
            **_cols("created_at pending_at queuing_at running_at stopping_at done_at", TS),
            **_cols(
                "state result result_reason terminate_request terminated_by hook_id branch_id "
                "error_description switch_id snapshot_id promotion_of partial_rerun_of partially_rerun_by "
                "compile_task_id"
            ),
            "with_after_task": B,
            **_cols(
                "after_task_id repository_id organization_id queue__queue_id queue__name queue__scope "
                "queue__type triggerer__wf_triggered_by triggerer__wf_triggerer_id "
                "triggerer__wf_triggerer_user_id triggerer__wf_triggerer_provider_login "
                "triggerer__ppl_triggered_by triggerer__ppl_triggerer_id triggerer__ppl_triggerer_user_id "
                "triggerer__workflow_rerun_of"
            ),
            "env_vars": J,
        },
        enums=(
            "state",
            "result",
            "result_reason",
            "queue__type",
            "triggerer__wf_triggered_by",
            "triggerer__ppl_triggered_by",
        ),
        empty_is_null=(
            "switch_id",
            "promotion_of",
            "partial_rerun_of",
            "partially_rerun_by",
            "snapshot_id",
            "compile_task_id",
            "after_task_id",
            "terminate_request",
            "terminated_by",
            "triggerer__ppl_triggerer_id",
            "triggerer__ppl_triggerer_user_id",
            "triggerer__workflow_rerun_of",
        ),
    )
)
_add(
    TableSpec(
        "blocks",
        ("block_id",),
        "GET /pipelines/{id}?detailed=true",
        "derived",
        _cols("block_id ppl_id name build_req_id state result result_reason error_description"),
        enums=("state", "result", "result_reason"),
    )
)
_add(
    TableSpec(
        "jobs",
        ("job_id",),
        "block jobs of the detailed describe + GET /jobs?states=FINISHED (or GET /jobs/{id})",
        "C",
        {
            **_cols("job_id ppl_id block_id name"),
            "index": INT,
            "project_id": T,
            **_cols("create_time update_time start_time finish_time", TS),
            **_cols("state result machine_type os_image agent_name agent_ip"),
            **_cols("commands secrets env_vars", J),
        },
        enums=("state", "result"),
        empty_is_null=("agent_name", "agent_ip"),
    )
)
_add(
    TableSpec(
        "promotions",
        ("ppl_id", "name", "triggered_at"),
        "GET /promotions?pipeline_id=",
        "A",
        {
            "ppl_id": T,
            "name": T,
            "triggered_at": TS,
            "triggered_by": T,
            "override": B,
            "status": T,
            "scheduled_at": TS,
            "scheduled_pipeline_id": T,
        },
        enums=("status",),
        empty_is_null=("scheduled_pipeline_id",),
    )
)
_add(
    TableSpec(
        "job_logs",
        ("job_id",),
        "GET /logs/{job_id}",
        "none",
        {
            "job_id": T,
            "ppl_id": T,
            "finish_time": TS,
            "outcome": T,
            "message": T,
            "event_count": INT,
            "bytes": INT,
            "stored_event_count": INT,
            "truncated": B,
            "source": T,
            "fetched_at": TS,
            "attempts": INT,
        },
    )
)
_add(
    TableSpec(
        "job_log_events",
        ("job_id", "seq"),
        "GET /logs/{job_id} (events)",
        "none",
        {
            "job_id": T,
            "seq": INT,
            "event": T,
            "timestamp": TS,
            "directive": T,
            "output": T,
            "exit_code": INT,
            "started_at": TS,
            "finished_at": TS,
            "result": T,
        },
        enums=("event", "result"),
    )
)
_add(
    TableSpec(
        "agent_types",
        ("name",),
        "GET /self_hosted_agent_types",
        "none",
        {
            "name": T,
            "create_time": TS,
            "update_time": TS,
            "agent_name_settings__assignment_origin": T,
            "agent_name_settings__release_after": INT,
            "agent_name_settings__aws__account_id": T,
            "agent_name_settings__aws__role_name_patterns": T,
            "total_agent_count": INT,
            "snapshot_at": TS,
        },
        enums=("agent_name_settings__assignment_origin",),
    )
)
_add(
    TableSpec(
        "agents",
        ("name", "snapshot_at"),
        "GET /agents",
        "C",
        {
            **_cols("name type"),
            "connected_at": TS,
            "disabled_at": TS,
            **_cols("version os arch hostname ip_address"),
            "pid": INT,
            "state": T,
            "snapshot_at": TS,
        },
        enums=("state",),
        # merge, not append: a load package resumed after a kill may run the agents job again, and an
        # append would add the same (name, snapshot_at) twice (docs/source.md, "Crash safety").
        write_disposition="merge",
    )
)
_add(
    TableSpec(
        "deployment_targets",
        ("id",),
        "GET /deployment_targets?project_id=",
        "none",
        {
            **_cols("id name description url organization_id project_id created_by"),
            "created_at": TS,
            "updated_by": T,
            "updated_at": TS,
            **_cols("state state_message"),
            **_cols("subject_rules object_rules", J),
            "active": B,
            **_cols("bookmark_parameter1 bookmark_parameter2 bookmark_parameter3 last_deployment_id"),
        },
        enums=("state",),
        empty_is_null=("last_deployment_id",),
    )
)
_add(
    TableSpec(
        "deployments",
        ("id",),
        "GET /deployment_targets/{id}/history",
        "D",
        {
            **_cols("id target_id target_name prev_pipeline_id pipeline_id triggered_by"),
            "triggered_at": TS,
            **_cols("state state_message switch_id"),
            "env_vars": J,
            "can_requester_rerun": B,
        },
        enums=("state",),
        empty_is_null=("prev_pipeline_id",),
    )
)
_add(
    TableSpec(
        "artifact_retention_policies",
        ("project_id",),
        "GET /artifacts_retention_policies/{project_id}",
        "none",
        {
            "project_id": T,
            **_cols(
                "project_level_retention_policies workflow_level_retention_policies "
                "job_level_retention_policies",
                J,
            ),
        },
    )
)
_add(
    TableSpec(
        "schedules",
        ("id",),
        "GET /schedules?project_id=",
        "A",
        {
            **_cols("id name project_id reference branch at pipeline_file requester_id"),
            **_cols("updated_at inserted_at pause_toggled_at", TS),
            **_cols("suspended paused recurring", B),
            "pause_toggled_by": T,
            "parameters": J,
            **_cols("description organization_id"),
        },
    )
)

CI_ACTIVITY = ("workflows", "pipelines", "blocks", "jobs", "promotions")
LOG_TABLES = ("job_logs", "job_log_events")
