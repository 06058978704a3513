"""What the world looks like at a time `t`: the generator plans every entity's whole life up front (a
pipeline's final timeline, promotions and deployments that happen later), and this module reveals it.

`schedule(world, due, kind, obj)` queues a planned entity; `reveal(world, t)` makes everything due by `t`
visible, re-projects in-flight pipelines, promotions and deployments at `t`, and bumps the world's version.
Generation calls it once with `now`; live mode calls it after each clock step, so a running pipeline in
live mode follows exactly the timeline it was generated with.
"""

import heapq
from dataclasses import replace
from datetime import datetime, timedelta

from semaphore_dagster.emulator.model import Block, Deployment, Job, Pipeline, Promotion, Workflow

NEVER_STARTED = "This job never started, so no logs were produced."
FAILING_TAKES = timedelta(seconds=2)  # a deployment that cannot be scheduled is PENDING that long


def schedule(world, due: datetime, kind: str, obj, extra=None) -> None:
    """Queue a planned entity: it becomes visible at `due` (kinds: workflow, pipeline, promotion, deployment,
    trigger)."""
    world._seq += 1
    heapq.heappush(world._future, (due, world._seq, kind, obj, extra))


def reveal(world, t: datetime) -> None:
    """Make everything due by `t` visible and bring in-flight entities to their state at `t`."""
    while world._future and world._future[0][0] <= t:
        _due, _seq, kind, obj, extra = heapq.heappop(world._future)
        _REVEAL[kind](world, obj, extra, t)
    for ppl_id, final in list(world._inflight.items()):
        _show_pipeline(world, final, t)
        if world.pipelines[ppl_id].state == "DONE":
            del world._inflight[ppl_id]
    for key, final in list(world._inflight_promotions.items()):
        view = promotion_at(final, t)
        _replace_promotion(world, final, view)
        if view is final:
            del world._inflight_promotions[key]
    for key, (final, target) in list(world._inflight_deployments.items()):
        view = deployment_at(final, world, t)
        _replace_deployment(target, view)
        if view is final:
            del world._inflight_deployments[key]
    world.touch()


def _reveal_workflow(world, wf: Workflow, _extra, _t: datetime) -> None:
    world.workflows[wf.wf_id] = wf


def _reveal_pipeline(world, final: Pipeline, _extra, t: datetime) -> None:
    _show_pipeline(world, final, t)
    if world.pipelines[final.ppl_id].state != "DONE":
        world._inflight[final.ppl_id] = final
    if final.partial_rerun_of and final.partial_rerun_of in world.pipelines:
        world.pipelines[final.partial_rerun_of].partially_rerun_by = final.ppl_id


def _reveal_promotion(world, final: Promotion, _extra, t: datetime) -> None:
    view = promotion_at(final, t)
    world.promotions.setdefault(final.ppl_id, []).append(view)
    if view is not final:
        world._inflight_promotions[(final.ppl_id, final.name, final.triggered_at)] = final


def _reveal_deployment(world, final: Deployment, target, t: datetime) -> None:
    view = deployment_at(final, world, t)
    target.deployments.append(view)
    target.updated_at = max(target.updated_at or final.triggered_at, final.triggered_at)
    if view is not final:
        world._inflight_deployments[final.id] = (final, target)


def _reveal_trigger(world, trigger, schedule_obj, _t: datetime) -> None:
    schedule_obj.triggers.insert(0, trigger)


_REVEAL = {
    "workflow": _reveal_workflow,
    "pipeline": _reveal_pipeline,
    "promotion": _reveal_promotion,
    "deployment": _reveal_deployment,
    "trigger": _reveal_trigger,
}


def _show_pipeline(world, final: Pipeline, t: datetime) -> None:
    old = world.pipelines.get(final.ppl_id)
    view = pipeline_at(final, t)
    if old is not None:
        view.partially_rerun_by = old.partially_rerun_by
        for job in old.jobs():
            world.jobs.pop(job.job_id, None)
    world.pipelines[final.ppl_id] = view
    for job in view.jobs():
        world.jobs[job.job_id] = job


def _at(ts: datetime | None, t: datetime) -> datetime | None:
    return ts if ts is not None and ts <= t else None


def pipeline_at(final: Pipeline, t: datetime) -> Pipeline:
    """The pipeline as the API shows it at `t` (the final object itself once it is DONE by then)."""
    if final.done_at is not None and final.done_at <= t:
        return final
    stamps = {k: _at(getattr(final, k), t) for k in ("pending_at", "queuing_at", "running_at", "stopping_at")}
    state = "INITIALIZING"
    for key, name in (("pending_at", "PENDING"), ("queuing_at", "QUEUING"), ("running_at", "RUNNING")):
        if stamps[key] is not None:
            state = name
    if stamps["stopping_at"] is not None:
        state = "STOPPING"
    stopping = stamps["stopping_at"] is not None
    return replace(
        final,
        **stamps,
        done_at=None,
        state=state,
        result="",
        result_reason="",
        terminate_request=final.terminate_request if stopping else "",
        terminated_by=final.terminated_by if stopping else "",
        partially_rerun_by="",
        blocks=[_block_at(b, t) for b in final.blocks],
    )


def _block_at(final: Block, t: datetime) -> Block:
    jobs = [_job_at(j, t) for j in final.jobs if j.create_time <= t]
    if jobs and len(jobs) == len(final.jobs) and all(j.state == "FINISHED" for j in jobs):
        return replace(final, jobs=jobs)
    state = "RUNNING" if jobs else "WAITING"
    return replace(final, state=state, result="", result_reason="", jobs=jobs)


def _job_at(final: Job, t: datetime) -> Job:
    if final.finish_time is not None and final.finish_time <= t:
        return final
    start = _at(final.start_time, t)
    enqueue = _at(final.enqueue_time, t)
    state = "RUNNING" if start else "QUEUED" if enqueue else "PENDING"
    return replace(
        final,
        enqueue_time=enqueue,
        start_time=start,
        finish_time=None,
        state=state,
        result="NONE",
        never_started_message="",
        agent_name=final.agent_name if start else "",
        agent_ip=final.agent_ip if start else "",
        agent_ports=final.agent_ports if start else [],
    )


def promotion_at(final: Promotion, t: datetime) -> Promotion:
    if final.scheduled_at is None or final.scheduled_at <= t:
        return final
    return replace(final, status="PROCESSING", scheduled_at=None, scheduled_pipeline_id="")


def deployment_at(final: Deployment, world, t: datetime) -> Deployment:
    """PENDING until the promoted pipeline is scheduled (its `pipeline_id` is "" until then), or until gofer
    gives up on it (FAILED, a couple of seconds after the trigger)."""
    if final.state == "FAILED":
        return final if t >= final.triggered_at + FAILING_TAKES else replace(final, state="PENDING")
    if not final.pipeline_id:
        return final
    scheduled = world.pipelines.get(final.pipeline_id)
    if scheduled is not None and scheduled.created_at <= t:
        return final
    return replace(final, state="PENDING", pipeline_id="")


def _replace_promotion(world, final: Promotion, view: Promotion) -> None:
    rows = world.promotions.get(final.ppl_id, [])
    for i, row in enumerate(rows):
        if row.name == final.name and row.triggered_at == final.triggered_at:
            rows[i] = view


def _replace_deployment(target, view: Deployment) -> None:
    for i, row in enumerate(target.deployments):
        if row.id == view.id:
            target.deployments[i] = view
