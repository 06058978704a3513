"""The Arrow path of job-log events (log_events.py) stores exactly what the generic per-row rules would
(`normalize.log_event`: `conform` with the contract's timestamp, enum and integer rules), for well-formed
events and for hostile ones, and a log bigger than the buffer comes out whole and in order."""

import itertools
import random
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from semaphore_dagster.semaphore import log_events
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
