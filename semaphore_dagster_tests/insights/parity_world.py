"""A hand-built emulator world for the parity and DORA tests, small enough to work out by hand.

Project `web` (default branch main) carries the Semaphore-parity cases: timeouts, user and fast-failing
stops, a cancellation, a malformed pipeline, `./.semaphore` working directories, 20 runs in one day (p95 by
nearest rank), a recovery on the range's last day, and a run today. Project `shop` carries the DORA case:
deployments V1 -> V2 -> V3 -> V1 (a rollback) to production, a failed deploy pipeline, a re-deploy, and
one deployment to staging. Every expected number is worked out in the tests that use it.
"""

import uuid
from datetime import UTC, datetime, timedelta

from semaphore_dagster.emulator import World, WorldConfig
from semaphore_dagster.emulator.model import (
    Deployment,
    DeploymentTarget,
    Pipeline,
    Project,
    Queue,
    Triggerer,
    Workflow,
)

NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)  # "today" is 2026-11-01
ORG = "00000000-0000-4000-8000-0000000000aa"
WEB = "00000000-0000-4000-8000-000000000001"
SHOP = "00000000-0000-4000-8000-000000000002"
CI_FILE = ".semaphore/semaphore.yml"
DEPLOY_FILE = ".semaphore/production.yml"


_NAMES: dict[str, str] = {}


def uid(name: str) -> str:
    """The UUID standing for a readable name (the API validates ids as UUIDs)."""
    value = str(uuid.uuid5(uuid.NAMESPACE_URL, f"parity-world/{name}"))
    _NAMES[value] = name
    return value


def name_of(value: str | None) -> str | None:
    """The readable name of a UUID made by `uid` (None stays None)."""
    return None if value is None else _NAMES.get(value, value)


def t(day: int, hour: float, second_fraction: float = 0.0) -> datetime:
    """2026-10-<day> at <hour>:00 UTC (+ a fraction of a second)."""
    return datetime(2026, 10, 1, tzinfo=UTC) + timedelta(days=day - 1, hours=hour, seconds=second_fraction)


def _project(pid: str, name: str) -> Project:
    return Project(
        id=pid,
        name=name,
        description="",
        org_id=ORG,
        owner_id=uid("user-1"),
        repository_id=uid(f"repo-{name}"),
        repo_url=f"git@github.com:acme/{name}.git",
        repo_name=name,
        repo_owner="acme",
        integration_type="github_app",
        run_on=["branches"],
        pipeline_file=CI_FILE,
        pipeline_files=[CI_FILE, DEPLOY_FILE],
        default_branch="main",
    )


class Builder:
    """Adds workflows and pipelines to a world; ids are readable names."""

    def __init__(self) -> None:
        self.world = World(WorldConfig(now=NOW), NOW, ORG)
        self.world.projects = [_project(WEB, "web"), _project(SHOP, "shop")]

    def workflow(self, wf_id: str, project: str, branch: str, commit: str, created: datetime) -> Workflow:
        wf = Workflow(
            wf_id=uid(wf_id),
            initial_ppl_id="",
            project_id=project,
            hook_id=uid(f"hook-{wf_id}"),
            requester_id=uid("user-1"),
            branch_id=uid(f"branch-{project}-{branch}"),
            branch_name=branch,
            commit_sha=commit,
            created_at=created,
            triggered_by="HOOK",
            rerun_of="",
            repository_id=uid(f"repo-{project}"),
            organization_id=ORG,
            label=branch,
        )
        self.world.workflows[wf.wf_id] = wf
        return wf

    def pipeline(
        self,
        ppl_id: str,
        *,
        project: str = WEB,
        branch: str = "main",
        commit: str | None = None,
        wf: str | None = None,
        directory: str = ".semaphore",
        yml: str = "semaphore.yml",
        running: datetime | None,
        done: datetime,
        result: str,
        reason: str = "TEST",
        created: datetime | None = None,
        promoted: bool = False,
    ) -> Pipeline:
        """A DONE pipeline; its workflow is created with it unless `wf` names an existing one."""
        created = created or (running or done) - timedelta(minutes=1)
        if wf is None:
            wf = f"wf-{ppl_id}"
            self.workflow(wf, project, branch, commit or f"sha-{ppl_id}", created)
            self.world.workflows[uid(wf)].initial_ppl_id = uid(ppl_id)
        workflow = self.world.workflows[uid(wf)]
        ppl = Pipeline(
            ppl_id=uid(ppl_id),
            wf_id=workflow.wf_id,
            project_id=project,
            name="Pipeline",
            branch_name=workflow.branch_name,
            commit_sha=workflow.commit_sha,
            commit_message="",
            working_directory=directory,
            yaml_file_name=yml,
            created_at=created,
            pending_at=created + timedelta(seconds=1),
            queuing_at=created + timedelta(seconds=2),
            running_at=running,
            stopping_at=None,
            done_at=done,
            state="DONE",
            result=result,
            result_reason=reason,
            terminate_request="",
            terminated_by="",
            hook_id=workflow.hook_id,
            branch_id=workflow.branch_id,
            error_description="",
            switch_id=uid(f"switch-{ppl_id}"),
            snapshot_id="",
            promotion_of="",
            partial_rerun_of="",
            partially_rerun_by="",
            compile_task_id="",
            with_after_task=False,
            after_task_id="",
            repository_id=workflow.repository_id,
            organization_id=ORG,
            queue=Queue(uid(f"q-{project}"), "main", "project", project, ORG, "IMPLICIT"),
            triggerer=Triggerer(
                "HOOK", "", uid("user-1"), "", "", "", "PROMOTION" if promoted else "WORKFLOW", "", "", ""
            ),
            env_vars=[],
            label=workflow.branch_name,
        )
        self.world.pipelines[ppl.ppl_id] = ppl
        return ppl

    def deployment(
        self,
        target: DeploymentTarget,
        dep_id: str,
        source: str,
        deployed: str | None,
        at: datetime,
        state: str,
    ) -> None:
        target.deployments.insert(
            0,
            Deployment(
                id=uid(dep_id),
                target_id=target.id,
                target_name=target.name,
                prev_pipeline_id=uid(source),
                pipeline_id=uid(deployed) if deployed else "",
                triggered_by=uid("user-1"),
                triggered_at=at,
                state=state,
                state_message="",
                switch_id=uid(f"switch-{source}"),
                env_vars=[],
                can_requester_rerun=True,
            ),
        )

    def target(self, tid: str, name: str, project: str) -> DeploymentTarget:
        target = DeploymentTarget(
            id=uid(tid),
            name=name,
            description="",
            url="",
            organization_id=ORG,
            project_id=project,
            created_by=uid("user-1"),
            created_at=t(1, 0),
            updated_by=uid("user-1"),
            updated_at=t(1, 0),
            state="USABLE",
            state_message="",
            subject_rules=[],
            object_rules=[],
            active=True,
        )
        self.world.deployment_targets.append(target)
        return target


def parity_world() -> World:
    """Project `web` (see the parity test for every figure worked out) and project `shop` (DORA)."""
    b = Builder()
    s = 0.7  # sub-second parts: durations truncate to whole seconds
    # Day 27, branch main (the CI branch). Run times are done - running.
    b.pipeline("a1", running=t(27, 9, -100.7), done=t(27, 9), result="PASSED")  # 100 s
    b.pipeline(
        "a6", running=t(27, 10, -121.5), done=t(27, 10), result="PASSED", directory="./.semaphore"
    )  # 121 s
    b.pipeline("a4", running=t(27, 11, -50), done=t(27, 11), result="STOPPED", reason="USER")  # 50 s
    b.pipeline(
        "a2", running=t(27, 12, -200.2), done=t(27, 12), result="FAILED", directory="./.semaphore"
    )  # 200 s
    b.pipeline("a3", running=t(27, 13, -3600.9), done=t(27, 13), result="STOPPED", reason="TIMEOUT")  # 3600 s
    b.pipeline("a5", running=None, done=t(27, 13.5), result="CANCELED", reason="STRATEGY")  # never ran
    b.pipeline("a7", running=None, done=t(27, 14), result="FAILED", reason="MALFORMED")  # never ran
    # Day 27, branch feat.
    b.pipeline("b1", branch="feat", running=t(27, 14, -300), done=t(27, 14), result="PASSED")  # 300 s
    b.pipeline(
        "b2", branch="feat", running=t(27, 15, -40.4), done=t(27, 15), result="STOPPED", reason="FAST_FAILING"
    )
    # Day 28.
    b.pipeline("c1", running=t(28, 8, -90.999), done=t(28, 8), result="FAILED")  # 90 s
    b.pipeline("c2", running=t(28, 9, -60), done=t(28, 9), result="PASSED", directory="./.semaphore")  # 60 s
    b.pipeline("c3", running=t(28, 10, -10), done=t(28, 10), result="STOPPED", reason="USER")  # 10 s
    b.pipeline("b3", branch="feat", running=t(28, 15, -20), done=t(28, 15), result="PASSED")  # 20 s
    # Day 29: 20 passed runs of 10, 20, ..., 190 and 1000 seconds, one an hour from 01:00.
    for k in range(1, 21):
        seconds = 10 * k if k < 20 else 1000
        b.pipeline(f"d{k:02d}", running=t(29, k, -seconds - s), done=t(29, k), result="PASSED")
    # Day 30 and 31: a failure recovered on the 31st at 05:00, then a pass today.
    b.pipeline("e1", running=t(30, 20, -30), done=t(30, 20), result="FAILED")  # 30 s
    b.pipeline("e2", running=t(31, 5, -45), done=t(31, 5), result="PASSED")  # 45 s
    b.pipeline("e3", running=t(32, 8, -15), done=t(32, 8), result="PASSED")  # today (2026-11-01), 15 s
    _shop(b)
    return b.world


def _shop(b: Builder) -> None:
    """Project shop, branch main, 2026-10-20 (hours): commits k1..k6 pushed (first workflow created) at
    1, 2, 5, 6, 9, 13; CI pipelines build them; deployments to production:
    d1 03:00 V1=k2 (deploy pipeline done 03:10), d2 07:00 V2=k4 (07:20), d3 10:00 V3=k5 (10:05),
    d4 12:00 V1=k2 again (12:10: a rollback), d5 14:00 k6 (deploy pipeline FAILED 14:05),
    d6 16:00 k6 again (16:10). Staging: s1 09:30 k5 (09:35)."""
    pushes = {"k1": 1, "k2": 2, "k3": 5, "k4": 6, "k5": 9, "k6": 13}
    for commit, hour in pushes.items():
        b.workflow(f"wf-{commit}", SHOP, "main", commit, t(20, hour))
        b.pipeline(
            f"ci-{commit}",
            project=SHOP,
            wf=f"wf-{commit}",
            created=t(20, hour),
            running=t(20, hour, 10),
            done=t(20, hour, 600),
            result="PASSED",
        )
    production = b.target("t-prod", "production", SHOP)
    staging = b.target("t-stage", "staging", SHOP)
    for dep_id, commit, hour, done_min, result in (
        ("d1", "k2", 3, 10, "PASSED"),
        ("d2", "k4", 7, 20, "PASSED"),
        ("d3", "k5", 10, 5, "PASSED"),
        ("d4", "k2", 12, 10, "PASSED"),
        ("d5", "k6", 14, 5, "FAILED"),
        ("d6", "k6", 16, 10, "PASSED"),
        ("s1", "k5", 9.5, 5, "PASSED"),
    ):
        deployed = f"deploy-{dep_id}"
        b.pipeline(
            deployed,
            project=SHOP,
            wf=f"wf-{commit}",
            yml="production.yml",
            created=t(20, hour, 1),
            running=t(20, hour, 2),
            done=t(20, hour, done_min * 60),
            result=result,
            promoted=True,
        )
        target = staging if dep_id.startswith("s") else production
        b.deployment(target, dep_id, f"ci-{commit}", deployed, t(20, hour), "STARTED")
