"""Build a `World` from a `WorldConfig`, deterministically from `config.seed` (and `config.now`).

The organization: users, projects (with stable block templates), self-hosted agent types and agents,
deployment targets, schedules, retention policies, then `config.days` of workflow history planned by
`Planner` and revealed at `now` (timeline.py), including pipelines still in flight.
"""

import math
import random
import string
from datetime import UTC, datetime, timedelta

from semaphore_dagster.emulator.config import WorldConfig
from semaphore_dagster.emulator.model import (
    Agent,
    AgentType,
    DeploymentTarget,
    Project,
    RetentionPolicy,
    Schedule,
    ScheduleTrigger,
    to_s,
)
from semaphore_dagster.emulator.people import generate_people
from semaphore_dagster.emulator.planner import Outcome, Planner, User, lognormal
from semaphore_dagster.emulator.profiles import (
    BLOCK_TEMPLATES,
    CLOUD_MACHINES,
    DEPLOY_BLOCK,
    FEATURE_BRANCHES,
    LOGINS,
    NIGHTLY_BLOCK,
    PROJECT_NAMES,
    BlockTemplate,
    JobTemplate,
    ProjectProfile,
)
from semaphore_dagster.emulator.timeline import reveal, schedule
from semaphore_dagster.emulator.world import World

DAY = timedelta(days=1)
AGENT_TYPE_NAMES = ("s1-linux-small", "s1-aws-large", "s1-arm-builder", "s1-gpu", "s1-windows", "s1-macos-m2")
PROMOTION_NAMES = ("Staging", "Production", "Canary")


def generate_world(config: WorldConfig) -> World:
    now = config.now or datetime.now(UTC)
    rng = random.Random(config.seed)
    world = World(config, now, org_id="")
    planner = Planner(world, rng)
    world._planner = planner
    world.org_id = planner.uuid()
    world.users = [
        User(
            planner.uuid(),
            LOGINS[i % len(LOGINS)] + ("" if i < len(LOGINS) else str(i)),
            str(rng.randint(10_000, 99_999_999)),
        )
        for i in range(config.users)
    ]
    start = now - config.days * DAY
    _agents(world, planner, now)
    world._profiles = [_project(world, planner, i, start) for i in range(config.projects)]
    for profile in world._profiles:
        _schedules(world, planner, profile, start, now)
        _history(world, planner, profile, start, now)
    _in_flight(world, planner, now)
    reveal(world, now)
    _huge_log(world)
    _quirks(world, now)
    world.people = generate_people(world, now)
    return world


def _quirks(world: World, now: datetime) -> None:
    """What the real server shows and a kind emulator would not (docs/api-behaviours.md), drawn from their own
    rng so the rest of the world stays the same: projects the token may not view, first in projecthub's DB
    order (its pages are filtered after paging); a never-updated agent type and deployment target (`""`)."""
    rng = random.Random(f"{world.config.seed}:quirks")
    hidden = []
    for i in range(world.config.hidden_projects):
        planner = Planner(world, rng)
        name = f"secret-project-{i + 1}"
        hidden.append(
            Project(
                planner.uuid(),
                name,
                "Not visible to this token",
                world.org_id,
                planner.uuid(),
                planner.uuid(),
                f"git@github.com:{world.config.org_name}/{name}.git",
                name,
                world.config.org_name,
                "github_app",
                ["branches"],
                ".semaphore/semaphore.yml",
                [".semaphore/semaphore.yml"],
                "main",
                viewable=False,
            )
        )
    world.hidden_projects = hidden
    if not world.config.zero_times:
        return
    if world.agent_types:
        world.agent_types[0].update_time = None
    for profile in world._profiles:
        if profile.promotions:
            planner = Planner(world, rng)
            created = (now - timedelta(days=world.config.days + rng.randint(5, 50))).replace(microsecond=0)
            creator = rng.choice(world.users)
            world.deployment_targets.append(
                DeploymentTarget(
                    id=planner.uuid(),
                    name="preview",
                    description=f"Preview apps of {profile.project.name}",
                    url=f"https://preview.{profile.project.name}.example.com",
                    organization_id=world.org_id,
                    project_id=profile.project.id,
                    created_by=creator.id,
                    created_at=created,
                    updated_by=creator.id,
                    updated_at=None,
                    state="USABLE",
                    state_message="",
                    subject_rules=[{"type": "ANY", "subject_id": ""}],
                    object_rules=[{"type": "PR", "match_mode": "ALL", "pattern": ""}],
                    active=True,
                )
            )
            break
    world.touch()


def _name(rng: random.Random, n: int = 20) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def _agents(world: World, planner: Planner, now: datetime) -> None:
    cfg, rng = world.config, planner.rng
    for i in range(cfg.agent_types):
        name = AGENT_TYPE_NAMES[i] if i < len(AGENT_TYPE_NAMES) else f"s1-pool-{i}"
        created = now - timedelta(days=cfg.days + 30 + rng.randint(0, 300), seconds=rng.randint(0, 86399))
        aws = "aws" in name
        world.agent_types.append(
            AgentType(
                name=name,
                create_time=created,
                update_time=created + timedelta(days=rng.randint(0, 20)),
                assignment_origin="ASSIGNMENT_ORIGIN_AWS_STS" if aws else "ASSIGNMENT_ORIGIN_AGENT",
                release_after=60 if aws else 0,
                aws_account_id="123456789012" if aws else "",
                aws_role_name_patterns="ci-agent-*,builder" if aws else "",
            )
        )
        world._agent_names[name] = [_name(rng) for _ in range(3)]  # agents that ran jobs in the past
    for i in range(cfg.agents if world.agent_types else 0):
        world.agents.append(
            new_agent(planner, world.agent_types[i % len(world.agent_types)].name, now, fresh=False)
        )
    # at least one idle, one busy and one disabled agent, whatever the draw
    for agent, state, disabled in zip(
        world.agents,
        ("WAITING_FOR_JOB", "RUNNING_JOB", "WAITING_FOR_JOB"),
        (False, False, True),
        strict=False,
    ):
        agent.state = state
        agent.disabled_at = agent.connected_at + (now - agent.connected_at) / 2 if disabled else None


def new_agent(planner: Planner, type_name: str, now: datetime, *, fresh: bool) -> Agent:
    """An agent of `type_name` connected recently (`fresh`: in the last minute)."""
    rng = planner.rng
    ago = rng.uniform(1, 60) if fresh else lognormal(rng, 6 * 3600, 1.2, 60, 20 * 86400)
    connected = now - timedelta(seconds=ago)
    disabled = not fresh and rng.random() < 0.15
    agent = Agent(
        name=_name(rng),
        type=type_name,
        connected_at=connected,
        version=rng.choice(("v2.2.23", "v2.2.24", "v2.3.0")),
        os=rng.choice(("Ubuntu 22.04.4 LTS", "Ubuntu 20.04.6 LTS", "Amazon Linux 2023")),
        arch="arm64" if "arm" in type_name else "x86_64",
        hostname=f"{type_name.removeprefix('s1-')}-{rng.randint(1, 99):02d}",
        ip_address=f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        pid=rng.randint(100, 65000),
        state="RUNNING_JOB" if not disabled and rng.random() < 0.4 else "WAITING_FOR_JOB",
        disabled_at=connected + (now - connected) * rng.uniform(0.3, 0.95) if disabled else None,
    )
    planner.world._agent_names.setdefault(type_name, []).append(agent.name)
    return agent


def _project(world: World, planner: Planner, index: int, start: datetime) -> ProjectProfile:
    cfg, rng = world.config, planner.rng
    base = PROJECT_NAMES[index % len(PROJECT_NAMES)]
    name = base if index < len(PROJECT_NAMES) else f"{base}-{index // len(PROJECT_NAMES) + 1}"
    default_branch = "master" if rng.random() < 0.4 else "main"
    has_promotions = cfg.deployment_targets_per_project > 0 and (index % 3 != 2)
    files = [".semaphore/semaphore.yml", ".semaphore/nightly.yml"]
    promotions = (
        list(PROMOTION_NAMES[: max(1, min(3, cfg.deployment_targets_per_project))]) if has_promotions else []
    )
    if len(promotions) == 3:
        promotions = ["Staging", "Canary", "Production"]
    files += [f".semaphore/{p.lower()}-deploy.yml" for p in promotions]
    owner = rng.choice(world.users)
    project = Project(
        id=planner.uuid(),
        name=name,
        description=f"The {name.replace('-', ' ')}",
        org_id=world.org_id,
        owner_id=owner.id,
        repository_id=planner.uuid(),
        repo_url=f"git@github.com:{cfg.org_name}/{name}.git",
        repo_name=name,
        repo_owner=cfg.org_name,
        integration_type="github_app" if rng.random() < 0.8 else "github_token",
        run_on=["branches", "tags", "pull_requests"] if rng.random() < 0.8 else ["branches", "pull_requests"],
        pipeline_file=".semaphore/semaphore.yml",
        pipeline_files=files,
        default_branch=default_branch,
        visibility="public" if index == 1 else "private",
        custom_permissions=index % 4 == 3,
        debug_permissions=[
            "empty",
            "default_branch",
            "non_default_branch",
            "pull_request",
            "forked_pull_request",
            "tag",
        ],
        attach_permissions=[
            "default_branch",
            "non_default_branch",
            "pull_request",
            "forked_pull_request",
            "tag",
        ],
    )
    world.projects.append(project)
    low, high = cfg.blocks_per_pipeline
    n_blocks = max(1, min(len(BLOCK_TEMPLATES), rng.randint(low, high)))
    chosen = [BLOCK_TEMPLATES[0]] + sorted(
        rng.sample(BLOCK_TEMPLATES[1:], n_blocks - 1), key=BLOCK_TEMPLATES.index
    )
    names = {b[0] for b in chosen}
    self_hosted_types = [t.name for t in world.agent_types]
    blocks = []
    for bname, deps, jobs in chosen:
        deps = tuple(d for d in deps if d in names) or (("Build",) if bname != "Build" else ())
        jl, jh = cfg.jobs_per_block
        n_jobs = max(1, min(len(jobs), rng.randint(jl, jh)))
        blocks.append(
            BlockTemplate(
                bname,
                deps,
                [_job_template(rng, j, self_hosted_types, cfg.self_hosted_share) for j in jobs[:n_jobs]],
            )
        )
    flaky = [j for b in blocks[1:] for j in b.jobs] or blocks[0].jobs
    for job in rng.sample(flaky, min(len(flaky), rng.randint(1, 2))):
        job.flaky = rng.uniform(0.03, 0.07) * cfg.flaky_rate / 0.06
    deploy = [
        BlockTemplate(
            DEPLOY_BLOCK[0],
            (),
            [_job_template(rng, j, self_hosted_types, cfg.self_hosted_share) for j in DEPLOY_BLOCK[2]],
        )
    ]
    nightly = [
        BlockTemplate(
            NIGHTLY_BLOCK[0],
            (),
            [_job_template(rng, j, self_hosted_types, cfg.self_hosted_share) for j in NIGHTLY_BLOCK[2]],
        )
    ]
    for block in deploy:
        for job in block.jobs:
            job.flaky = 0.08
    profile = ProjectProfile(
        project=project,
        blocks=blocks,
        deploy_blocks=deploy,
        nightly_blocks=nightly,
        branches=rng.sample(FEATURE_BRANCHES, 4),
        fail_fast=rng.random() < 0.5,
        promotions=promotions,
        next_pr=rng.randint(10, 400),
        next_tag=(1, rng.randint(0, 9), 0),
    )
    if profile.fail_fast:
        world._fail_fast.add(project.id)
    if promotions:
        _targets(world, planner, profile, start)
    _retention(world, planner, project, index)
    return profile


def _job_template(rng: random.Random, job, self_hosted_types: list[str], share: float) -> JobTemplate:
    name, seconds, commands = job
    if self_hosted_types and rng.random() < share:
        machine, os_image, self_hosted = rng.choice(self_hosted_types), "", True
    else:
        (machine, os_image), self_hosted = rng.choice(CLOUD_MACHINES), False
    return JobTemplate(name, seconds * rng.uniform(0.6, 1.6), commands, machine, os_image, self_hosted, 0.0)


def _targets(world: World, planner: Planner, profile: ProjectProfile, start: datetime) -> None:
    rng = planner.rng
    project = profile.project
    for name in profile.promotions:
        creator = rng.choice(world.users)
        created = start - timedelta(days=rng.randint(20, 200), seconds=rng.randint(0, 86399), microseconds=0)
        production = name == "Production"
        cordoned = name == "Canary"
        target = DeploymentTarget(
            id=planner.uuid(),
            name=name.lower(),
            description=f"{name} environment of {project.name}",
            url=f"https://{name.lower()}.{project.name}.example.com",
            organization_id=world.org_id,
            project_id=project.id,
            created_by=creator.id,
            created_at=created.replace(microsecond=0),
            updated_by=creator.id,
            updated_at=(created + timedelta(days=rng.randint(0, 10))).replace(microsecond=0),
            state="CORDONED" if cordoned else "USABLE",
            state_message="",
            subject_rules=[{"type": "ROLE", "subject_id": "Admin"}, {"type": "AUTO", "subject_id": ""}]
            if production
            else [{"type": "ANY", "subject_id": ""}],
            object_rules=[
                {"type": "BRANCH", "match_mode": "EXACT", "pattern": project.default_branch},
                {"type": "TAG", "match_mode": "REGEX", "pattern": "^v.*"},
            ]
            if production
            else [
                {"type": "BRANCH", "match_mode": "ALL", "pattern": ""},
                {"type": "TAG", "match_mode": "ALL", "pattern": ""},
                {"type": "PR", "match_mode": "ALL", "pattern": ""},
            ],
            active=not cordoned,
            bookmark_parameter1="DEPLOY_ENV" if production else "",
        )
        world.deployment_targets.append(target)
        profile.targets[name] = target


_AGES = (86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400, 365 * 86400)


def _retention(world: World, planner: Planner, project: Project, index: int) -> None:
    rng = planner.rng
    if index % 3 == 0:
        return  # no policy: the endpoint answers three empty lists
    world.retention_policies[project.id] = RetentionPolicy(
        project_id=project.id,
        project_level=[("/**/*", rng.choice(_AGES[3:]))],
        workflow_level=[("/test-results/**/*", rng.choice(_AGES[1:4]))] if rng.random() < 0.5 else [],
        job_level=[("/screenshots/**/*.png", 14 * 86400), ("/logs/**/*.txt", 90 * 86400)],
    )


def _schedules(
    world: World, planner: Planner, profile: ProjectProfile, start: datetime, now: datetime
) -> None:
    cfg, rng = world.config, planner.rng
    project = profile.project
    for i in range(cfg.schedules_per_project):
        nightly = i == 0
        requester = rng.choice(world.users)
        inserted = start - timedelta(days=rng.randint(10, 120), seconds=rng.randint(0, 86399))
        paused = not nightly
        sched = Schedule(
            id=planner.uuid(),
            name=f"nightly-{project.name}" if nightly else f"weekly-audit-{project.name}-{i}",
            project_id=project.id,
            reference=f"refs/heads/{project.default_branch}",
            branch=project.default_branch,
            at="0 3 * * *" if nightly else "0 6 * * 1",
            pipeline_file=".semaphore/nightly.yml",
            requester_id=requester.id,
            updated_at=inserted + timedelta(days=rng.randint(0, 9)),
            inserted_at=inserted,
            suspended=False,
            paused=paused,
            pause_toggled_by=requester.id if paused else "",
            pause_toggled_at=start - timedelta(days=rng.randint(1, 9)) if paused else None,
            recurring=True,
            parameters=[
                {
                    "name": "SUITE",
                    "required": False,
                    "description": "which suite",
                    "default_value": "all",
                    "options": ["all", "smoke"],
                }
            ],
            description="Full test suite every night" if nightly else "Weekly dependency audit",
            organization_id=world.org_id,
        )
        world.schedules.append(sched)


def plan_scheduled_run(world: World, planner: Planner, profile: ProjectProfile, at: datetime) -> None:
    """The nightly schedule fires at `at`: a trigger and a SCHEDULE workflow."""
    sched = next((s for s in world.schedules if s.project_id == profile.project.id and not s.paused), None)
    if sched is None:
        return
    wf = planner.plan_workflow(
        profile, at + planner.secs(0.5, 5), triggered_by="SCHEDULE", scheduler_id=sched.id
    )
    trigger = ScheduleTrigger(
        triggered_at=at,
        project_id=sched.project_id,
        reference=sched.reference,
        branch=sched.branch,
        pipeline_file=sched.pipeline_file,
        scheduling_status="passed",
        scheduled_workflow_id=wf.wf_id,
        scheduled_at=at + planner.secs(0.1, 0.5),
        error_description="",
        run_now_requester_id="",
        periodic_id=sched.id,
        parameter_values=[{"name": "SUITE", "value": "all"}],
    )
    schedule(world, at, "trigger", trigger, sched)


# When workflows are created: hours (UTC) drawn from N(14, 3.5), and a day's count scaled by its kind.
WORK_HOUR_MEAN, WORK_HOUR_SD = 14, 3.5
WEEKDAY_FACTOR, WEEKEND_FACTOR = 1.15, 0.25


def day_factor(day: datetime) -> float:
    """How many of `pipelines_per_day` a given day has: more on weekdays, a quarter at weekends."""
    return WEEKEND_FACTOR if day.weekday() >= 5 else WEEKDAY_FACTOR


def workflow_times(rng: random.Random, per_day: float, begin: datetime, end: datetime) -> list[datetime]:
    """Workflow creation times in (begin, end]: a Poisson count per day, mostly in working hours, fewer at
    weekends."""
    out = []
    day = begin.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        for _ in range(_poisson(rng, per_day * day_factor(day))):
            hour = min(23.99, max(0.0, rng.gauss(WORK_HOUR_MEAN, WORK_HOUR_SD)))
            at = day + timedelta(hours=hour, microseconds=rng.randint(0, 999_999))
            if begin < at <= end:
                out.append(at)
        day += DAY
    return sorted(out)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def nightly_times(begin: datetime, end: datetime) -> list[datetime]:
    out = []
    day = begin.replace(hour=3, minute=0, second=0, microsecond=0)
    while day <= end:
        if begin < day:
            out.append(day)
        day += DAY
    return out


def _history(world: World, planner: Planner, profile: ProjectProfile, start: datetime, now: datetime) -> None:
    rng = planner.rng
    times = [(t, False) for t in workflow_times(rng, world.config.pipelines_per_day, start, now)]
    times += [(t, True) for t in nightly_times(start, now)]
    for at, nightly in sorted(times):
        if nightly:
            plan_scheduled_run(world, planner, profile, at)
        else:
            planner.plan_workflow(profile, at)


def _in_flight(world: World, planner: Planner, now: datetime) -> None:
    """Pipelines still running at `now`; in the first project also one in each other in-flight state
    (INITIALIZING, PENDING, QUEUING, STOPPING)."""
    rng = planner.rng
    for i, profile in enumerate(world._profiles):
        for _ in range(world.config.running_pipelines):
            planner.plan_workflow(profile, now - timedelta(seconds=rng.uniform(20, 200)))
        if i == 0 and world.config.running_pipelines:
            planner.plan_workflow(profile, now - timedelta(seconds=rng.uniform(20, 60)), queue_wait=900.0)
            planner.plan_workflow(profile, now - timedelta(seconds=rng.uniform(0.05, 0.15)))
            planner.plan_workflow(profile, now - timedelta(seconds=5), outcome=Outcome(pending_seconds=30.0))
            stopping = Outcome("stop", stop_at=now - timedelta(seconds=2), stop_grace=(20.0, 40.0))
            planner.plan_workflow(profile, now - timedelta(seconds=150), queue_wait=0.1, outcome=stopping)


def _huge_log(world: World) -> None:
    """Give one finished job a log of `huge_log_bytes` output bytes (streamed lazily)."""
    size = world.config.huge_log_bytes
    if size <= 0:
        return
    candidates = sorted(
        (j for j in world.jobs.values() if j.state == "FINISHED" and j.log is not None and not j.self_hosted),
        key=lambda j: (to_s(j.finish_time), j.job_id),
    )
    if candidates:
        job = candidates[-1]
        assert job.log is not None
        job.log.huge_bytes = size
        job.log.chunk_bytes = 8192
        world.huge_log_job_id = job.job_id
