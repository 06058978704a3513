"""Plans workflows: each one's pipelines with their whole timeline, and what follows them (flaky re-runs,
partial re-runs, promotions, deployments, rollbacks).

Everything is drawn from one `random.Random` (never the global one) and queued with `timeline.schedule`;
`timeline.reveal` shows it when its time comes. Generation and live mode both plan through this class.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from semaphore_dagster.emulator.model import (
    Block,
    Deployment,
    Job,
    JobLogSpec,
    Pipeline,
    Promotion,
    Queue,
    Triggerer,
    Workflow,
    to_s,
)
from semaphore_dagster.emulator.profiles import COMMIT_MESSAGES, BlockTemplate, ProjectProfile
from semaphore_dagster.emulator.timeline import NEVER_STARTED, schedule

AUTO_PROMOTER = "Pipeline Done request"
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # version nibble and variant bits
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)  # version 4, RFC 4122 variant
FAILED_DEPLOYMENT_MESSAGES = (
    "Deployment target is cordoned",
    "Subject rules of the deployment target are not satisfied",
    "Object rules of the deployment target are not satisfied",
)


@dataclass(slots=True)
class User:
    id: str
    login: str
    uid: str

    @property
    def avatar(self) -> str:
        return f"https://avatars.githubusercontent.com/u/{self.uid}?v=4"


@dataclass(slots=True)
class Outcome:
    """How a planned pipeline ends: `kind` run|stop|cancel|malformed; failing jobs as (block, job) indexes."""

    kind: str = "run"
    fail_jobs: set[tuple[int, int]] = field(default_factory=set)
    flaky: bool = False  # a failure came (only) from flaky jobs
    stop_fraction: float = 0.5
    stop_in_queue: bool = False  # the stop lands while a job waits for a machine (it never starts)
    stop_at: datetime | None = None  # a stop at this exact time (overrides stop_fraction)
    stop_grace: tuple[float, float] = (0.3, 2.0)  # seconds the agents take to stop running jobs
    pending_seconds: float | None = None  # time in PENDING (compiling); default a fraction of a second


def lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> float:
    return min(high, max(low, median * math.exp(rng.gauss(0.0, sigma))))


class Planner:
    def __init__(self, world, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.cfg = world.config

    # small helpers ----------------------------------------------------------------------------------------

    def uuid(self) -> str:
        """A lowercase version-4-shaped UUID drawn from the rng (str(uuid.UUID(...)) is slow in bulk)."""
        n = self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def sha(self) -> str:
        return f"{self.rng.getrandbits(160):040x}"

    def user(self) -> User:
        return self.rng.choice(self.world.users)

    def secs(self, low: float, high: float) -> timedelta:
        return timedelta(microseconds=int(self.rng.uniform(low, high) * 1_000_000))

    # workflows --------------------------------------------------------------------------------------------

    def plan_workflow(
        self,
        profile: ProjectProfile,
        created_at: datetime,
        *,
        triggered_by: str | None = None,
        scheduler_id: str = "",
        queue_wait: float | None = None,
        outcome: Outcome | None = None,
    ) -> Workflow:
        """A new workflow at `created_at` with its initial pipeline and everything that follows from it."""
        rng = self.rng
        project = profile.project
        if triggered_by == "SCHEDULE":
            kind = "branch"
            branch = project.default_branch
        else:
            r = rng.random()
            kind = "default" if r < 0.45 else "branch" if r < 0.72 else "pr" if r < 0.94 else "tag"
            branch = project.default_branch if kind == "default" else rng.choice(profile.branches)
        label = branch
        pr_head = pr_target = ""
        if kind == "pr":
            label = str(profile.next_pr)
            pr_head, pr_target = branch, project.default_branch
            branch = f"pull-request-{profile.next_pr}"
            profile.next_pr += 1 if rng.random() < 0.6 else 0
        elif kind == "tag":
            major, minor, patch = profile.next_tag
            label = f"v{major}.{minor}.{patch}"
            branch = f"refs/tags/{label}"
            profile.next_tag = (major, minor + 1, 0) if rng.random() < 0.3 else (major, minor, patch + 1)
        if triggered_by is None:
            triggered_by = "HOOK" if rng.random() < 0.9 else rng.choice(("API", "MANUAL_RUN"))
        requester = self.user()
        wf = Workflow(
            wf_id=self.uuid(),
            initial_ppl_id="",
            project_id=project.id,
            hook_id=self.uuid() if triggered_by == "HOOK" else "",
            requester_id=requester.id,
            branch_id=profile.branch_ids.setdefault(branch, self.uuid()),
            branch_name=branch,
            commit_sha=self.sha(),
            created_at=created_at,
            triggered_by=triggered_by,
            rerun_of="",
            repository_id=project.repository_id,
            organization_id=project.org_id,
            commit_message=rng.choice(COMMIT_MESSAGES),
            label=label,
        )
        self._start_workflow(
            profile,
            wf,
            requester,
            scheduler_id,
            queue_wait=queue_wait,
            pr=(pr_head, pr_target),
            kind=kind,
            outcome=outcome,
        )
        return wf

    def _start_workflow(
        self,
        profile: ProjectProfile,
        wf: Workflow,
        requester: User,
        scheduler_id: str = "",
        *,
        queue_wait: float | None = None,
        pr: tuple[str, str] = ("", ""),
        kind: str = "default",
        outcome: Outcome | None = None,
    ) -> Pipeline:
        nightly = wf.triggered_by == "SCHEDULE"
        ppl = self.plan_pipeline(
            profile,
            wf,
            wf.created_at,
            requester,
            yml="nightly.yml" if nightly else "semaphore.yml",
            name="Nightly" if nightly else profile.project.name.replace("-", " ").title() + " CI",
            templates=profile.nightly_blocks if nightly else profile.blocks,
            switch=bool(profile.promotions) and not nightly,
            wf_triggerer_id=scheduler_id if nightly else (wf.hook_id or requester.id),
            queue_wait=queue_wait,
            pr=pr,
            outcome=outcome,
        )
        wf.initial_ppl_id = ppl.ppl_id
        schedule(self.world, wf.created_at, "workflow", wf)
        self._follow_ups(profile, wf, ppl, kind)
        return ppl

    def _follow_ups(self, profile: ProjectProfile, wf: Workflow, ppl: Pipeline, kind: str) -> None:
        rng, cfg = self.rng, self.cfg
        if ppl.result == "FAILED" and ppl.result_reason == "TEST":
            if self._last_outcome.flaky and rng.random() < min(0.95, cfg.flaky_rate / 0.06 * 0.6):
                self._rerun_workflow(profile, wf, ppl, kind)
            elif rng.random() < cfg.partial_rerun_rate / 0.15:
                self._partial_rerun(profile, wf, ppl)
        if ppl.result == "PASSED" and profile.promotions and kind in ("default", "tag"):
            self._promotions(profile, wf, ppl, kind)

    def _rerun_workflow(self, profile: ProjectProfile, original: Workflow, ppl: Pipeline, kind: str) -> None:
        """The same commit run again (a flaky failure): this time the flaky job passes."""
        assert ppl.done_at is not None
        requester = self.user()
        wf = Workflow(
            wf_id=self.uuid(),
            initial_ppl_id="",
            project_id=original.project_id,
            hook_id=original.hook_id,
            requester_id=requester.id,
            branch_id=original.branch_id,
            branch_name=original.branch_name,
            commit_sha=original.commit_sha,
            created_at=ppl.done_at + self.secs(60, 2400),
            triggered_by=original.triggered_by,
            rerun_of=original.wf_id,
            repository_id=original.repository_id,
            organization_id=original.organization_id,
            commit_message=original.commit_message,
            label=original.label,
        )
        self._start_workflow(
            profile,
            wf,
            requester,
            pr=(ppl.pr_head_branch, ppl.pr_target_branch),
            kind=kind,
            outcome=Outcome(),
        )

    def _partial_rerun(self, profile: ProjectProfile, wf: Workflow, original: Pipeline) -> None:
        assert original.done_at is not None
        requester = self.user()
        rerun = self.plan_pipeline(
            profile,
            wf,
            original.done_at + self.secs(120, 3600),
            requester,
            yml=original.yaml_file_name,
            name=original.name,
            templates=profile.nightly_blocks if original.yaml_file_name == "nightly.yml" else profile.blocks,
            switch=bool(original.switch_id),
            wf_triggerer_id=original.triggerer.wf_triggerer_id,
            ppl_triggered_by="PARTIAL_RE_RUN",
            partial_rerun_of=original.ppl_id,
            pr=(original.pr_head_branch, original.pr_target_branch),
            outcome=Outcome() if self.rng.random() < 0.75 else None,
        )
        _mark_reused(original, rerun)

    # promotions and deployments ---------------------------------------------------------------------------

    def _promotions(self, profile: ProjectProfile, wf: Workflow, ppl: Pipeline, kind: str) -> None:
        rng, cfg = self.rng, self.cfg
        assert ppl.done_at is not None
        names = profile.promotions
        if kind == "default" and rng.random() < cfg.promotion_rate:
            staged = self.promote(profile, wf, ppl, names[0], ppl.done_at + self.secs(0.5, 2.5), auto=True)
            if (
                staged is not None
                and staged.result == "PASSED"
                and len(names) > 1
                and rng.random() < cfg.production_rate
            ):
                assert staged.done_at is not None
                at = staged.done_at + timedelta(seconds=lognormal(rng, 2400, 1.0, 120, 3 * 86400))
                self._to_production(profile, wf, ppl, names[-1], at)
        elif kind == "tag" and rng.random() < cfg.production_rate * 2:
            self._to_production(
                profile,
                wf,
                ppl,
                names[-1],
                ppl.done_at + timedelta(seconds=lognormal(rng, 1800, 0.8, 60, 86400)),
            )

    def _to_production(
        self, profile: ProjectProfile, wf: Workflow, ppl: Pipeline, name: str, at: datetime
    ) -> None:
        previous = profile.production_sources[-1] if profile.production_sources else ""
        self.promote(profile, wf, ppl, name, at, auto=False)
        profile.production_sources.append(ppl.ppl_id)
        if previous and self.rng.random() < 0.12:  # roll back to the pipeline deployed before
            old = self.world._planned.get(previous)
            if old is not None:
                owner = self.world._planned_wf[old.wf_id]
                self.promote(profile, owner, old, name, at + self.secs(900, 7200), auto=False, override=True)

    def promote(
        self,
        profile: ProjectProfile,
        wf: Workflow,
        src: Pipeline,
        name: str,
        at: datetime,
        *,
        auto: bool,
        override: bool = False,
    ) -> Pipeline | None:
        """Trigger promotion `name` of `src` at `at`: a promotion, a deployment and (unless it fails to be
        scheduled) the promoted pipeline. Returns the promoted pipeline."""
        rng = self.rng
        user = self.user()
        triggered_by = AUTO_PROMOTER if auto else user.id
        failed = rng.random() < 0.05
        promoted = None
        scheduled_at = None
        if not failed:
            scheduled_at = at + self.secs(0.2, 3.0)
            promoted = self.plan_pipeline(
                profile,
                wf,
                scheduled_at,
                user,
                yml=f"{name.lower()}-deploy.yml",
                name=f"Deploy to {name}",
                templates=profile.deploy_blocks,
                switch=False,
                wf_triggerer_id=src.triggerer.wf_triggerer_id,
                ppl_triggered_by="AUTO_PROMOTION" if auto else "PROMOTION",
                promotion_of=src.ppl_id,
                env_vars=[{"name": "DEPLOY_ENV", "value": name.lower()}],
                pr=(src.pr_head_branch, src.pr_target_branch),
            )
        promotion = Promotion(
            ppl_id=src.ppl_id,
            name=name,
            triggered_at=at,
            triggered_by=triggered_by,
            override=override,
            status="FAILED" if failed else "PASSED",
            scheduled_at=scheduled_at,
            scheduled_pipeline_id=promoted.ppl_id if promoted else "",
        )
        schedule(self.world, at, "promotion", promotion)
        target = profile.targets.get(name)
        if target is not None:
            deployment = Deployment(
                id=self.uuid(),
                target_id=target.id,
                target_name=target.name,  # gofer names the target itself ("staging"), not the promotion
                prev_pipeline_id=src.ppl_id,
                pipeline_id=promoted.ppl_id if promoted else "",
                triggered_by=triggered_by,
                triggered_at=at,
                state="FAILED" if failed else "STARTED",
                state_message=rng.choice(FAILED_DEPLOYMENT_MESSAGES) if failed else "",
                switch_id=src.switch_id,
                env_vars=[
                    {"name": "DEPLOY_ENV", "value": name.lower()},
                    {"name": "RELEASE_TOKEN", "value": f"tok-{rng.getrandbits(48):012x}"},
                ],
                can_requester_rerun=rng.random() < 0.7,
            )
            schedule(self.world, at, "deployment", deployment, target)
        return promoted

    # pipelines --------------------------------------------------------------------------------------------

    def plan_pipeline(
        self,
        profile: ProjectProfile,
        wf: Workflow,
        created_at: datetime,
        requester: User,
        *,
        yml: str,
        name: str,
        templates: list[BlockTemplate],
        switch: bool,
        wf_triggerer_id: str,
        ppl_triggered_by: str = "WORKFLOW",
        promotion_of: str = "",
        partial_rerun_of: str = "",
        env_vars: list[dict] | None = None,
        queue_wait: float | None = None,
        pr: tuple[str, str] = ("", ""),
        outcome: Outcome | None = None,
    ) -> Pipeline:
        """Plan one pipeline's whole life (its final form) and queue it for `timeline.reveal`."""
        project = profile.project
        outcome = outcome or self._draw_outcome(templates)
        self._last_outcome = outcome
        deploy = ppl_triggered_by in ("PROMOTION", "AUTO_PROMOTION")
        queue_name = f"{yml.split('-')[0]}-deployments" if deploy else f"{wf.branch_name}-.semaphore/{yml}"
        queue = Queue(
            queue_id=profile.queue_ids.setdefault(queue_name, self.uuid()),
            name=queue_name,
            scope="project",
            project_id=project.id,
            organization_id=project.org_id,
            type="USER_GENERATED" if deploy else "IMPLICIT",
        )
        user_trigger = ppl_triggered_by in ("PROMOTION", "PARTIAL_RE_RUN")
        triggerer = Triggerer(
            wf_triggered_by=wf.triggered_by,
            wf_triggerer_id=wf_triggerer_id,
            wf_triggerer_user_id=wf.requester_id,
            wf_triggerer_provider_login=next(
                (u.login for u in self.world.users if u.id == wf.requester_id), ""
            ),
            wf_triggerer_provider_uid=next((u.uid for u in self.world.users if u.id == wf.requester_id), ""),
            wf_triggerer_provider_avatar=next(
                (u.avatar for u in self.world.users if u.id == wf.requester_id), ""
            ),
            ppl_triggered_by=ppl_triggered_by,
            ppl_triggerer_id=requester.id if user_trigger else "",
            ppl_triggerer_user_id=requester.id if user_trigger else "",
            workflow_rerun_of=wf.rerun_of,
        )
        ppl = Pipeline(
            ppl_id=self.uuid(),
            wf_id=wf.wf_id,
            project_id=project.id,
            name=name,
            branch_name=wf.branch_name,
            commit_sha=wf.commit_sha,
            commit_message=wf.commit_message,
            working_directory=".semaphore",
            yaml_file_name=yml,
            created_at=created_at,
            pending_at=None,
            queuing_at=None,
            running_at=None,
            stopping_at=None,
            done_at=None,
            state="DONE",
            result="",
            result_reason="",
            terminate_request="",
            terminated_by="",
            hook_id=wf.hook_id,
            branch_id=wf.branch_id,
            error_description="",
            switch_id=self.uuid() if switch else "",
            snapshot_id="",
            promotion_of=promotion_of,
            partial_rerun_of=partial_rerun_of,
            partially_rerun_by="",
            compile_task_id="",
            with_after_task=False,
            after_task_id="",
            repository_id=project.repository_id,
            organization_id=project.org_id,
            queue=queue,
            triggerer=triggerer,
            env_vars=env_vars or [],
            label=wf.label,
            pr_head_branch=pr[0],
            pr_target_branch=pr[1],
        )
        self._timeline(ppl, templates, outcome, queue_wait, requester)
        self.world._planned[ppl.ppl_id] = ppl
        self.world._planned_wf[wf.wf_id] = wf
        schedule(self.world, created_at, "pipeline", ppl)
        return ppl

    def _draw_outcome(self, templates: list[BlockTemplate]) -> Outcome:
        rng, cfg = self.rng, self.cfg
        r = rng.random()
        if r < cfg.never_started_rate:
            return Outcome("stop", stop_in_queue=True)
        r -= cfg.never_started_rate
        if r < cfg.stop_rate:
            return Outcome("stop", stop_fraction=rng.uniform(0.1, 0.9))
        r -= cfg.stop_rate
        if r < cfg.cancel_rate:
            return Outcome("cancel")
        r -= cfg.cancel_rate
        if r < 0.006:
            return Outcome("malformed")
        outcome = Outcome()
        slots = [(bi, ji) for bi, b in enumerate(templates) for ji in range(len(b.jobs))]
        for bi, ji in slots:
            if rng.random() < templates[bi].jobs[ji].flaky:
                outcome.fail_jobs.add((bi, ji))
        outcome.flaky = bool(outcome.fail_jobs)
        if rng.random() < cfg.failure_rate * 0.6:
            outcome.fail_jobs.add(rng.choice(slots))
            outcome.flaky = False
        return outcome

    def _timeline(
        self,
        ppl: Pipeline,
        templates: list[BlockTemplate],
        outcome: Outcome,
        queue_wait: float | None,
        user: User,
    ) -> None:
        """Fill in the pipeline's timestamps, blocks, jobs and result for `outcome`."""
        rng = self.rng
        ppl.pending_at = ppl.created_at + self.secs(0.2, 3.0)
        if outcome.kind == "malformed":
            ppl.pending_at = None
            ppl.done_at = ppl.created_at + self.secs(0.5, 2.0)
            ppl.result, ppl.result_reason = "FAILED", "MALFORMED"
            ppl.error_description = (
                "{:malformed, \"Error: unknown field 'agnet' in .semaphore/" + ppl.yaml_file_name + '"}'
            )
            return
        pending = outcome.pending_seconds
        ppl.queuing_at = ppl.pending_at + (
            self.secs(0.01, 0.2) if pending is None else timedelta(seconds=pending)
        )
        if queue_wait is None:
            queue_wait = (
                lognormal(rng, 0.08, 0.5, 0.01, 1)
                if rng.random() < 0.85
                else lognormal(rng, 60, 1.2, 2, 3600)
            )
        if outcome.kind == "cancel":
            ppl.done_at = ppl.queuing_at + timedelta(seconds=max(1.0, queue_wait)) + self.secs(1, 120)
            ppl.result, ppl.result_reason = "CANCELED", "STRATEGY"
            ppl.terminate_request, ppl.terminated_by = "cancel", "branch"
            ppl.blocks = [
                self._empty_block(ppl, t.name, t.dependencies, "CANCELED", "STRATEGY") for t in templates
            ]
            return
        ppl.running_at = ppl.queuing_at + timedelta(seconds=queue_wait)
        plans = self._plan_jobs(ppl, templates, outcome)
        ends = [j.finish_time for b in plans for j in b.jobs if j.finish_time]
        natural_end = max(ends) if ends else ppl.running_at + self.secs(1, 5)
        cut = None  # stop or fail-fast time
        if outcome.kind == "stop":
            cut = ppl.running_at + (natural_end - ppl.running_at) * outcome.stop_fraction
            queued = [j for b in plans for j in b.jobs if j.start_time and j.enqueue_time]
            if outcome.stop_at is not None:
                cut = outcome.stop_at
            elif outcome.stop_in_queue and queued:
                job = rng.choice(queued)
                assert job.start_time is not None and job.enqueue_time is not None
                cut = job.enqueue_time + (job.start_time - job.enqueue_time) * rng.uniform(0.2, 0.8)
            ppl.stopping_at = cut
            ppl.terminate_request, ppl.terminated_by = "stop", user.id
        elif outcome.fail_jobs and ppl.project_id in self.world._fail_fast:
            failed_ends = [
                j.finish_time for b in plans for j in b.jobs if j.result == "FAILED" and j.finish_time
            ]
            cut = min(failed_ends) if failed_ends else None
        if cut is not None:
            self._cut(ppl, plans, cut, stopped=outcome.kind == "stop", grace=outcome.stop_grace)
        ppl.blocks = plans
        ends = [j.finish_time for b in plans for j in b.jobs if j.finish_time]
        if cut is not None:
            ends.append(cut)
        ppl.done_at = (max(ends) if ends else ppl.running_at) + self.secs(0.3, 3.0)
        if outcome.kind == "stop":
            ppl.result, ppl.result_reason = "STOPPED", "USER"
        elif any(b.result == "FAILED" for b in plans):
            ppl.result, ppl.result_reason = "FAILED", "TEST"
        else:
            ppl.result, ppl.result_reason = "PASSED", "TEST"

    def _empty_block(self, ppl: Pipeline, name: str, deps, result: str, reason: str) -> Block:
        return Block(self.uuid(), ppl.ppl_id, name, self.uuid(), "DONE", result, reason, "", list(deps))

    def _plan_jobs(self, ppl: Pipeline, templates: list[BlockTemplate], outcome: Outcome) -> list[Block]:
        rng = self.rng
        assert ppl.running_at is not None
        finish_of: dict[str, datetime] = {}
        failed_blocks: set[str] = set()
        blocks = []
        for bi, tpl in enumerate(templates):
            if any(d in failed_blocks or d not in finish_of for d in tpl.dependencies):
                failed_blocks.add(tpl.name)
                blocks.append(self._empty_block(ppl, tpl.name, tpl.dependencies, "CANCELED", "SKIPPED"))
                continue
            deps_done = max((finish_of[d] for d in tpl.dependencies), default=ppl.running_at)
            start = deps_done + self.secs(0.3, 2.5)
            block = Block(
                self.uuid(),
                ppl.ppl_id,
                tpl.name,
                self.uuid(),
                "DONE",
                "PASSED",
                "TEST",
                "",
                list(tpl.dependencies),
            )
            for ji, jt in enumerate(tpl.jobs):
                # now and then a job waits for the organization's quota (Jobs API state PENDING)
                enqueue = start + (self.secs(0.05, 0.8) if rng.random() > 0.05 else self.secs(5, 90))
                wait = (
                    lognormal(rng, 12, 1.1, 1, 1800) if jt.self_hosted else lognormal(rng, 4, 0.8, 0.5, 600)
                )
                job_start = enqueue + timedelta(seconds=wait)
                seconds = lognormal(rng, jt.seconds, 0.2, 3, 7200)
                fails = (bi, ji) in outcome.fail_jobs
                if fails:
                    seconds *= rng.uniform(0.3, 1.0)
                finish = job_start + timedelta(seconds=seconds)
                job = self._job(
                    ppl, block, ji, jt, start, enqueue, job_start, finish, "FAILED" if fails else "PASSED"
                )
                block.jobs.append(job)
            if any(j.result == "FAILED" for j in block.jobs):
                block.result = "FAILED"
                failed_blocks.add(tpl.name)
            finish_of[tpl.name] = max(j.finish_time for j in block.jobs if j.finish_time)
            blocks.append(block)
        return blocks

    def _job(self, ppl, block, index, jt, create, enqueue, start, finish, result) -> Job:
        rng, world = self.rng, self.world
        if jt.self_hosted:
            pool = world._agent_names.get(jt.machine_type) or ["agent"]
            agent_name, agent_ip, ports = (
                rng.choice(pool),
                f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                [],
            )
        else:
            agent_name, agent_ip = "", f"94.130.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            ports = [{"name": "ssh", "number": rng.randint(30000, 65000)}]
        job = Job(
            job_id=self.uuid(),
            ppl_id=ppl.ppl_id,
            block_id=block.block_id,
            project_id=ppl.project_id,
            name=jt.name,
            index=index,
            create_time=create,
            enqueue_time=enqueue,
            start_time=start,
            finish_time=finish,
            state="FINISHED",
            result=result,
            machine_type=jt.machine_type,
            os_image=jt.os_image,
            self_hosted=jt.self_hosted,
            agent_name=agent_name,
            agent_ip=agent_ip,
            agent_ports=ports,
            commands=list(jt.commands),
            secrets=["aws-creds"]
            if "docker" in " ".join(jt.commands) or "deploy" in " ".join(jt.commands)
            else [],
            env_vars=[
                {"name": "SEMAPHORE_GIT_BRANCH", "value": ppl.branch_name},
                {"name": "CI_NODE_INDEX", "value": str(index)},
            ],
        )
        job.log = self._log_spec(job)
        return job

    def _log_spec(self, job: Job) -> JobLogSpec:
        assert job.start_time is not None and job.finish_time is not None
        return JobLogSpec(
            seed=self.rng.getrandbits(32),
            seconds=max(0, to_s(job.finish_time) - to_s(job.start_time)),
            result=job.result,
            events=self.cfg.log_events_per_job,
            chunk_bytes=self.cfg.log_event_bytes,
            ansi=self.rng.random() < 0.3,
        )

    def _cut(
        self, ppl: Pipeline, blocks: list[Block], cut: datetime, *, stopped: bool, grace=(0.3, 2.0)
    ) -> None:
        """Stop everything still going at `cut` (a user stop, or fail-fast after the first failure)."""
        reason = "USER" if stopped else "FAST_FAILING"
        for block in blocks:
            if not block.jobs:
                continue
            if block.jobs[0].create_time > cut:  # the block never started
                block.jobs = []
                block.result, block.result_reason = "STOPPED" if stopped else "CANCELED", reason
                continue
            touched = False
            for job in block.jobs:
                assert job.finish_time is not None and job.start_time is not None
                if job.finish_time <= cut:
                    continue
                touched = True
                end = cut + self.secs(*grace)
                if job.start_time >= cut:  # never started: its log is a 404
                    job.start_time = None
                    if job.enqueue_time is not None and job.enqueue_time >= cut:
                        job.enqueue_time = None  # still PENDING when stopped
                    job.never_started_message = NEVER_STARTED
                    job.log = None
                    job.agent_name, job.agent_ip, job.agent_ports = "", "", []
                job.finish_time = end
                job.result = "STOPPED"
                if job.log is not None:
                    job.log = self._log_spec(job)
            if touched and block.result != "FAILED":
                block.result, block.result_reason = "STOPPED", reason


def _mark_reused(original: Pipeline, rerun: Pipeline) -> None:
    """A partial re-run re-runs what failed; the jobs that passed in both keep the original's result and
    artifacts (`source_job_id`, followed through chains of re-runs). Draws nothing from the rng."""
    before = {(b.name, j.name): j for b in original.blocks for j in b.jobs}
    for block in rerun.blocks:
        for job in block.jobs:
            old = before.get((block.name, job.name))
            if (
                old is not None
                and old.result == "PASSED"
                and job.result == "PASSED"
                and old.state == "FINISHED"
            ):
                job.source_job_id = old.source_job_id or old.job_id
