"""People and access, secrets, notifications and dashboards of the synthetic organization.

Drawn from their own `random.Random(f"{seed}:people")` after the rest of the world, so adding them changed no
id of the CI history. Nothing here changes in live mode except secrets' last checkout, which follows the jobs
(`checkout_at`).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ORG_ROLES = (
    ("Owner", "Full control of the organization"),
    ("Admin", "Manages people and settings"),
    ("Member", "Sees and runs projects"),
)
PROJECT_ROLES = (
    ("Admin", "Manages the project"),
    ("Contributor", "Runs and re-runs workflows"),
    ("Reader", "Sees the project"),
)
ROLE_PERMISSIONS = {
    "Owner": (
        "organization.view",
        "organization.people.view",
        "organization.secrets.manage",
        "organization.notifications.view",
        "project.view",
    ),
    "Admin": (
        "organization.view",
        "organization.people.view",
        "organization.notifications.view",
        "project.view",
    ),
    "Member": ("organization.view", "project.view"),
    "Contributor": ("project.view", "project.job.rerun"),
    "Reader": ("project.view",),
}
SOURCES = ("manually", "github", "scim", "inherited_from_org_role")
SECRETS = (
    ("aws-creds", ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), ()),
    ("docker-hub", ("DOCKER_USERNAME", "DOCKER_PASSWORD"), ()),
    ("github-deploy-key", (), ("~/.ssh/id_deploy",)),
    ("npm-token", ("NPM_TOKEN",), ("~/.npmrc",)),
    ("slack-hook", ("SLACK_WEBHOOK_URL",), ()),
    ("legacy-ftp", ("FTP_PASSWORD",), ()),
)


@dataclass(slots=True)
class Role:
    id: str
    name: str
    scope: str  # ORG | PROJECT
    description: str
    permissions: tuple[str, ...]
    readonly: bool


@dataclass(slots=True)
class Member:
    id: str  # the subject id (user, group or service account)
    subject_type: str  # user | group | service_account
    name: str  # display name (personal data for users)
    roles: list[tuple[str, str]]  # (role id, source)


@dataclass(slots=True)
class Group:
    id: str
    name: str
    description: str
    member_ids: list[str]


@dataclass(slots=True)
class ServiceAccount:
    id: str
    name: str
    description: str
    creator_id: str
    created_at: datetime | None
    updated_at: datetime | None
    deactivated: bool


@dataclass(slots=True)
class Secret:
    id: str
    name: str
    project_id: str  # "" for an organization secret
    create_time: datetime
    update_time: datetime
    env_vars: list[tuple[str, str]]  # (name, value): values are what the loader must never store
    files: list[tuple[str, str]]  # (path, content)
    projects_access: str = "ALL"  # ALL | ALLOWED | NONE
    project_ids: list[str] = field(default_factory=list)
    debug_access: str = "JOB_DEBUG_YES"
    attach_access: str = "JOB_ATTACH_YES"


@dataclass(slots=True)
class Notification:
    id: str
    name: str
    creator_id: str
    create_time: datetime
    update_time: datetime
    rules: list[dict]  # API shape of spec.rules


@dataclass(slots=True)
class Dashboard:
    id: str
    name: str
    title: str
    create_time: datetime
    update_time: datetime
    widgets: list[dict]


@dataclass(slots=True)
class People:
    roles: list[Role] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)  # organization members, every subject type
    project_members: dict[str, list[Member]] = field(default_factory=dict)  # project id -> users
    groups: list[Group] = field(default_factory=list)
    service_accounts: list[ServiceAccount] = field(default_factory=list)
    secrets: list[Secret] = field(default_factory=list)  # organization and project secrets
    notifications: list[Notification] = field(default_factory=list)
    dashboards: list[Dashboard] = field(default_factory=list)


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128) & ~((0xF000 << 64) | (0xC000 << 48)) | (0x4000 << 64) | (0x8000 << 48):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def generate_people(world, now: datetime) -> People:
    rng = random.Random(f"{world.config.seed}:people")
    people = People()
    long_ago = now - timedelta(days=world.config.days + 400)
    for scope, table in (("ORG", ORG_ROLES), ("PROJECT", PROJECT_ROLES)):
        for name, description in table:
            people.roles.append(Role(_uuid(rng), name, scope, description, ROLE_PERMISSIONS[name], True))
    org_roles = {r.name: r.id for r in people.roles if r.scope == "ORG"}
    project_roles = {r.name: r.id for r in people.roles if r.scope == "PROJECT"}
    users = list(world.users)
    for i, user in enumerate(users):
        role = "Owner" if i == 0 else "Admin" if i < 3 else "Member"
        display = user.login.replace("-", " ").title()
        people.members.append(Member(user.id, "user", display, [(org_roles[role], rng.choice(SOURCES[:3]))]))
    for name in ("backend", "platform"):
        chosen = rng.sample(users, min(len(users), rng.randint(2, 4)))
        group = Group(_uuid(rng), name, f"The {name} team", sorted(u.id for u in chosen))
        people.groups.append(group)
        people.members.append(Member(group.id, "group", name, [(org_roles["Member"], "manually")]))
    for i, name in enumerate(("ci-bot", "release-bot")):
        created = long_ago + timedelta(days=rng.randint(0, 300), seconds=rng.randint(0, 86399))
        sa = ServiceAccount(
            _uuid(rng),
            name,
            f"Automation account {name}",
            users[0].id if users else "",
            created,
            created + timedelta(days=rng.randint(1, 30)) if i == 0 else None,
            i == 1,
        )
        people.service_accounts.append(sa)
        people.members.append(Member(sa.id, "service_account", name, [(org_roles["Member"], "manually")]))
    for project in world.list_projects():
        chosen = users[: max(1, len(users) // 2 + rng.randint(0, 2))]
        people.project_members[project.id] = [
            Member(
                u.id,
                "user",
                u.login.replace("-", " ").title(),
                [(project_roles[rng.choice(("Admin", "Contributor", "Reader"))], rng.choice(SOURCES))],
            )
            for u in chosen
        ]
    projects = world.list_projects()
    for i, (name, env, files) in enumerate(SECRETS):
        created = long_ago + timedelta(days=rng.randint(0, 300), seconds=rng.randint(0, 86399))
        secret = Secret(
            _uuid(rng),
            name,
            "",
            created,
            created + timedelta(days=rng.randint(0, 40)),
            [(e, f"value-{name}-{rng.getrandbits(40):010x}") for e in env],
            [(f, f"content-{name}-{rng.getrandbits(40):010x}") for f in files],
        )
        if i == 2 and projects:
            secret.projects_access, secret.project_ids = "ALLOWED", [projects[0].id]
        if i == 5:
            secret.projects_access, secret.debug_access, secret.attach_access = (
                "NONE",
                "JOB_DEBUG_NO",
                "JOB_ATTACH_NO",
            )
        people.secrets.append(secret)
    for project in projects[::2]:
        created = long_ago + timedelta(days=rng.randint(100, 400))
        people.secrets.append(
            Secret(
                _uuid(rng),
                f"{project.name}-db",
                project.id,
                created,
                created,
                [("DATABASE_URL", f"postgres://app:pw-{rng.getrandbits(40):010x}@db/app")],
                [],
            )
        )
    ids = [p.name for p in projects]  # notification filters name projects
    specs = (
        (
            "ci-failures",
            [
                {
                    "name": "failures to slack",
                    "filter": _filter(ids[:-1] or ids, results=["failed"]),
                    "notify": _notify(rng, slack=True),
                }
            ],
        ),
        (
            "deploys",
            [
                {
                    "name": "production deploys",
                    "filter": _filter(ids, pipelines=[".semaphore/production-deploy.yml"]),
                    "notify": _notify(rng, webhook=True),
                },
                {
                    "name": "deploy mail",
                    "filter": _filter(ids[:1], results=["passed", "failed"]),
                    "notify": _notify(rng, email=True),
                },
            ],
        ),
    )
    for name, rules in specs:
        created = long_ago + timedelta(days=rng.randint(0, 300))
        people.notifications.append(
            Notification(
                _uuid(rng),
                name,
                rng.choice(users).id if users else "",
                created,
                created + timedelta(days=rng.randint(0, 20)),
                rules,
            )
        )
    for name, title in (("main", "Main branches"), ("releases", "Release pipelines")):
        created = long_ago + timedelta(days=rng.randint(0, 300), seconds=rng.randint(0, 86399))
        widgets = [
            {
                "name": f"{p.name} {title.lower()}",
                "type": rng.choice(("list_workflows", "list_pipelines")),
                "filters": {"branch": p.default_branch, "project_id": p.id},
            }
            for p in projects[:2]
        ]
        people.dashboards.append(Dashboard(_uuid(rng), name, title, created, created, widgets))
    return people


def _filter(
    projects: list[str], results: list[str] | None = None, pipelines: list[str] | None = None
) -> dict:
    return {
        "projects": list(projects),
        "branches": [],
        "pipelines": list(pipelines or []),
        "blocks": [],
        "states": ["FINISHED"],
        "results": list(results or []),
        "tags": [],
    }


def _notify(rng: random.Random, slack: bool = False, webhook: bool = False, email: bool = False) -> dict:
    code = f"{rng.getrandbits(64):016x}"
    return {
        "slack": {
            "endpoint": f"https://hooks.slack.com/services/T000/B000/{code}",
            "channels": ["#ci"],
            "message": "",
            "status": "ACTIVE",
        }
        if slack
        else None,
        "email": {
            "subject": "Pipeline finished",
            "cc": ["lead@example.com"],
            "bcc": ["audit@example.com"],
            "content": "",
            "status": "ACTIVE",
        }
        if email
        else None,
        "webhook": {
            "endpoint": f"https://hooks.example.com/semaphore?token={code}",
            "timeout": 500,
            "action": "post",
            "retries": 2,
            "status": "ACTIVE",
            "secret": "webhook-signing",
        }
        if webhook
        else None,
    }


def checkout_at(world, secret: Secret) -> datetime | None:
    """Last use of a secret (`used_at`): the newest start of a job that pulled it, None when never used."""
    key = ("checkout", secret.name)
    if key not in world._cache:
        starts = [j.start_time for j in world.jobs.values() if secret.name in j.secrets and j.start_time]
        world._cache[key] = max(starts) if starts else None
    return world._cache[key]
