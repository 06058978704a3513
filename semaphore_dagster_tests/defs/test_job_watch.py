"""The sensor's decision logic (cursor, run keys, cap, waiting for the CI run) on given observations."""

import json
from dataclasses import asdict
from datetime import UTC, date, datetime

from semaphore_dagster.dagster_layer.job_watch import Observation, SeenJob, WatchState, plan, read_job

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 10, 1)


def finished(job_id: str, created: int, day: int) -> SeenJob:
    return SeenJob(job_id, created, datetime(2026, 10, day, 10, 0, tzinfo=UTC))


def test_read_job_accepts_api_objects_and_rows() -> None:
    api = {"metadata": {"id": "j1", "create_time": "1761998400", "finish_time": "0"}}
    assert read_job(api) == SeenJob("j1", 1761998400, None)
    row = {"job_id": "j2", "create_time": NOW, "finish_time": NOW}
    assert read_job(row) == SeenJob("j2", int(NOW.timestamp()), NOW)


def test_first_tick_sets_the_watermark_and_asks_one_ci_run() -> None:
    seen = Observation(finished=[finished("a", 100, 30)], vanished=[], started=[], active=["r1"])
    decided = plan(None, seen, NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY)
    assert decided.ci_run_key and decided.log_days == []
    assert (decided.state.watermark, decided.state.at_watermark, decided.state.active) == (100, ["a"], ["r1"])


def test_new_finished_jobs_ask_ci_first_then_their_days() -> None:
    state = WatchState(watermark=100, at_watermark=["a"], active=[], last_tick=NOW.timestamp() - 60)
    seen = Observation(
        finished=[finished("b", 200, 31), finished("c", 150, 30)], vanished=[], started=[], active=[]
    )
    first = plan(state, seen, NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY)
    assert first.ci_run_key and first.log_days == []  # logs wait for the CI run
    assert sorted(first.state.covered_days) == ["2026-10-30", "2026-10-31"] and first.state.watermark == 200
    nothing = Observation(finished=[], vanished=[], started=[], active=[])
    waiting = plan(first.state, nothing, NOW, ci_in_flight=True, max_runs=4, first_day=FIRST_DAY)
    assert waiting.ci_run_key is None and waiting.log_days == []
    after = plan(waiting.state, nothing, NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY)
    assert [d for d, _ in after.log_days] == ["2026-10-31", "2026-10-30"]
    assert after.state.covered_days == {} and after.state.ready_days == {} and after.ci_run_key is None
    again = plan(state, seen, NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY)
    assert again.ci_run_key == first.ci_run_key  # same news, same run key: Dagster de-duplicates


def test_a_stream_of_ci_runs_does_not_starve_the_log_days() -> None:
    state = WatchState(watermark=100, last_tick=NOW.timestamp() - 60)
    news = Observation(finished=[finished("b", 200, 31)], vanished=[], started=[], active=[])
    first = plan(state, news, NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY)
    started = Observation(finished=[], vanished=[], started=["r1"], active=["r1"])
    busy = plan(first.state, started, NOW, ci_in_flight=True, max_runs=4, first_day=FIRST_DAY)
    assert busy.log_days == [] and busy.state.ci_pending
    more = Observation(finished=[], vanished=[], started=["r2"], active=["r1", "r2"])
    done = plan(busy.state, more, NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY)
    assert done.ci_run_key is not None  # the next CI run ...
    assert [d for d, _ in done.log_days] == ["2026-10-31"]  # ... and the days the previous one covered


def test_cap_keeps_the_rest_for_later_ticks_and_ignores_days_outside_partitions() -> None:
    ready = {"2026-10-27": "k27", "2026-10-28": "k28", "2026-10-29": "k29"}
    state = WatchState(watermark=100, ready_days=dict(ready), last_tick=1.0)
    seen = Observation(finished=[finished("old", 300, 1)], vanished=[], started=[], active=[])
    decided = plan(state, seen, NOW, ci_in_flight=False, max_runs=3, first_day=date(2026, 10, 20))
    assert decided.ci_run_key is not None
    assert decided.log_days == [("2026-10-29", "k29"), ("2026-10-28", "k28")]  # 3 runs: CI + 2 days
    assert "2026-10-01" not in decided.state.covered_days  # before the first partition
    later = plan(
        decided.state, Observation([], [], [], []), NOW, ci_in_flight=False, max_runs=2, first_day=FIRST_DAY
    )
    assert later.log_days == [("2026-10-27", "k27")] and later.state.ready_days == {}


def test_jobs_gone_from_the_active_list_count_as_finished_since_the_last_tick() -> None:
    last = datetime(2026, 10, 31, 23, 59, tzinfo=UTC)
    state = WatchState(watermark=100, active=["r1", "r2"], last_tick=last.timestamp())
    seen = Observation(finished=[], vanished=["r1"], started=["r3"], active=["r2", "r3"])
    decided = plan(state, seen, NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY)
    assert decided.ci_run_key is not None
    assert sorted(decided.state.covered_days) == ["2026-10-31", "2026-11-01"]  # the tick crossed midnight
    assert decided.state.active == ["r2", "r3"]


def test_a_ci_run_in_flight_keeps_the_wish_in_the_cursor() -> None:
    state = WatchState(watermark=100, last_tick=NOW.timestamp())
    seen = Observation(finished=[], vanished=[], started=["r9"], active=["r9"])
    decided = plan(state, seen, NOW, ci_in_flight=True, max_runs=4, first_day=FIRST_DAY)
    assert decided.ci_run_key is None and decided.state.ci_pending
    restored = WatchState.load(decided.state.dump())
    assert restored == decided.state
    later = plan(
        restored, Observation([], [], [], ["r9"]), NOW, ci_in_flight=False, max_runs=4, first_day=FIRST_DAY
    )
    assert later.ci_run_key is not None and not later.state.ci_pending


def test_the_cursor_is_versioned_compact_and_reads_the_old_format() -> None:
    state = WatchState(
        watermark=1761998400,
        at_watermark=["a"],
        active=[f"job-{i:04d}-{'x' * 30}" for i in range(60)],
        last_tick=NOW.timestamp(),
        covered_days={"2026-10-31": "logs-2026-10-31-abc"},
    )
    cursor = state.dump()
    summary = cursor.rsplit(" ", 1)[0]
    assert summary.startswith("v2 watermark=2025-11-01T12:00:00Z active=60 log_days_waiting=1")
    assert len(cursor) < len(json.dumps(asdict(state))) / 2  # 60 ids on screen before
    assert WatchState.load(cursor) == state
    old = json.dumps(
        {**asdict(state), "retired_field": 1}
    )  # an earlier release's cursor, one field renamed away
    assert WatchState.load(old) == state
    assert WatchState.load("v9 something else") is None  # a future or foreign cursor: start afresh
    assert WatchState.load("not a cursor") is None
