"""Parsed job-log events as Arrow: the `job_log_events` rows of one log, built column by column.

Why not a dict per event through `normalize.conform` (the generic path of every other table): a log has
thousands of events, and per-event Python (a row dict, three timestamp conversions, enum and integer rules)
was most of the log path's CPU (BENCHMARKS.md). Here the parser only collects the raw event objects; each
column is then made in one Arrow conversion (timestamps as integers scaled and cast, enums upper-cased by
`pyarrow.compute`). Values that do not fit the fast path (a timestamp given as text, a string exit code, a
lone surrogate, an integer enum code) fall back, for that column only, to the same rules as the other tables
(`timestamps.to_utc`, `enums.upper`, `normalize._int`), so the stored values are the same either way.

`EventBuffer` converts every BUFFER_EVENTS events (or BUFFER_BYTES of output) into a record batch and drops
the raw objects, so a 100 MB log is held once, as Arrow, not as Python strings and Arrow together.
"""

import re
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from .endpoints import TABLES
from .enums import upper
from .normalize import _int
from .timestamps import to_utc

# The Arrow form of the table contract (endpoints.py): one description of the table, not a second one here.
_SPEC = TABLES["job_log_events"]
_ARROW_TYPES = {"text": pa.string(), "bigint": pa.int64(), "timestamp": pa.timestamp("us", tz="UTC")}
EVENTS_SCHEMA = pa.schema(
    [
        pa.field(name, _ARROW_TYPES[kind], nullable=name not in _SPEC.primary_key)
        for name, kind in _SPEC.columns.items()
    ]
)
ENUMS = frozenset(_SPEC.enums)  # UPPERCASE columns
TIMES = frozenset(name for name, kind in _SPEC.columns.items() if kind == "timestamp")
BUFFER_EVENTS = 5000
BUFFER_BYTES = 8 * 1024 * 1024

_SURROGATE = re.compile("[\ud800-\udfff]")
_US = pa.timestamp("us", tz="UTC")


def clean_text(value: Any) -> Any:
    """A lone surrogate cannot be stored as UTF-8 text: U+FFFD instead (other characters as sent)."""
    if isinstance(value, str) and _SURROGATE.search(value):
        return _SURROGATE.sub("\ufffd", value)
    return value


def _text(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, UnicodeError):
        return pa.array([_as_text(v) for v in values], type=pa.string())


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return clean_text(value)
    return clean_text(str(value))  # schema drift: a number or an object where text was expected


def _enum(values: list[Any], column: str) -> pa.Array:
    # ASCII words (the API's enums): Arrow's upper-casing is Python's there; anything else takes enums.upper
    if all(v is None or (isinstance(v, str) and v and v.isascii() and not v.isdigit()) for v in values):
        try:
            return pc.utf8_upper(pa.array(values, type=pa.string()))
        except (pa.ArrowInvalid, UnicodeError):
            pass
    return _text([clean_text(upper(v, column)) for v in values])


def _times(values: list[Any]) -> pa.Array:
    if all(v is None or (type(v) is int and 0 < v < 2**40) for v in values):  # unix seconds: the API's form
        seconds = pa.array(values, type=pa.int64())
        return pc.multiply(seconds, 1_000_000).cast(_US)
    return pa.array([_time(v) for v in values], type=_US)


def _time(value: Any) -> Any:
    """`to_utc`, or NULL for a value that is no timestamp (one bad event must not cost the whole log)."""
    try:
        return to_utc(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _ints(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values, type=pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        out = []
        for value in values:
            number = _int(value)
            out.append(number if isinstance(number, int) and -(2**63) <= number < 2**63 else None)
        return pa.array(out, type=pa.int64())


def to_batch(events: Sequence[dict[str, Any]], job_id: str, seqs: Iterable[int]) -> pa.RecordBatch:
    """The `job_log_events` rows of `events` (raw API objects) of job `job_id`, at positions `seqs`."""
    n = len(events)
    columns: dict[str, pa.Array] = {
        "job_id": pa.array([job_id] * n, type=pa.string()),
        "seq": pa.array(list(seqs), type=pa.int64()),
    }
    for name in EVENTS_SCHEMA.names:
        if name in columns:
            continue
        values = [e.get(name) for e in events]
        if name in ENUMS:
            columns[name] = _enum(values, name)
        elif name in TIMES:
            columns[name] = _times(values)
        elif EVENTS_SCHEMA.field(name).type == pa.int64():
            columns[name] = _ints(values)
        else:
            columns[name] = _text(values)
    return pa.RecordBatch.from_pydict(columns, schema=EVENTS_SCHEMA)


def empty() -> pa.Table:
    return EVENTS_SCHEMA.empty_table()


class EventBuffer:
    """Stored events of one log, converted to record batches as they accumulate (see the module docstring)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._raw: list[dict[str, Any]] = []
        self._first = 0  # seq of self._raw[0]
        self._held = 0
        self._batches: list[pa.RecordBatch] = []

    def add(self, event: dict[str, Any], seq: int, length: int) -> None:
        if not self._raw:
            self._first = seq
        self._raw.append(event)
        self._held += length
        if len(self._raw) >= BUFFER_EVENTS or self._held >= BUFFER_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._raw:
            first = self._first
            self._batches.append(to_batch(self._raw, self.job_id, range(first, first + len(self._raw))))
            self._raw, self._held = [], 0

    def table(self) -> pa.Table:
        self._flush()
        return pa.Table.from_batches(self._batches, schema=EVENTS_SCHEMA)
