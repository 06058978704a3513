"""Static flavour of the synthetic organization: project names, block templates, commit messages, machines.

Each project gets a stable `ProjectProfile` (its blocks and jobs, branches, flaky jobs, fail-fast setting),
so its pipelines have a stable topology and per-job durations, as real projects do.
"""

from dataclasses import dataclass, field

from semaphore_dagster.emulator.model import DeploymentTarget, Project

PROJECT_NAMES = (
    "api-server",
    "web-app",
    "billing-service",
    "mobile-ios",
    "infra-terraform",
    "docs-site",
    "data-pipeline",
    "auth-service",
    "search-indexer",
    "notifications",
    "payments-gateway",
    "admin-dashboard",
)

COMMIT_MESSAGES = (
    "Fix flaky spec",
    "Bump dependencies",
    "Add retry to HTTP client",
    "Refactor billing calculations",
    "Update README",
    "Speed up test suite",
    "Handle empty responses",
    "Merge pull request from feature branch",
    "Add metrics for queue depth",
    'Revert "Add caching layer"',
    "Upgrade to Ruby 3.3",
    "Improve error messages",
    "Remove dead code",
    "Add index on created_at",
    "Pin Docker base image",
    "Fix timezone handling in reports",
)

FEATURE_BRANCHES = (
    "feature/login-form",
    "feature/new-billing",
    "fix/timeout-handling",
    "chore/deps-update",
    "feature/search-filters",
    "refactor/http-client",
    "fix/flaky-tests",
    "feature/dark-mode",
)

LOGINS = (
    "octocat",
    "alice",
    "bob-dev",
    "carol",
    "dmitri",
    "erin-ops",
    "farah",
    "gus",
    "hana",
    "ivan",
    "jules",
)

CLOUD_MACHINES = (
    ("e1-standard-2", "ubuntu2004"),
    ("e1-standard-4", "ubuntu2204"),
    ("f1-standard-4", "ubuntu2204"),
)

# Block templates: (name, dependencies, [(job name, typical seconds, commands)]).
BLOCK_TEMPLATES: tuple[tuple[str, tuple[str, ...], tuple[tuple[str, int, tuple[str, ...]], ...]], ...] = (
    ("Build", (), (("Compile", 95, ("checkout", "cache restore", "make build", "cache store")),)),
    (
        "Unit tests",
        ("Build",),
        (
            ("RSpec 1/3", 240, ("checkout", "cache restore", "bundle exec rspec --tag ~slow")),
            ("RSpec 2/3", 230, ("checkout", "cache restore", "bundle exec rspec --tag ~slow")),
            ("RSpec 3/3", 250, ("checkout", "cache restore", "bundle exec rspec --tag ~slow")),
            ("Jest", 140, ("checkout", "npm ci", "npm test")),
        ),
    ),
    (
        "Lint",
        ("Build",),
        (("Rubocop", 45, ("checkout", "bundle exec rubocop")), ("ESLint", 35, ("checkout", "npm run lint"))),
    ),
    (
        "Integration tests",
        ("Unit tests",),
        (
            ("Cucumber 1/2", 420, ("checkout", "docker compose up -d", "bundle exec cucumber")),
            ("Cucumber 2/2", 400, ("checkout", "docker compose up -d", "bundle exec cucumber")),
            ("API contract", 180, ("checkout", "make contract-test")),
        ),
    ),
    (
        "Docker image",
        ("Unit tests", "Lint"),
        (("Build and push", 210, ("checkout", "docker build -t app .", "docker push app")),),
    ),
    ("Security scan", ("Build",), (("Trivy", 70, ("checkout", "trivy fs --exit-code 1 .")),)),
)

DEPLOY_BLOCK = ("Deploy", (), (("Deploy", 150, ("checkout", "make deploy")),))
NIGHTLY_BLOCK = ("Nightly suite", (), (("Full test suite", 900, ("checkout", "make test-all")),))


@dataclass(slots=True)
class JobTemplate:
    name: str
    seconds: float  # typical duration
    commands: tuple[str, ...]
    machine_type: str
    os_image: str
    self_hosted: bool
    flaky: float  # probability that this job fails spuriously


@dataclass(slots=True)
class BlockTemplate:
    name: str
    dependencies: tuple[str, ...]
    jobs: list[JobTemplate]


@dataclass(slots=True)
class ProjectProfile:
    project: Project
    blocks: list[BlockTemplate]
    deploy_blocks: list[BlockTemplate]
    nightly_blocks: list[BlockTemplate]
    branches: list[str]
    fail_fast: bool
    promotions: list[str]  # promotion names, e.g. ["Staging", "Production"]
    targets: dict[str, DeploymentTarget] = field(default_factory=dict)  # promotion name -> target
    branch_ids: dict[str, str] = field(default_factory=dict)
    queue_ids: dict[str, str] = field(default_factory=dict)
    production_sources: list[str] = field(default_factory=list)  # ppl_ids promoted to production, in order
    next_pr: int = 1
    next_tag: tuple[int, int, int] = (1, 0, 0)
