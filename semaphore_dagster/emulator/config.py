"""The knobs of the synthetic organization, in one place, with presets `tiny`, `small`, `medium`, `large`."""

from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class WorldConfig:
    """Sizes and rates of the generated organization.

    Same config (including `seed` and a fixed `now`) => identical world. `now=None` uses the wall clock
    at generation time (live demos).
    """

    seed: int = 7
    now: datetime | None = None
    org_name: str = "acme"
    projects: int = 2
    days: int = 3
    pipelines_per_day: float = 4.0  # per project: workflows created per day (each starts one pipeline)
    blocks_per_pipeline: tuple[int, int] = (2, 4)  # inclusive range
    jobs_per_block: tuple[int, int] = (1, 3)  # inclusive range
    log_events_per_job: int = 12  # approximate number of events of one job log
    log_event_bytes: int = 60  # approximate bytes of output per cmd_output event
    agent_types: int = 2
    agents: int = 4
    deployment_targets_per_project: int = 2  # staging, production (projects with promotions only)
    failure_rate: float = 0.15  # pipelines FAILED (besides flaky re-runs)
    flaky_rate: float = 0.06  # workflows re-run on the same commit with a different result
    stop_rate: float = 0.03  # pipelines STOPPED by a user
    cancel_rate: float = 0.02  # pipelines CANCELED (superseded in the queue)
    partial_rerun_rate: float = 0.05  # failed pipelines partially re-run
    promotion_rate: float = 0.5  # passed default-branch pipelines promoted to staging
    production_rate: float = 0.4  # of those, also promoted to production
    self_hosted_share: float = 0.25  # jobs running on self-hosted agent types
    never_started_rate: float = 0.015  # pipelines stopped while a job waits in the queue (its log: 404)
    schedules_per_project: int = 1
    huge_log_bytes: int = 0  # > 0: one job whose log has that many output bytes (generated lazily)
    running_pipelines: int = 2  # pipelines per project still in flight at `now`
    users: int = 8
    # Quirks of the real server, on by default (docs/api-behaviours.md):
    hidden_projects: int = (
        1  # projects the token may not view, first in projecthub's DB order (filtered pages)
    )
    zero_times: bool = True  # a never-updated agent type / deployment target sends "" as its update time
    test_results: bool = True  # test jobs publish test-results artifacts (junit.json) as the CLI does

    @classmethod
    def preset(cls, name: str, *, seed: int = 7, now: datetime | None = None, **overrides) -> "WorldConfig":
        """A named scale with optional knob overrides; unknown names or knobs raise a one-line ValueError."""
        if name not in PRESETS:
            raise ValueError(f"unknown scale {name!r}: use one of {', '.join(PRESETS)}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(
                f"unknown WorldConfig knob(s) {', '.join(unknown)}: use one of {', '.join(sorted(known))}"
            )
        if now is not None and now.tzinfo is None:
            raise ValueError("WorldConfig.now must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        return replace(cls(**PRESETS[name]), seed=seed, now=now.astimezone(UTC) if now else None, **overrides)


PRESETS: dict[str, dict] = {
    "tiny": dict(
        projects=2, days=3, pipelines_per_day=4.0, log_events_per_job=10, agents=4, running_pipelines=1
    ),
    "small": dict(
        projects=5,
        days=14,
        pipelines_per_day=9.0,
        blocks_per_pipeline=(3, 5),
        jobs_per_block=(2, 4),
        log_events_per_job=14,
        agent_types=3,
        agents=10,
        running_pipelines=2,
    ),
    "medium": dict(
        projects=12,
        days=30,
        pipelines_per_day=20.0,
        blocks_per_pipeline=(2, 5),
        jobs_per_block=(1, 5),
        log_events_per_job=20,
        agent_types=5,
        agents=40,
        users=30,
    ),
    "large": dict(
        projects=25,
        days=60,
        pipelines_per_day=25.0,
        blocks_per_pipeline=(2, 6),
        jobs_per_block=(1, 6),
        log_events_per_job=24,
        agent_types=8,
        agents=120,
        users=80,
    ),
}
