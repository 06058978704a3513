"""Live mode: `world.advance(delta)` moves the clock and the organization along, deterministically."""

from datetime import timedelta

import pytest

from semaphore_dagster.emulator import World
from semaphore_dagster_tests.conftest import FIXED_NOW, make_world


def test_clock_moves_and_running_pipeline_finishes():
    world = make_world("tiny")
    running = [p.ppl_id for p in world.pipelines.values() if p.state != "DONE"]
    assert running
    log_before = {}
    for ppl_id in running:
        for job in world.pipelines[ppl_id].jobs():
            if job.state == "RUNNING":
                log = world.job_log(job.job_id)
                assert log.error is None and not log.finished
                log_before[job.job_id] = list(log.events())
    world.advance(timedelta(hours=2))
    assert world.now() == FIXED_NOW + timedelta(hours=2)
    for ppl_id in running:
        p = world.pipelines[ppl_id]
        assert p.state == "DONE" and p.result and p.done_at <= world.now()
        assert all(j.state == "FINISHED" and world.jobs[j.job_id] is j for j in p.jobs())
    assert log_before, "expected at least one job with a growing log"
    for job_id, prefix in log_before.items():
        log = world.job_log(job_id)
        full = list(log.events())
        assert log.finished and full[: len(prefix)] == prefix and len(full) > len(prefix)


def test_new_workflows_and_pipelines_appear_inside_the_step():
    world = make_world("tiny", pipelines_per_day=24.0)
    before = set(world.pipelines)
    before_wf = set(world.workflows)
    version = world.version
    world.advance(timedelta(hours=6))
    new = [world.pipelines[i] for i in set(world.pipelines) - before]
    assert new and set(world.workflows) - before_wf
    assert all(FIXED_NOW < p.created_at <= world.now() for p in new)
    assert world.version > version
    newest = world.list_pipelines(project_id=new[0].project_id)[0]
    assert newest.created_at > FIXED_NOW
    assert world.list_pipelines(project_id=new[0].project_id, created_after=int(FIXED_NOW.timestamp()))


def test_promotions_are_added_to_old_pipelines():
    world = make_world("tiny")
    for _ in range(48):
        world.advance(timedelta(hours=1))
        late = [
            pr
            for rows in world.promotions.values()
            for pr in rows
            if pr.triggered_at > FIXED_NOW and world.pipelines[pr.ppl_id].done_at < FIXED_NOW
        ]
        if late:
            break
    assert late, "no promotion was added to a pipeline done before the start"


def test_deployment_goes_from_pending_to_started():
    world = make_world("tiny", pipelines_per_day=24.0)
    due = []
    for _ in range(48):  # until a deployment that schedules a pipeline is planned
        due = sorted(
            (d, s, o) for d, s, kind, o, _ in world._future if kind == "deployment" and o.pipeline_id
        )
        if due:
            break
        world.advance(timedelta(hours=1))
    assert due, "nothing planned"
    when, _, deployment = due[0]
    world.advance(when - world.now())
    target = world.deployment_target(deployment.target_id)
    seen = next(d for d in target.deployments if d.id == deployment.id)
    assert seen.state == "PENDING" and seen.pipeline_id == ""
    world.advance(timedelta(seconds=10))
    seen = next(d for d in world.deployments(target.id) if d.id == deployment.id)
    assert seen.state == "STARTED" and seen.pipeline_id in world.pipelines


def test_agents_come_and_go():
    world = make_world("tiny")
    names = {a.name for a in world.agents}
    world.advance(timedelta(hours=12))
    now_names = {a.name for a in world.agents}
    assert names - now_names and now_names - names
    assert all(a.connected_at <= world.now() for a in world.agents)


def test_live_mode_is_deterministic():
    a, b = make_world("tiny"), make_world("tiny")
    for world in (a, b):
        for hours in (1, 3, 0.5):
            world.advance(timedelta(hours=hours))
    assert a.ground_truth() == b.ground_truth()


def test_advance_rejects_bad_steps():
    world: World = make_world("tiny")
    with pytest.raises(ValueError, match="non-negative"):
        world.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError, match="at most"):
        world.advance(timedelta(days=30))
