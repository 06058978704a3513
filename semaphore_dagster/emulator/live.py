"""Live mode: `advance(world, delta)` moves the clock and applies what happens meanwhile.

Deterministic from the seed and the step number (each step has its own `random.Random`): new workflows
appear (created inside the step's window), the nightly schedule fires when 03:00 passes, planned entities
come due (in-flight pipelines progress and finish, promotions (some on old pipelines, some rollbacks) and
deployments appear, PENDING deployments start), and agents come and go. Everything happens under
`world.lock`.
"""

import random
from datetime import datetime, timedelta
from statistics import NormalDist

from semaphore_dagster.emulator.generate import (
    WORK_HOUR_MEAN,
    WORK_HOUR_SD,
    _poisson,
    day_factor,
    new_agent,
    nightly_times,
    plan_scheduled_run,
    workflow_times,
)
from semaphore_dagster.emulator.planner import Planner
from semaphore_dagster.emulator.timeline import reveal

MAX_STEP = timedelta(days=7)


def advance(world, delta: timedelta, activity: float = 1.0, wall_clock: bool = False) -> None:
    """Move the clock by `delta`. `activity` multiplies how much happens meanwhile (new workflows, old
    promotions): a live server whose world follows the wall clock keeps its clock there (a real server's
    clock is the client's) and shows more happening instead of racing ahead of the loader's time.

    `wall_clock` (the server's live thread on a wall-clock world): the steps are the thread's ticks, at
    whatever hour someone runs it, so new workflows come from `wall_clock_workflow_times` (a share of them
    around the clock); otherwise from the generator's own `workflow_times`."""
    if activity <= 0:
        raise ValueError(f"world.advance needs a positive activity, got {activity}")
    if delta < timedelta(0):
        raise ValueError(f"world.advance needs a non-negative timedelta, got {delta}")
    if delta > MAX_STEP:
        raise ValueError(f"world.advance steps are at most {MAX_STEP}; call it several times for {delta}")
    with world.lock:
        world.steps += 1
        rng = random.Random(f"{world.config.seed}:live:{world.steps}")
        planner = Planner(world, rng)
        begin, end = world.now(), world.now() + delta
        for profile in world._profiles:
            rate = world.config.pipelines_per_day * activity
            draw = wall_clock_workflow_times if wall_clock else workflow_times
            times = [(t, False) for t in draw(rng, rate, begin, end)]
            times += [(t, True) for t in nightly_times(begin, end)]
            for at, nightly in sorted(times):
                if nightly:
                    plan_scheduled_run(world, planner, profile, at)
                else:
                    planner.plan_workflow(profile, at)
        _promote_old(world, planner, begin, end, activity)
        _agents_come_and_go(world, planner, delta, end)
        world._clock = end
        reveal(world, end)


TIME_OF_DAY = NormalDist(WORK_HOUR_MEAN, WORK_HOUR_SD)  # hours UTC, as generate.workflow_times draws them
AROUND_THE_CLOCK = 0.2  # the share of a live day's workflows spread evenly over its 24 hours


def wall_clock_workflow_times(
    rng: random.Random, per_day: float, begin: datetime, end: datetime
) -> list[datetime]:
    """Workflow creation times in (begin, end] for the live thread's short steps on the wall clock.

    Why not `workflow_times`: that draws a whole day's count and keeps the times inside the step, so a
    0.05 s tick costs a day's worth of draws, and between 20:00 and 08:00 UTC almost nothing ever falls
    inside (its working-hours curve is near zero there), so a live demo or `--live` server started at night
    shows no new pipeline at any speed. Here the count is Poisson with the step's own share of the day: the
    working-hours curve for 80% of the day's workflows and an even spread for the rest (other time zones,
    bots), with weekends at a quarter as in the generator; each time is drawn inside the step from the same
    mixture. The cost is that of the workflows drawn."""
    out: list[datetime] = []
    day = begin.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        lo = max(0.0, (begin - day).total_seconds() / 3600)
        hi = min(24.0, (end - day).total_seconds() / 3600)
        cdf_lo, cdf_hi = TIME_OF_DAY.cdf(lo), TIME_OF_DAY.cdf(hi)
        curve = (1 - AROUND_THE_CLOCK) * (cdf_hi - cdf_lo)
        even = AROUND_THE_CLOCK * (hi - lo) / 24
        for _ in range(_poisson(rng, per_day * day_factor(day) * (curve + even))):
            if rng.random() * (curve + even) < curve:
                u = rng.uniform(cdf_lo, cdf_hi)
                hour = min(hi, max(lo, TIME_OF_DAY.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))))
            else:
                hour = rng.uniform(lo, hi)
            at = day + timedelta(hours=hour)
            if begin < at <= end:
                out.append(at)
        day += timedelta(days=1)
    return sorted(out)


def _promote_old(world, planner: Planner, begin, end, activity: float = 1.0) -> None:
    """Now and then someone promotes an old passed pipeline by hand (a promotion added long after DONE)."""
    rng = planner.rng
    hours = (end - begin).total_seconds() / 3600 * activity
    if rng.random() >= min(1.0, 0.15 * hours):
        return
    profiles = [p for p in world._profiles if p.promotions]
    if not profiles:
        return
    profile = rng.choice(profiles)
    old = sorted(
        (
            p
            for p in world.pipelines.values()
            if p.project_id == profile.project.id
            and p.state == "DONE"
            and p.result == "PASSED"
            and p.switch_id
        ),
        key=lambda p: (p.created_at, p.ppl_id),
    )
    if not old:
        return
    src = rng.choice(old[: max(1, len(old) // 2)])  # an older half pipeline
    wf = world.workflows[src.wf_id]
    at = begin + (end - begin) * rng.random()
    planner.promote(profile, wf, src, profile.promotions[0], at, auto=False, override=rng.random() < 0.3)


def _agents_come_and_go(world, planner: Planner, delta: timedelta, now) -> None:
    """Per hour of `delta`, each agent leaves with a small probability and about as many new ones connect;
    idle/busy states flip."""
    if not world.agent_types:
        return
    rng = planner.rng
    hours = delta.total_seconds() / 3600
    p_leave = min(0.9, 0.08 * hours)
    leaving = [a for a in world.agents if rng.random() < p_leave]
    for agent in leaving:
        world.agents.remove(agent)
    arrivals = len(leaving) + (1 if rng.random() < min(1.0, 0.2 * hours) else 0)
    for _ in range(arrivals):
        agent_type = rng.choice(world.agent_types)
        agent = new_agent(planner, agent_type.name, now, fresh=True)
        agent.connected_at = now - timedelta(seconds=rng.uniform(0, min(delta.total_seconds(), 60)))
        world.agents.append(agent)
    for agent in world.agents:
        if agent.disabled_at is None and rng.random() < min(0.5, 0.2 * hours):
            agent.state = "WAITING_FOR_JOB" if agent.state == "RUNNING_JOB" else "RUNNING_JOB"
