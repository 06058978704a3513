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


def _describe(text: str) -> dict[str, str]:
    """`column: description` lines (indentation ignored) -> {column: description}."""
    out: dict[str, str] = {}
    for line in text.strip().splitlines():
        name, _, description = line.strip().partition(":")
        out[name.strip()] = description.strip()
    return out


# Enum domains shared by several columns (UPPERCASE, see docs/tables.md).
_WF_TRIGGERS = ("HOOK", "SCHEDULE", "API", "MANUAL_RUN")
_RESULTS = ("PASSED", "STOPPED", "CANCELED", "FAILED")
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
        group="organization",
        description="One row per Semaphore project of the organization (full refresh, merged on id).",
        column_descriptions=_describe("""
            id: project id (UUID)
            name: project name, unique in the organization
            description: free text set by the project's owners
            org_id: organization id
            owner_id: user id of the project owner
            visibility: who can see the project
            custom_permissions: true when the project uses custom role permissions
            repository__url: clone URL of the repository
            repository__name: repository name
            repository__owner: repository owner (user or organization on the git host)
            repository__integration_type: how Semaphore is connected to the git host
            repository__pipeline_file: initial pipeline file, e.g. .semaphore/semaphore.yml
            repository__run_on: events that start a workflow (list)
            tasks: the project's periodic tasks as the API gives them (list)
            debug_permissions: who may debug jobs (list)
            attach_permissions: who may attach to running jobs (list)
        """),
        enum_values={
            "visibility": ("PRIVATE", "PUBLIC"),
        },
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
        group="ci_activity",
        description="One row per workflow: what a push, pull request, schedule, API call or manual run started.",
        column_descriptions=_describe("""
            wf_id: workflow id
            initial_ppl_id: the first pipeline of the workflow
            project_id: the project the workflow ran in
            hook_id: the git hook that triggered it
            requester_id: user id of who (or what) requested it
            branch_id: Semaphore's id of the branch
            branch_name: git branch (or tag, pull request ref) name
            commit_sha: git commit the workflow ran on
            created_at: when the workflow was created (UTC)
            triggered_by: what started it
            rerun_of: the workflow this one re-runs (NULL when it is not a rerun)
            repository_id: Semaphore's id of the repository
            organization_id: organization id
        """),
        references={"project_id": ("projects", "id")},
        enum_values={"triggered_by": _WF_TRIGGERS},
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
        group="ci_activity",
        description="One row per pipeline run (the initial one and each promotion), with state, result and timings; updated until DONE.",
        column_descriptions=_describe("""
            ppl_id: pipeline id
            wf_id: the workflow it belongs to
            project_id: the project it ran in
            name: pipeline name from its YAML
            branch_name: git branch (or tag, pull request ref) name
            commit_sha: git commit it ran on
            commit_message: commit message of that commit
            working_directory: directory of the pipeline file, e.g. .semaphore
            yaml_file_name: file name of the pipeline, e.g. semaphore.yml
            pipeline_file: working_directory/yaml_file_name, e.g. .semaphore/semaphore.yml
            created_at: when the pipeline was created (UTC)
            pending_at: when it became PENDING (UTC)
            queuing_at: when it entered its queue (UTC)
            running_at: when it started running (UTC)
            stopping_at: when it was asked to stop (UTC)
            done_at: when it finished (UTC; NULL until DONE)
            state: lifecycle state
            result: outcome, NULL until DONE
            result_reason: why it has that result, NULL until DONE
            terminate_request: the stop request, when there was one
            terminated_by: who stopped it
            hook_id: the git hook that triggered it
            branch_id: Semaphore's id of the branch
            error_description: compile or initialization error text
            switch_id: the promotion switch of the pipeline
            snapshot_id: snapshot id (for snapshot builds)
            promotion_of: the pipeline this one was promoted from
            partial_rerun_of: the pipeline this one partially re-runs
            partially_rerun_by: the pipeline that partially re-ran this one
            compile_task_id: the task that compiled the YAML
            with_after_task: true when the pipeline has an after_pipeline task
            after_task_id: the after_pipeline task
            repository_id: Semaphore's id of the repository
            organization_id: organization id
            queue__queue_id: id of the queue it ran in
            queue__name: name of that queue
            queue__scope: scope of that queue (project or organization)
            queue__type: whether the queue is implicit or user-defined
            triggerer__wf_triggered_by: what started its workflow
            triggerer__wf_triggerer_id: id of what started its workflow
            triggerer__wf_triggerer_user_id: user who started its workflow
            triggerer__wf_triggerer_provider_login: git host login of that user
            triggerer__ppl_triggered_by: what started this pipeline within the workflow
            triggerer__ppl_triggerer_id: id of what started this pipeline
            triggerer__ppl_triggerer_user_id: user who started this pipeline
            triggerer__workflow_rerun_of: the workflow re-run by this pipeline's workflow
            env_vars: pipeline parameters as a list of name and value (not secrets)
        """),
        references={"wf_id": ("workflows", "wf_id")},
        enum_values={
            "state": ("INITIALIZING", "PENDING", "QUEUING", "RUNNING", "STOPPING", "DONE"),
            "result": _RESULTS,
            "result_reason": _REASONS,
            "queue__type": ("IMPLICIT", "USER_GENERATED"),
            "triggerer__wf_triggered_by": _WF_TRIGGERS,
            "triggerer__ppl_triggered_by": ("WORKFLOW", "PROMOTION", "AUTO_PROMOTION", "PARTIAL_RE_RUN"),
        },
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
        group="ci_activity",
        description="One row per block of each finished pipeline (from the pipeline's detailed describe).",
        column_descriptions=_describe("""
            block_id: block id
            ppl_id: the pipeline it belongs to
            name: block name from the pipeline YAML
            build_req_id: the build request that ran its jobs
            state: lifecycle state
            result: outcome of the block
            result_reason: why it has that result, NULL unless DONE
            error_description: error text, when the block failed to start
        """),
        references={"ppl_id": ("pipelines", "ppl_id")},
        enum_values={
            "state": ("WAITING", "RUNNING", "STOPPING", "DONE", "INITIALIZING"),
            "result": _RESULTS,
            "result_reason": (*_REASONS, "SKIPPED"),
        },
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
        group="ci_activity",
        description="One row per job of each finished pipeline, with machine, agent and timings from the Jobs API.",
        column_descriptions=_describe("""
            job_id: job id
            ppl_id: the pipeline it belongs to
            block_id: the block it belongs to
            name: job name from the pipeline YAML
            index: position of the job in its block (0-based)
            project_id: the project it ran in
            create_time: when the job was created (UTC)
            update_time: when the job was last updated (UTC)
            start_time: when it started running (UTC)
            finish_time: when it finished (UTC); the day of the job-log partition
            state: lifecycle state
            result: outcome, NULL while the Jobs API says NONE
            machine_type: machine type, or the agent type name (s1-...) of a self-hosted job
            os_image: OS image of the machine
            agent_name: the agent that ran it (NULL when unknown)
            agent_ip: that agent's IP address (NULL when unknown)
            commands: the job's commands (list)
            secrets: names of the secrets the job used (list; never values)
            env_vars: names of the job's environment variables (list; never values)
        """),
        references={"ppl_id": ("pipelines", "ppl_id"), "block_id": ("blocks", "block_id")},
        enum_values={
            "state": ("PENDING", "QUEUED", "RUNNING", "FINISHED"),
            "result": ("PASSED", "FAILED", "STOPPED"),
        },
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
        group="ci_activity",
        description="One row per promotion triggered from a pipeline (re-listed over a sliding window).",
        column_descriptions=_describe("""
            ppl_id: the pipeline promoted from
            name: promotion name from the pipeline YAML
            triggered_at: when it was triggered (UTC)
            triggered_by: who triggered it
            override: true when it was forced past a failing condition
            status: outcome of the promotion request
            scheduled_at: when the promoted pipeline was scheduled (UTC)
            scheduled_pipeline_id: the pipeline the promotion started (NULL when none)
        """),
        references={"ppl_id": ("pipelines", "ppl_id")},
        enum_values={"status": ("PROCESSING", "PASSED", "FAILED")},
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
        group="ci_activity",
        description="One row per finished job: how its log was fetched, its size and truncation. Partitioned by the UTC day the job finished.",
        column_descriptions=_describe("""
            job_id: the job
            ppl_id: the job's pipeline
            finish_time: the job's finish time (UTC): the day partition
            outcome: OK, NOT_FOUND (404 with the server's reason), GONE (404 for a job seen before) or ERROR (the fetch failed for good)
            message: why there is no log (NULL for OK)
            event_count: events in the log as served
            bytes: UTF-8 bytes of all output text of the log as served
            stored_event_count: events written to job_log_events
            truncated: true when the output went over log_max_bytes (later events not stored)
            source: INLINE (a cloud job's 200) or REDIRECT (a self-hosted job's 302)
            fetched_at: when the log was fetched (UTC)
            attempts: how many runs have tried to fetch this log (an ERROR is retried a bounded number of times)
        """),
        references={"job_id": ("jobs", "job_id")},
        enum_values={"outcome": ("OK", "NOT_FOUND", "GONE", "ERROR"), "source": ("INLINE", "REDIRECT")},
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
        group="ci_activity",
        description="One row per event of a job log (commands, output, exit codes). Partitioned with job_logs.",
        column_descriptions=_describe("""
            job_id: the job
            seq: 0-based position of the event in the log
            event: kind of event
            timestamp: when the event happened (UTC)
            directive: the command, for command events
            output: output text, for CMD_OUTPUT
            exit_code: the command's exit code, for CMD_FINISHED
            started_at: when the command started (UTC)
            finished_at: when the command finished (UTC)
            result: the job's result, on JOB_FINISHED
        """),
        references={"job_id": ("job_logs", "job_id")},
        enum_values={
            "event": ("JOB_STARTED", "CMD_STARTED", "CMD_OUTPUT", "CMD_FINISHED", "JOB_FINISHED"),
            "result": ("PASSED", "FAILED", "STOPPED"),
        },
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
        group="fleet",
        description="One row per self-hosted agent type (registration tokens are never stored).",
        column_descriptions=_describe("""
            name: agent type name (s1-...)
            create_time: when it was created (UTC)
            update_time: when it was last updated (UTC)
            agent_name_settings__assignment_origin: how its agents get their names
            agent_name_settings__release_after: seconds before a disconnected agent's name is released
            agent_name_settings__aws__account_id: AWS account allowed to register agents
            agent_name_settings__aws__role_name_patterns: AWS role name patterns allowed to register agents
            total_agent_count: agents of this type connected when loaded
            snapshot_at: when this row was loaded (UTC)
        """),
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
        group="fleet",
        description="Self-hosted agents: one snapshot of every connected agent per load (snapshot_at).",
        column_descriptions=_describe("""
            name: agent name
            type: its agent type name
            connected_at: when it connected (UTC)
            disabled_at: when it was disabled (UTC)
            version: agent software version
            os: operating system
            arch: CPU architecture
            hostname: host name of the machine
            ip_address: IP address of the machine
            pid: process id of the agent
            state: what it was doing at the snapshot
            snapshot_at: when this snapshot was loaded (UTC)
        """),
        references={"type": ("agent_types", "name")},
        enum_values={"state": ("WAITING_FOR_JOB", "RUNNING_JOB")},
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
        group="deployments",
        description="One row per deployment target (environment) of a project.",
        column_descriptions=_describe("""
            id: deployment target id
            name: target name, e.g. production
            description: free text
            url: URL of the environment
            organization_id: organization id
            project_id: the project it belongs to
            created_by: user who created it
            created_at: when it was created (UTC)
            updated_by: user who last changed it
            updated_at: when it was last changed (UTC)
            state: whether it can be deployed to
            state_message: why it is in that state
            subject_rules: who may deploy (list of rules)
            object_rules: which branches, tags or pull requests may be deployed (list of rules)
            active: true when deployments to it are enabled
            bookmark_parameter1: first parameter shown in its history
            bookmark_parameter2: second parameter shown in its history
            bookmark_parameter3: third parameter shown in its history
            last_deployment_id: its latest deployment (NULL when there is none)
        """),
        references={"project_id": ("projects", "id")},
        enum_values={"state": ("SYNCING", "USABLE", "UNUSABLE", "CORDONED")},
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
        group="deployments",
        description="One row per deployment in a target's history (parameter values redacted).",
        column_descriptions=_describe("""
            id: deployment id
            target_id: the deployment target
            target_name: that target's name
            prev_pipeline_id: the pipeline deployed before (NULL when none)
            pipeline_id: the pipeline this deployment started
            triggered_by: who triggered it
            triggered_at: when it was triggered (UTC)
            state: outcome of the deployment request
            state_message: why it has that state
            switch_id: the promotion switch it came from
            env_vars: its parameters as a list of name and value, value redacted by default
            can_requester_rerun: true when its requester may re-run it
        """),
        references={"target_id": ("deployment_targets", "id")},
        enum_values={"state": ("PENDING", "STARTED", "FAILED")},
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
        group="organization",
        description="One row per project: how long its artifacts are kept.",
        column_descriptions=_describe("""
            project_id: the project
            project_level_retention_policies: rules for project artifacts (list of selector and age)
            workflow_level_retention_policies: rules for workflow artifacts (list of selector and age)
            job_level_retention_policies: rules for job artifacts (list of selector and age)
        """),
        references={"project_id": ("projects", "id")},
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
        group="organization",
        description="One row per periodic schedule (task) of a project.",
        column_descriptions=_describe("""
            id: schedule id
            name: schedule name
            project_id: the project it belongs to
            reference: git reference it runs on
            branch: git branch it runs on
            at: cron expression of when it runs
            pipeline_file: the pipeline file it starts
            requester_id: user it runs as
            updated_at: when it was last changed (UTC)
            inserted_at: when it was created (UTC)
            pause_toggled_at: when it was last paused or resumed (UTC)
            suspended: true when Semaphore suspended it
            paused: true when someone paused it
            recurring: true for a cron schedule, false for a run-once task
            pause_toggled_by: who last paused or resumed it
            parameters: its parameters (list)
            description: free text
            organization_id: organization id
        """),
        references={"project_id": ("projects", "id")},
    )
)

CI_ACTIVITY = ("workflows", "pipelines", "blocks", "jobs", "promotions")
LOG_TABLES = ("job_logs", "job_log_events")


# --- test results, people and access, secrets metadata, notifications, dashboards ---
D = "double"
TEST_STATES = ("PASSED", "FAILED", "ERROR", "SKIPPED", "DISABLED")
REPORT_OUTCOMES = ("OK", "NOT_FOUND", "FEATURE_DISABLED", "ERROR")
_COUNTS = {
    "total": "tests in the report (every state)",
    "passed": "tests that passed",
    "failed": "tests that failed (an assertion: `<failure>`)",
    "errors": "tests that errored (`<error>`)",
    "skipped": "tests skipped",
    "disabled": "tests disabled",
    "duration_seconds": "sum of the tests' durations, seconds (the CLI's nanoseconds / 1e9)",
}
_COUNT_TYPES = {
    **dict.fromkeys(("total", "passed", "failed", "errors", "skipped", "disabled"), INT),
    "duration_seconds": D,
}

_add(
    TableSpec(
        "test_reports",
        ("job_id",),
        "GET /artifacts/signed_url?scope=jobs&scope_id={job}&path=test-results/junit.json + the signed URL",
        "none",
        {
            **_cols("job_id ppl_id project_id"),
            "finish_time": TS,
            **_cols("source_job_id outcome message file"),
            "compressed": B,
            "bytes": INT,
            "report_count": INT,
            "frameworks": J,
            "status": T,
            **_COUNT_TYPES,
            "fetched_at": TS,
        },
        enums=("outcome", "status"),
        empty_is_null=("source_job_id",),
        description="One row per finished job of a DONE pipeline: the job's test report (the test-results CLI's "
        "junit.json), or why there is none.",
        group="test_results",
        column_descriptions={
            "job_id": "the job asked about",
            "ppl_id": "its pipeline",
            "project_id": "its project",
            "finish_time": "the job's finish time (the day partition)",
            "source_job_id": "for a job reused from an earlier pipeline (partial re-run), the job whose report it "
            "has; NULL otherwise",
            "outcome": "OK, NOT_FOUND (no report: the job did not publish one), FEATURE_DISABLED (the "
            "organization has no artifacts API), ERROR (the fetch failed for good; message says why)",
            "message": "the server's reason for NOT_FOUND / FEATURE_DISABLED / ERROR; NULL for OK",
            "file": "the artifact path the report came from (test-results/junit.json), NULL unless OK",
            "compressed": "the file was gzip bytes (sniffed by its magic bytes)",
            "bytes": "size of the file as stored (compressed size when gzip)",
            "report_count": "testResults entries (one per parsed input / framework)",
            "frameworks": "sorted list of the CLI parser names (rspec, mocha, golang, exunit, generic, ...)",
            "status": "SUCCESS, or ERROR when the CLI failed to parse an input (testResults.status)",
            **_COUNTS,
            "fetched_at": "when the loader read it",
        },
        references={
            "job_id": ("jobs", "job_id"),
            "ppl_id": ("pipelines", "ppl_id"),
            "project_id": ("projects", "id"),
            "source_job_id": ("jobs", "job_id"),
        },
        enum_values={"outcome": REPORT_OUTCOMES, "status": ("SUCCESS", "ERROR")},
        extra={"partitioned": "finish_time"},
    )
)
_add(
    TableSpec(
        "test_suites",
        ("job_id", "suite_id"),
        "the suites of test_reports' junit.json",
        "derived",
        {
            **_cols("job_id ppl_id suite_id report_id report_name framework name"),
            **_cols("is_skipped is_disabled", B),
            **_cols("timestamp hostname package"),
            "properties": J,
            **_COUNT_TYPES,
        },
        description="One row per test suite of a job's report (the job that ran it: a reused job's suites are "
        "its source job's).",
        group="test_results",
        column_descriptions={
            "job_id": "the job that published the report",
            "ppl_id": "that job's pipeline",
            "suite_id": "the CLI's stable suite id (UUIDv3 of the report id and the suite name)",
            "report_id": "the CLI's stable testResults id (UUIDv3 of name + framework)",
            "report_name": "testResults name (e.g. 'Rspec Suite')",
            "framework": "the CLI parser that read it",
            "name": "suite name",
            "is_skipped": "the suite was skipped",
            "is_disabled": "the suite was disabled",
            "timestamp": "the suite's XML timestamp attribute, verbatim (often ISO-8601; NULL when empty)",
            "hostname": "XML hostname attribute (NULL when empty)",
            "package": "XML package attribute (NULL when empty)",
            "properties": "XML properties as a JSON object (NULL when none)",
            **_COUNTS,
        },
        references={"job_id": ("jobs", "job_id"), "ppl_id": ("pipelines", "ppl_id")},
        extra={"partitioned": "finish_time"},
    )
)
_add(
    TableSpec(
        "test_cases",
        ("job_id", "test_id"),
        "the tests of test_reports' junit.json",
        "derived",
        {
            **_cols("job_id ppl_id suite_id test_id file classname package name state"),
            "duration_seconds": D,
            **_cols("failure_message failure_type"),
            "message_truncated": B,
        },
        enums=("state",),
        description="One row per test of a job's report. test_id is stable across runs: the same test in "
        "another run (or re-run of the same commit) has the same id.",
        group="test_results",
        column_descriptions={
            "job_id": "the job that ran it",
            "ppl_id": "that job's pipeline (join pipelines for commit, branch)",
            "suite_id": "its suite (test_suites)",
            "test_id": "the CLI's stable test id (UUIDv3 of suite id and id.name.classname.package.file)",
            "file": "test file (NULL when the XML had none)",
            "classname": "XML classname (NULL when empty)",
            "package": "XML package (NULL when empty)",
            "name": "test name",
            "state": "PASSED, FAILED, ERROR, SKIPPED or DISABLED",
            "duration_seconds": "duration in seconds",
            "failure_message": "message of the failure or error, cut at test_message_max_chars (bodies and "
            "system output are never stored: jobs print secrets there)",
            "failure_type": "type of the failure or error (e.g. AssertionError)",
            "message_truncated": "failure_message was cut at the cap",
        },
        references={"job_id": ("jobs", "job_id"), "ppl_id": ("pipelines", "ppl_id")},
        enum_values={"state": TEST_STATES},
        extra={"partitioned": "finish_time"},
    )
)
_add(
    TableSpec(
        "flaky_tests",
        ("project_id", "test_id"),
        "GET /projects/{id}/test_results/flaky_tests (feature-gated; SaaS only)",
        "A",
        {
            **_cols("project_id test_id test_name test_group test_runner test_file test_suite"),
            "pass_rate": INT,
            "labels": J,
            "disruptions_count": INT,
            **_cols("latest_disruption_hash latest_disruption_run_id"),
            **_cols("resolved scheduled", B),
            "ticket_url": T,
            "age": INT,
            **_cols("latest_disruption_at first_disruption_at", TS),
            "disruption_history": J,
        },
        empty_is_null=("ticket_url", "latest_disruption_hash", "latest_disruption_run_id"),
        description="One row per test Semaphore's own flaky-tests service (Superjerry) reports as flaky in a "
        "project; empty when the organization lacks the feature (recorded as unavailable in the source state).",
        group="flaky_tests",
        column_descriptions={
            "project_id": "the project",
            "test_id": "Superjerry's test id",
            "test_name": "test name",
            "test_group": "test group (the classname)",
            "test_runner": "runner / framework",
            "test_file": "test file",
            "test_suite": "suite name",
            "pass_rate": "pass rate, percent (0-100)",
            "labels": "labels given in the UI (JSON list)",
            "disruptions_count": "runs in which it failed and then passed",
            "latest_disruption_hash": "commit sha of the latest disruption",
            "latest_disruption_run_id": "run (workflow) id of the latest disruption",
            "resolved": "marked resolved",
            "scheduled": "scheduled for a fix",
            "ticket_url": "linked ticket (NULL when none)",
            "age": "age as the service reports it (days, per its docs)",
            "latest_disruption_at": "time of the latest disruption",
            "first_disruption_at": "time of the first disruption",
            "disruption_history": "JSON list of {day, count}",
        },
        references={"project_id": ("projects", "id")},
    )
)
MEMBER_SUBJECTS = ("USER", "GROUP", "SERVICE_ACCOUNT", "UNKNOWN")
_add(
    TableSpec(
        "members",
        ("scope_id", "id"),
        "GET /members?member_type= (org) and GET /projects/{id}/members (project, users only)",
        "page_no",
        {**_cols("scope scope_id project_id id subject_type name"), "roles": J},
        enums=("scope", "subject_type"),
        description="One row per member of the organization (users, groups, service accounts) and per user "
        "member of each project, with their roles. Personal data: only the display name the API gives.",
        group="access",
        column_descriptions={
            "scope": "ORGANIZATION or PROJECT",
            "scope_id": "the organization id (ORGANIZATION) or the project id (PROJECT)",
            "project_id": "the project (NULL for organization members)",
            "id": "the subject id: a user, group or service account id",
            "subject_type": "USER, GROUP or SERVICE_ACCOUNT",
            "name": "display name as the API gives it (personal data for users; no e-mail is exposed)",
            "roles": "JSON list of {role_id, role_name, source} as the API gives it",
        },
        references={"project_id": ("projects", "id")},
        enum_values={"scope": ("ORGANIZATION", "PROJECT"), "subject_type": MEMBER_SUBJECTS},
    )
)
_add(
    TableSpec(
        "roles",
        ("id",),
        "GET /roles",
        "none",
        {**_cols("id name org_id scope description"), "permissions": J, "readonly": B},
        enums=("scope",),
        description="One row per organization-scope role (the list endpoint shows no project roles).",
        group="access",
        column_descriptions={
            "id": "role id",
            "name": "role name (Owner, Admin, Member, custom ones)",
            "org_id": "the organization",
            "scope": "ORG or PROJECT (the list sends the enum's integer; mapped)",
            "description": "role description",
            "permissions": "JSON list of permission names",
            "readonly": "a built-in role that cannot be edited",
        },
        enum_values={"scope": ("ORG", "PROJECT", "UNSPECIFIED")},
    )
)
_add(
    TableSpec(
        "groups",
        ("id",),
        "GET /groups",
        "page_no",
        {**_cols("id name description"), "member_ids": J},
        description="One row per group of people.",
        group="access",
        column_descriptions={
            "id": "group id (also a members.id with subject_type GROUP)",
            "name": "group name",
            "description": "group description",
            "member_ids": "JSON list of the user ids in the group (personal data: ids only)",
        },
    )
)
_add(
    TableSpec(
        "service_accounts",
        ("id",),
        "GET /service_accounts",
        "C",
        {
            **_cols("id name description org_id creator_id"),
            **_cols("created_at updated_at", TS),
            "deactivated": B,
        },
        empty_is_null=("creator_id",),
        description="One row per service account (never its API token: the loader calls no endpoint that "
        "returns one).",
        group="access",
        column_descriptions={
            "id": "service account id",
            "name": "name",
            "description": "description",
            "org_id": "the organization",
            "creator_id": "the user who created it (NULL when unknown)",
            "created_at": "creation time (NULL when unset)",
            "updated_at": "last update (NULL when never updated)",
            "deactivated": "deactivated",
        },
    )
)
_add(
    TableSpec(
        "secrets",
        ("id",),
        "GET /api/v1beta/secrets (org) and GET /api/v1/projects/{id}/secrets (project)",
        "C",
        {
            **_cols("id name scope project_id"),
            **_cols("create_time update_time checkout_at", TS),
            "content_included": B,
            **_cols("env_var_names file_paths", J),
            "org_config__projects_access": T,
            "org_config__project_ids": J,
            **_cols("org_config__debug_access org_config__attach_access"),
        },
        enums=(
            "scope",
            "org_config__projects_access",
            "org_config__debug_access",
            "org_config__attach_access",
        ),
        description="One row per secret of the organization or of a project: metadata only. The values "
        "(data.env_vars[].value, data.files[].content) are dropped as soon as a page arrives.",
        group="access",
        column_descriptions={
            "id": "secret id",
            "name": "secret name",
            "scope": "ORGANIZATION or PROJECT",
            "project_id": "the project of a project secret (NULL for organization secrets)",
            "create_time": "creation time",
            "update_time": "last update",
            "checkout_at": "last time a job pulled it (NULL: never)",
            "content_included": "the server would have sent values (the org feature that exposes them); they "
            "are dropped regardless",
            "env_var_names": "JSON list of the environment variable names (no values)",
            "file_paths": "JSON list of the file paths (no contents)",
            "org_config__projects_access": "ALL, ALLOWED or NONE (org secrets with access policies)",
            "org_config__project_ids": "JSON list of the allowed project ids when ALLOWED",
            "org_config__debug_access": "JOB_DEBUG_YES or JOB_DEBUG_NO",
            "org_config__attach_access": "JOB_ATTACH_YES or JOB_ATTACH_NO",
        },
        references={"project_id": ("projects", "id")},
        enum_values={
            "scope": ("ORGANIZATION", "PROJECT"),
            "org_config__projects_access": ("ALL", "ALLOWED", "NONE"),
            "org_config__debug_access": ("JOB_DEBUG_YES", "JOB_DEBUG_NO"),
            "org_config__attach_access": ("JOB_ATTACH_YES", "JOB_ATTACH_NO"),
        },
    )
)
_add(
    TableSpec(
        "notifications",
        ("id",),
        "GET /notifications",
        "C",
        {**_cols("id name creator_id"), **_cols("create_time update_time", TS), "rules": J},
        empty_is_null=("creator_id",),
        description="One row per notification, its rules without credentials: Slack and webhook endpoints, the "
        "webhook's secret name and e-mail cc/bcc lists are dropped.",
        group="org_settings",
        column_descriptions={
            "id": "notification id",
            "name": "notification name",
            "creator_id": "the user who created it",
            "create_time": "creation time",
            "update_time": "last update",
            "rules": "JSON list of {name, filter {projects (names), branches, pipelines, blocks, states, results, "
            "tags}, notify {slack {channels, message, status}, email {subject, content, status}, webhook "
            "{timeout, action, retries, status}}}",
        },
    )
)
_add(
    TableSpec(
        "dashboards",
        ("id",),
        "GET /dashboards",
        "C",
        {**_cols("id name title"), **_cols("create_time update_time", TS), "widgets": J},
        description="One row per dashboard of the organization.",
        group="org_settings",
        column_descriptions={
            "id": "dashboard id",
            "name": "dashboard name",
            "title": "dashboard title",
            "create_time": "creation time",
            "update_time": "last update",
            "widgets": "JSON list of {name, type, filters}",
        },
    )
)
TEST_RESULT_TABLES = ("test_reports", "test_suites", "test_cases")
ACCESS_TABLES = ("members", "roles", "groups", "service_accounts", "secrets", "notifications", "dashboards")
