"""The generated world: determinism, speed, invariants and realism (emulator data half)."""

import time
from collections import defaultdict

import pytest

from semaphore_dagster.emulator import World, WorldConfig
from semaphore_dagster.emulator.timeline import NEVER_STARTED
from semaphore_dagster_tests.conftest import FIXED_NOW, make_world


@pytest.fixture(scope="module")
def small() -> World:
    return make_world("small")


def test_same_seed_same_world_and_other_seed_other_world():
    a, b, c = make_world("tiny"), make_world("tiny"), make_world("tiny", seed=8)
    assert a.ground_truth() == b.ground_truth()
    assert a.ground_truth()["pipelines"] != c.ground_truth()["pipelines"]


def test_tiny_world_is_fast_and_small():
    started = time.perf_counter()
    world = make_world("tiny")
    truth = world.ground_truth()
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"tiny world took {elapsed:.2f}s"
    assert 10 <= len(truth["pipelines"]) <= 100
    assert 10 <= len(truth["jobs"]) <= 500


def test_preset_rejects_unknown_names_and_knobs():
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        WorldConfig.preset("huge")
    with pytest.raises(ValueError, match="unknown WorldConfig knob"):
        WorldConfig.preset("tiny", pipelines=3)
    with pytest.raises(ValueError, match="timezone-aware"):
        WorldConfig.preset("tiny", now=FIXED_NOW.replace(tzinfo=None))


def test_knobs_change_the_size():
    assert len(make_world("tiny", projects=3).projects) == 3
    more = make_world("tiny", pipelines_per_day=20.0)
    assert len(more.workflows) > len(make_world("tiny").workflows) * 2


def test_pipeline_timestamps_are_ordered_and_results_only_when_done(small: World):
    for p in small.pipelines.values():
        stamps = [t for t in (p.created_at, p.pending_at, p.queuing_at, p.running_at, p.done_at) if t]
        assert stamps == sorted(stamps), p.ppl_id
        if p.stopping_at:
            assert p.running_at and p.running_at <= p.stopping_at
            assert p.done_at is None or p.stopping_at <= p.done_at
        assert (p.result != "") == (p.state == "DONE")
        assert p.created_at <= small.now()
        assert p.done_at is None or p.done_at <= small.now()


def test_jobs_of_done_pipelines_are_finished_and_timestamps_ordered(small: World):
    for p in small.pipelines.values():
        for job in p.jobs():
            assert small.jobs[job.job_id] is job
            stamps = [t for t in (job.create_time, job.enqueue_time, job.start_time, job.finish_time) if t]
            assert stamps == sorted(stamps)
            if p.state == "DONE":
                assert job.state == "FINISHED" and job.result in ("PASSED", "FAILED", "STOPPED")
    states = {j.state for j in small.jobs.values()}
    assert {"FINISHED", "RUNNING"} <= states


def test_every_pipeline_state_is_present(small: World):
    states = {p.state for p in small.pipelines.values()}
    assert states == {"INITIALIZING", "PENDING", "QUEUING", "RUNNING", "STOPPING", "DONE"}
    results = {p.result for p in small.pipelines.values() if p.state == "DONE"}
    assert results == {"PASSED", "FAILED", "STOPPED", "CANCELED"}


def test_failure_rate_is_realistic(small: World):
    done = [p for p in small.pipelines.values() if p.state == "DONE"]
    failed = sum(p.result == "FAILED" for p in done) / len(done)
    assert 0.08 <= failed <= 0.25, failed


def test_flaky_reruns_same_commit_different_result(small: World):
    by_commit_job = defaultdict(set)
    for p in small.pipelines.values():
        for job in p.jobs():
            by_commit_job[(p.commit_sha, job.name)].add(job.result)
    flaky = [k for k, results in by_commit_job.items() if {"PASSED", "FAILED"} <= results]
    assert len(flaky) >= 3
    reruns = [w for w in small.workflows.values() if w.rerun_of]
    assert reruns and all(small.workflows[w.rerun_of].commit_sha == w.commit_sha for w in reruns)


def test_partial_reruns_are_linked_both_ways(small: World):
    partial = [p for p in small.pipelines.values() if p.partial_rerun_of]
    assert partial
    for p in partial:
        original = small.pipelines[p.partial_rerun_of]
        assert original.partially_rerun_by == p.ppl_id and original.wf_id == p.wf_id
        assert p.triggerer.ppl_triggered_by == "PARTIAL_RE_RUN"


def test_never_started_jobs_log_404(small: World):
    never = [j for j in small.jobs.values() if j.never_started_message]
    assert never
    for job in never:
        assert job.state == "FINISHED" and job.result == "STOPPED" and job.start_time is None
        log = small.job_log(job.job_id)
        assert log is not None and log.error == NEVER_STARTED


def test_branches_prs_tags_and_pipeline_files(small: World):
    names = {p.branch_name for p in small.pipelines.values()}
    assert any(n.startswith("pull-request-") for n in names)
    assert any(n.startswith("refs/tags/v") for n in names)
    files = {p.pipeline_file for p in small.pipelines.values()}
    assert {".semaphore/semaphore.yml", ".semaphore/nightly.yml", ".semaphore/staging-deploy.yml"} <= files
    triggered = {w.triggered_by for w in small.workflows.values()}
    assert {"HOOK", "SCHEDULE"} <= triggered


def test_self_hosted_and_cloud_machines(small: World):
    types = {t.name for t in small.agent_types}
    self_hosted = [j for j in small.jobs.values() if j.self_hosted]
    assert self_hosted and all(
        j.machine_type in types and j.machine_type.startswith("s1-") for j in self_hosted
    )
    assert any(j.machine_type.startswith(("e1-", "f1-")) for j in small.jobs.values())
    states = {(a.state, a.disabled_at is not None) for a in small.agents}
    assert ("WAITING_FOR_JOB", False) in states and ("RUNNING_JOB", False) in states
    assert any(disabled for _, disabled in states)


def test_promotions_deployments_and_rollbacks(small: World):
    promoted = [p for p in small.pipelines.values() if p.promotion_of]
    assert promoted
    kinds = {p.triggerer.ppl_triggered_by for p in promoted}
    assert kinds == {"PROMOTION", "AUTO_PROMOTION"}
    statuses = {pr.status for rows in small.promotions.values() for pr in rows}
    assert {"PASSED", "FAILED"} <= statuses
    rollbacks = 0
    failed = 0
    for target in small.deployment_targets:
        history = sorted(target.deployments, key=lambda d: d.triggered_at)
        failed += sum(d.state == "FAILED" for d in history)
        for before, after in zip(history, history[1:], strict=False):
            if (
                small.pipelines[after.prev_pipeline_id].created_at
                < small.pipelines[before.prev_pipeline_id].created_at
            ):
                rollbacks += 1
    assert rollbacks >= 1 and failed >= 1


def test_list_queries_follow_api_semantics(small: World):
    project = small.projects[0]
    pipelines = small.list_pipelines(project_id=project.id)
    assert [p.created_at for p in pipelines] == sorted((p.created_at for p in pipelines), reverse=True)
    middle = pipelines[len(pipelines) // 2]
    cut = int(middle.created_at.timestamp())
    after = small.list_pipelines(project_id=project.id, created_after=cut)
    assert all(int(p.created_at.timestamp()) >= cut and p.created_at.timestamp() > cut for p in after)
    done = small.list_pipelines(project_id=project.id, done_after=0)
    assert done and all(p.state == "DONE" for p in done) and len(done) < len(pipelines)
    pr = next(p for p in pipelines if p.branch_name.startswith("pull-request-"))
    labelled = small.list_workflows(project.id, label=pr.branch_name.removeprefix("pull-request-"))
    assert labelled and all(w.branch_name == pr.branch_name for w in labelled)
    assert small.list_jobs(set()) == []
    finished = small.list_jobs({"FINISHED"})
    assert all(j.state == "FINISHED" for j in finished)
    keys = [(int(j.create_time.timestamp()), j.job_id) for j in finished]
    assert keys == sorted(keys, reverse=True)
    assert small.list_promotions(next(p.ppl_id for p in pipelines if not p.switch_id)) is None
    assert small.list_agents() == sorted(small.agents, key=lambda a: (a.connected_at, a.name))
    no_policy = [p for p in small.projects if p.id not in small.retention_policies]
    empty = small.retention_policy(no_policy[0].id)
    assert empty is not None and (empty.project_level, empty.workflow_level, empty.job_level) == ([], [], [])


def test_logs_are_well_formed(small: World):
    for job in list(small.jobs.values())[:300]:
        log = small.job_log(job.job_id)
        assert log is not None
        if log.error:
            continue
        events = list(log.event_dicts())
        assert events[0]["event"] == "job_started"
        times = [e["timestamp"] for e in events]
        assert times == sorted(times)
        if job.state == "FINISHED":
            assert log.finished and events[-1] == {
                **events[-1],
                "event": "job_finished",
                "result": job.result.lower(),
            }
            exits = [e["exit_code"] for e in events if e["event"] == "cmd_finished"]
            assert (exits[-1] != 0) == (job.result in ("FAILED", "STOPPED"))
        encoded = list(log.events())
        assert len(encoded) == len(events) and all(isinstance(b, bytes) for b in encoded)


def test_huge_log_streams_lazily():
    world = make_world("tiny", huge_log_bytes=3_000_000)
    log = world.job_log(world.huge_log_job_id)
    assert log is not None and log.finished
    count, size = log.stats()
    assert size >= 3_000_000 and count > 300
    first = next(log.events())
    assert first.startswith(b'{"event":"job_started"')
