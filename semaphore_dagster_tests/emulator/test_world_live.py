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


@pytest.mark.parametrize(
    "start, weekday_factor",
    [("2026-12-03T14:00:00", 1.15), ("2026-12-05T02:00:00", 0.25), ("2026-12-03T23:30:00", 1.15)],
    ids=["weekday peak", "weekend night", "before midnight"],
)
def test_wall_clock_ticks_bring_new_workflows_at_any_hour(start: str, weekday_factor: float) -> None:
    """The live thread's 50 ms ticks on the wall clock: new workflows at every hour (20% of a day's are
    spread evenly), each inside its tick, as many as the day's share of the window says."""
    import random
    from datetime import UTC, datetime

    from semaphore_dagster.emulator.live import AROUND_THE_CLOCK, TIME_OF_DAY, wall_clock_workflow_times

    rng, per_day, tick = random.Random(7), 2_000_000.0, timedelta(milliseconds=50)
    begin = t = datetime.fromisoformat(start).replace(tzinfo=UTC)
    drawn = 0
    for _ in range(400):  # 20 s
        times = wall_clock_workflow_times(rng, per_day, t, t + tick)
        assert all(t < at <= t + tick for at in times) and times == sorted(times)
        drawn += len(times)
        t += tick
    lo, hi = begin.hour + begin.minute / 60, t.hour + t.minute / 60 + t.second / 3600
    share = (1 - AROUND_THE_CLOCK) * (TIME_OF_DAY.cdf(hi) - TIME_OF_DAY.cdf(lo)) + AROUND_THE_CLOCK * (
        hi - lo
    ) / 24
    expected = per_day * weekday_factor * share
    assert expected > 20 and abs(drawn - expected) < 5 * expected**0.5  # within five standard deviations


def test_wall_clock_steps_over_a_day_add_up_to_the_day() -> None:
    """Steps of 7 minutes over a weekday bring that day's workflows, no more, no fewer."""
    import random
    from datetime import UTC, datetime

    from semaphore_dagster.emulator.live import wall_clock_workflow_times

    rng, t = random.Random(3), datetime(2026, 12, 3, tzinfo=UTC)  # a Thursday
    steps = [
        wall_clock_workflow_times(rng, 10_000, t + timedelta(minutes=m), t + timedelta(minutes=m + 7))
        for m in range(0, 1435, 7)
    ]
    drawn = sum(len(s) for s in steps)
    expected = 10_000 * 1.15  # a weekday's workflows: the curve's and the even spread's together
    assert abs(drawn - expected) < 5 * expected**0.5
