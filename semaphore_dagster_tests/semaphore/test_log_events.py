"""The Arrow path of job-log events (log_events.py) stores exactly what the generic per-row rules would
(`normalize.log_event`: `conform` with the contract's timestamp, enum and integer rules), for well-formed
events and for hostile ones, and a log bigger than the buffer comes out whole and in order."""

import itertools
import json
import random
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from semaphore_dagster.semaphore import job_logs, log_events
from semaphore_dagster.semaphore.normalize import log_event

TEXT_COLUMNS = ("job_id", "event", "directive", "output", "result")

HOSTILE: dict[str, list[Any]] = {
    "event": [
        "cmd_output",
        "CMD_STARTED",
        "job_finished",
        "",
        None,
        3,
        "ß-event",
        "7",
        "\ud800x",
        "  spaced ",
    ],
    "timestamp": [1790000000, 0, None, "1790000001", "2026-11-01T10:00:00Z", 1790000000.25, True, -5, "junk"],
    "directive": [
        "make test",
        None,
        "",
        "rm -rf / \x00",
        {"nested": 1},
        ["a", "b"],
        42,
        "\x1b[31mred\x1b[0m",
    ],
    "output": ["ok\n", "", None, "\x00NUL", "\ud800 lone", "emoji \U0001f680", "\x1b[1mbold", "é" * 300, 7],
    "exit_code": [0, 1, None, "3", "x", 2**70, True, -1, 2.0],
    "started_at": [1790000000, None, "0", 0, "2026-11-01 10:00:00"],
    "finished_at": [1790000009, None, "", {"seconds": 1790000010, "nanos": 5000}],
    "result": ["passed", "FAILED", None, "", "stopped", 2],
}


# the hostile values a JSON body can carry to the parsers (no lone surrogate, no integer beyond 64 bits)
JSONABLE = {
    name: [v for v in values if not (isinstance(v, str) and "\ud800" in v) and v != 2**70]
    for name, values in HOSTILE.items()
}


def _reference(raw: dict[str, Any], job_id: str, seq: int) -> dict[str, Any]:
    """What the per-row path stored: `log_event`, then the text/integer coercion of the Arrow writer; a value
    that is no timestamp is NULL (the per-row path raised: the whole log became an ERROR row)."""
    raw = {k: log_events.clean_text(v) for k, v in raw.items()}
    for name in ("timestamp", "started_at", "finished_at"):
        try:
            log_event({name: raw.get(name)}, job_id, seq)
        except ValueError:
            raw[name] = None
    row = log_event(raw, job_id, seq)
    for name in log_events.EVENTS_SCHEMA.names:
        value = row.get(name)
        if name in TEXT_COLUMNS and value is not None and not isinstance(value, str):
            value = log_events.clean_text(str(value))
        if name == "exit_code" and not (isinstance(value, int) and -(2**63) <= value < 2**63):
            value = None
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
        row[name] = value
    return {name: row.get(name) for name in log_events.EVENTS_SCHEMA.names}


def _stored(batch: pa.RecordBatch) -> list[dict[str, Any]]:
    rows = batch.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, datetime):
                row[key] = value.astimezone(UTC)
    return rows


def test_hostile_events_are_stored_as_the_generic_rules_store_them() -> None:
    rng = random.Random(12)
    events = [{name: rng.choice(values) for name, values in HOSTILE.items()} for _ in range(400)]
    events += [{name: values[i % len(values)] for name, values in HOSTILE.items()} for i in range(20)]
    events.append({})  # an event that is not an object is stored as an empty one
    expected = [_reference(e, "job-1", i) for i, e in enumerate(events)]
    assert _stored(log_events.to_batch(events, "job-1", range(len(events)))) == expected


def test_each_column_takes_its_fast_path_and_agrees() -> None:
    """Well-formed events (what the API sends) go through the vectorized conversions."""
    events = [
        {"event": "cmd_output", "timestamp": 1790000000 + i, "output": f"line {i}\n"} for i in range(50)
    ] + [
        {
            "event": "cmd_finished",
            "timestamp": 1790000100,
            "directive": "make",
            "exit_code": 2,
            "started_at": 1790000000,
            "finished_at": 1790000100,
        },
        {"event": "job_finished", "timestamp": 1790000101, "result": "failed"},
    ]
    expected = [_reference(e, "j", i) for i, e in enumerate(events)]
    assert _stored(log_events.to_batch(events, "j", range(len(events)))) == expected


def test_buffer_flushes_batches_and_keeps_every_event_in_order(monkeypatch) -> None:
    monkeypatch.setattr(log_events, "BUFFER_EVENTS", 7)
    buffer = log_events.EventBuffer("j")
    counter = itertools.count()
    for seq in range(50):
        buffer.add({"event": "cmd_output", "output": f"{next(counter)}"}, seq, 1)
    table = buffer.table()
    assert len(table.to_batches()) >= 7
    assert table.column("seq").to_pylist() == list(range(50))
    assert table.column("output").to_pylist() == [str(i) for i in range(50)]
    assert table.schema == log_events.EVENTS_SCHEMA


def _body(events: list[Any]) -> bytes:
    return json.dumps({"events": events}).encode()


def test_a_whole_body_is_stored_as_the_generic_rules_store_it() -> None:
    """`whole_log` (a body read whole): well-formed events take the one-conversion path, hostile ones (every
    hostile value that JSON can carry) the exact path; both agree with the generic rules, and sizes are the
    UTF-8 bytes of each output."""
    rng = random.Random(7)
    well_formed = [
        {"event": "cmd_output", "timestamp": 1790000000 + i, "output": f"é line {i}\n"} for i in range(300)
    ] + [{"event": "job_finished", "timestamp": 1790000400, "result": "passed"}, {}]
    hostile = [{name: rng.choice(values) for name, values in JSONABLE.items()} for _ in range(300)]
    ints_only = [{k: v for k, v in e.items() if not isinstance(v, float)} for e in hostile]
    for events in (well_formed, hostile, ints_only, well_formed + [{"timestamp": -5}]):
        table, lengths = log_events.whole_log(_body(events), "job-1")
        assert table.schema == log_events.EVENTS_SCHEMA
        assert _stored(table) == [_reference(e, "job-1", i) for i, e in enumerate(events)]
        expected = [len(e["output"].encode()) if isinstance(e.get("output"), str) else 0 for e in events]
        assert lengths.to_pylist() == expected


def test_a_whole_body_refuses_what_the_streaming_parser_refuses() -> None:
    assert log_events.whole_log(b'{"events": []}', "j")[0].num_rows == 0
    assert log_events.whole_log(b'{"other": 1}', "j")[0].num_rows == 0
    assert log_events.whole_log(b'[{"event": "x"}]', "j")[0].num_rows == 0
    for bad in (
        b'{"events": [{"timestamp": NaN}]}',
        b'{"events": [{"exit_code": 1' + b"0" * 25 + b"}]}",
        b"{",
    ):
        with pytest.raises(ValueError):
            log_events.whole_log(bad, "j")
    table, _ = log_events.whole_log(b'{"events": [1, "x", {"event": "ok"}]}', "j")
    assert table.column("event").to_pylist() == [None, None, "OK"]


def test_well_formed_bodies_never_take_the_per_column_path(monkeypatch) -> None:
    def per_column(*args: Any) -> None:
        raise AssertionError("a well-formed log took the exact (per-column) path")

    monkeypatch.setattr(log_events, "to_batch", per_column)
    events = [{"event": "cmd_output", "timestamp": 1790000000, "output": "\x1b[1mok\n"}] * 50
    events.append(
        {"event": "cmd_finished", "exit_code": 3, "started_at": 1790000000, "finished_at": 1790000009}
    )
    table, lengths = log_events.whole_log(_body(events), "j")
    assert table.num_rows == 51 and lengths.to_pylist()[:2] == [len("\x1b[1mok\n")] * 2


@pytest.mark.parametrize("cap,tail", [(8 << 20, None), (700, None), (0, None), (8 << 20, 500), (8 << 20, 0)])
def test_a_body_read_whole_keeps_what_the_streaming_parse_keeps(
    cap: int, tail: int | None, monkeypatch
) -> None:
    """The two ways a log is parsed (job_logs.py: read whole up to 1 MiB, else streamed through ijson into
    the event buffer) keep the same events, counts, sizes and truncation, for the cap's head and the tail."""
    monkeypatch.setattr(log_events, "BUFFER_EVENTS", 64)  # several streamed batches
    rng = random.Random(3)
    well_formed = [
        {"event": "cmd_output", "timestamp": 1790000000 + i, "output": "é" * (i % 9)} for i in range(300)
    ]
    hostile = [{name: rng.choice(values) for name, values in JSONABLE.items()} for _ in range(300)]
    for events in (well_formed, hostile, well_formed + [7, None, {"output": 5}]):
        body = _body(events)
        chunks = [body[i : i + 1000] for i in range(0, len(body), 1000)]
        streamed = job_logs._read_events(job_logs._Replay(chunks, None), "j", cap, tail)
        whole = job_logs._whole_events(body, "j", cap, tail)
        assert whole[1:] == streamed[1:]
        assert _stored(whole[0].combine_chunks().to_batches()[0]) == _stored(
            streamed[0].combine_chunks().to_batches()[0]
        )


def test_a_float_exit_code_is_not_truncated_whatever_its_neighbours() -> None:
    """2.0 and 2.5 are no integers for the generic rule: NULL, in a column of integers as in a mixed one."""
    for neighbours in ([0, 1], [0, "x"]):
        events = [{"exit_code": v} for v in [*neighbours, 2.0, 2.5]]
        stored = _stored(log_events.to_batch(events, "j", range(4)))
        assert [row["exit_code"] for row in stored][2:] == [None, None]
        assert stored == [_reference(e, "j", i) for i, e in enumerate(events)]
