"""The emulated organization's entities, as plain dataclasses.

Field names follow the API's names so that render.py and ground_truth.py read like the spec. Times are
tz-aware UTC `datetime`s (None when the event has not happened); enums are stored UPPERCASE as the API's
names, and render.py converts them to each endpoint's spelling. Nothing here knows about HTTP.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

# Enum spellings (stored UPPERCASE; render.py maps them per endpoint).
WF_TRIGGERED_BY = ("HOOK", "SCHEDULE", "API", "MANUAL_RUN")
PPL_TRIGGERED_BY = ("WORKFLOW", "PROMOTION", "AUTO_PROMOTION", "PARTIAL_RE_RUN")
QUEUE_TYPES = ("IMPLICIT", "USER_GENERATED")
PIPELINE_STATES = ("INITIALIZING", "PENDING", "QUEUING", "RUNNING", "STOPPING", "DONE")
RESULTS = ("PASSED", "STOPPED", "CANCELED", "FAILED")
RESULT_REASONS = (
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
JOB_STATES = ("PENDING", "QUEUED", "RUNNING", "FINISHED")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class Project:
    id: str
    name: str
    description: str
    org_id: str
    owner_id: str
    repository_id: str
    repo_url: str
    repo_name: str
    repo_owner: str
    integration_type: str  # github_app | github_token | bitbucket | gitlab | git (API spelling)
    run_on: list[str]  # branches | tags | pull_requests | ...
    pipeline_file: str
    pipeline_files: list[str]  # every pipeline file the repository has
    default_branch: str
    visibility: str = "private"
    custom_permissions: bool = False
    debug_permissions: list[str] = field(default_factory=list)
    attach_permissions: list[str] = field(default_factory=list)
    forked_allowed_secrets: list[str] = field(default_factory=list)
    viewable: bool = True  # False: the token lacks project.view (projecthub filters it out of its pages)


@dataclass(slots=True)
class Workflow:
    wf_id: str
    initial_ppl_id: str
    project_id: str
    hook_id: str
    requester_id: str
    branch_id: str
    branch_name: str
    commit_sha: str
    created_at: datetime
    triggered_by: str  # WF_TRIGGERED_BY
    rerun_of: str  # "" when not a re-run
    repository_id: str
    organization_id: str
    commit_message: str = ""
    label: str = ""  # branch name, tag name or PR number (the API's `label` filter)


@dataclass(slots=True)
class Queue:
    queue_id: str
    name: str
    scope: str
    project_id: str
    organization_id: str
    type: str  # QUEUE_TYPES


@dataclass(slots=True)
class Triggerer:
    wf_triggered_by: str
    wf_triggerer_id: str
    wf_triggerer_user_id: str
    wf_triggerer_provider_login: str
    wf_triggerer_provider_uid: str
    wf_triggerer_provider_avatar: str
    ppl_triggered_by: str  # PPL_TRIGGERED_BY
    ppl_triggerer_id: str
    ppl_triggerer_user_id: str
    workflow_rerun_of: str


@dataclass(slots=True)
class LogCommand:
    """One command of a job's log: its directive, exit code and its share of the job's run time."""

    directive: str
    exit_code: int
    output_chunks: int  # number of cmd_output events
    seconds: int  # duration of the command


@dataclass(slots=True)
class JobLogSpec:
    """Everything needed to regenerate a job's log lazily: the events are never stored, and even the
    commands' split of the run time is derived from `seed` when the log is read (logs.py)."""

    seed: int
    seconds: int  # the job's planned run time (start to finish), whole seconds
    result: str  # the job's final result: PASSED | FAILED | STOPPED
    events: int  # approximate number of events
    chunk_bytes: int  # approximate UTF-8 bytes per cmd_output event
    ansi: bool  # colour codes in the output
    huge_bytes: int = 0  # > 0: this job's log has (at least) that many output bytes, streamed


@dataclass(slots=True)
class Job:
    job_id: str
    ppl_id: str
    block_id: str
    project_id: str
    name: str
    index: int
    create_time: datetime
    enqueue_time: datetime | None
    start_time: datetime | None
    finish_time: datetime | None
    state: str  # Jobs API: PENDING | QUEUED | RUNNING | FINISHED
    result: str  # Jobs API: NONE | PASSED | FAILED | STOPPED
    machine_type: str
    os_image: str
    self_hosted: bool
    agent_name: str
    agent_ip: str
    agent_ports: list[dict]
    commands: list[str]
    secrets: list[str]
    env_vars: list[dict]  # [{name, value}]
    log: JobLogSpec | None = None
    never_started_message: str = ""  # set when the job was stopped before it started (its log is a 404)
    source_job_id: str = (
        ""  # a job reused from an earlier pipeline: the job whose result (and artifacts) it has
    )

    @property
    def update_time(self) -> datetime:
        return self.finish_time or self.start_time or self.enqueue_time or self.create_time

    @property
    def block_job_status(self) -> str:
        """The block job `status` of the pipeline describe (Zebra task job state)."""
        return {"PENDING": "ENQUEUED", "QUEUED": "ENQUEUED", "RUNNING": "RUNNING"}.get(self.state, "FINISHED")


@dataclass(slots=True)
class Block:
    block_id: str
    ppl_id: str
    name: str
    build_req_id: str
    state: str  # WAITING | RUNNING | STOPPING | DONE | INITIALIZING
    result: str  # "" unless DONE
    result_reason: str  # "" unless DONE
    error_description: str
    dependencies: list[str]
    jobs: list[Job] = field(default_factory=list)


@dataclass(slots=True)
class Pipeline:
    ppl_id: str
    wf_id: str
    project_id: str
    name: str
    branch_name: str
    commit_sha: str
    commit_message: str
    working_directory: str
    yaml_file_name: str
    created_at: datetime
    pending_at: datetime | None
    queuing_at: datetime | None
    running_at: datetime | None
    stopping_at: datetime | None
    done_at: datetime | None
    state: str  # PIPELINE_STATES
    result: str  # "" unless DONE
    result_reason: str  # "" unless DONE
    terminate_request: str
    terminated_by: str
    hook_id: str
    branch_id: str
    error_description: str
    switch_id: str
    snapshot_id: str
    promotion_of: str
    partial_rerun_of: str
    partially_rerun_by: str
    compile_task_id: str
    with_after_task: bool
    after_task_id: str
    repository_id: str
    organization_id: str
    queue: Queue
    triggerer: Triggerer
    env_vars: list[dict]
    blocks: list[Block] = field(default_factory=list)
    label: str = ""
    pr_head_branch: str = ""
    pr_target_branch: str = ""

    @property
    def pipeline_file(self) -> str:
        return f"{self.working_directory}/{self.yaml_file_name}"

    def jobs(self) -> list[Job]:
        return [job for block in self.blocks for job in block.jobs]


@dataclass(slots=True)
class Promotion:
    ppl_id: str
    name: str
    triggered_at: datetime
    triggered_by: str  # user id or "Pipeline Done request"
    override: bool
    status: str  # PROCESSING | PASSED | FAILED
    scheduled_at: datetime | None
    scheduled_pipeline_id: str  # "" when none


@dataclass(slots=True)
class AgentType:
    name: str
    create_time: datetime
    update_time: datetime | None  # None: never updated (the API sends "")
    assignment_origin: str  # ASSIGNMENT_ORIGIN_AGENT | ASSIGNMENT_ORIGIN_AWS_STS | ...
    release_after: int
    aws_account_id: str = ""  # "" = aws settings unset (rendered as null)
    aws_role_name_patterns: str = ""


@dataclass(slots=True)
class Agent:
    name: str
    type: str
    connected_at: datetime  # microsecond precision; the agents cursor is its unix milliseconds
    version: str
    os: str
    arch: str
    hostname: str
    ip_address: str
    pid: int
    state: str  # WAITING_FOR_JOB | RUNNING_JOB
    disabled_at: datetime | None = None

    @property
    def created_at_ms(self) -> int:
        return int(self.connected_at.timestamp() * 1000)


@dataclass(slots=True)
class Deployment:
    id: str
    target_id: str
    target_name: str
    prev_pipeline_id: str  # "" when none
    pipeline_id: str
    triggered_by: str
    triggered_at: datetime  # microsecond precision; the history cursor is its unix microseconds
    state: str  # PENDING | STARTED | FAILED
    state_message: str
    switch_id: str
    env_vars: list[dict]  # [{name, value}]: values are secrets for the loader
    can_requester_rerun: bool

    @property
    def triggered_at_us(self) -> int:
        return to_us(self.triggered_at)


@dataclass(slots=True)
class DeploymentTarget:
    id: str
    name: str
    description: str
    url: str
    organization_id: str
    project_id: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime | None  # None: never updated (the API sends "")
    state: str  # SYNCING | USABLE | UNUSABLE | CORDONED
    state_message: str
    subject_rules: list[dict]
    object_rules: list[dict]
    active: bool
    bookmark_parameter1: str = ""
    bookmark_parameter2: str = ""
    bookmark_parameter3: str = ""
    deployments: list[Deployment] = field(default_factory=list)  # newest first


@dataclass(slots=True)
class RetentionPolicy:
    project_id: str
    project_level: list[tuple[str, int]]  # (selector, age in seconds)
    workflow_level: list[tuple[str, int]]
    job_level: list[tuple[str, int]]


@dataclass(slots=True)
class ScheduleTrigger:
    triggered_at: datetime
    project_id: str
    reference: str
    branch: str
    pipeline_file: str
    scheduling_status: str  # passed | failed
    scheduled_workflow_id: str
    scheduled_at: datetime | None
    error_description: str
    run_now_requester_id: str
    periodic_id: str
    parameter_values: list[dict]


@dataclass(slots=True)
class Schedule:
    id: str
    name: str
    project_id: str
    reference: str  # e.g. "refs/heads/master"
    branch: str
    at: str  # cron expression ("" for a non-recurring task)
    pipeline_file: str
    requester_id: str
    updated_at: datetime
    inserted_at: datetime
    suspended: bool
    paused: bool
    pause_toggled_by: str
    pause_toggled_at: datetime | None
    recurring: bool
    parameters: list[dict]
    description: str
    organization_id: str
    triggers: list[ScheduleTrigger] = field(default_factory=list)  # newest first


def to_us(ts: datetime) -> int:
    """Unix microseconds of an aware datetime, exactly (no float rounding)."""
    delta = ts - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_s(ts: datetime | None) -> int:
    """Unix seconds (floor) of an aware datetime; 0 for None."""
    return 0 if ts is None else to_us(ts) // 1_000_000
