"""Parsed job-log events as Arrow: the `job_log_events` rows of one log, built column by column.

Why not a dict per event through `normalize.conform` (the generic path of every other table): a log has
thousands of events, and per-event Python (a row dict, three timestamp conversions, enum and integer rules)
was most of the log path's CPU (BENCHMARKS.md). Here the parser only collects the raw event objects; each
column is then made in one Arrow conversion (timestamps as integers scaled and cast, enums upper-cased by
`pyarrow.compute`). Values that do not fit the fast path (a timestamp given as text, a string exit code, a
lone surrogate, an integer enum code) fall back, for that column only, to the same rules as the other tables
(`timestamps.to_utc`, `enums.upper`, `normalize._int`), so the stored values are the same either way.

A log body read whole (job_logs.py: up to 1 MiB, most logs) takes a faster path, `whole_log`: orjson's parse of
the body, then one Arrow conversion of the whole event list (no per-event or per-column Python), then the same
per-column rules on Arrow arrays. It is taken only when every raw column kept its type (text, integers);
otherwise (rare: hostile or drifted logs) the events go through `to_batch` as above, so both paths store the
same values (tested against the generic rules). Per log of 1,500 events (259 KB): 2.3 ms streamed through ijson
and `to_batch`, 1.1 ms this way (BENCHMARKS.md).

`EventBuffer` converts every BUFFER_EVENTS events (or BUFFER_BYTES of output) into a record batch and drops
the raw objects, so a 100 MB log is held once, as Arrow, not as Python strings and Arrow together.
"""

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
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


def output_bytes(event: dict[str, Any]) -> int:
    """An event's output size as stored, in UTF-8 bytes (a lone surrogate, stored as U+FFFD, counts its 3)."""
    output = event.get("output")
    return len(output.encode("utf-8", "surrogatepass")) if isinstance(output, str) else 0


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
    # text (the API's enums): each distinct value spelled once (`_enum_arrow`); anything else value by value
    try:
        text = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, UnicodeError):
        return _text([clean_text(upper(v, column)) for v in values])
    return _enum_arrow(text, column)


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
    # Arrow's inference, not a conversion to int64: that one truncates a float (2.5 -> 2), which the generic
    # rule (`normalize._int`) does not store as an integer
    try:
        array = pa.array(values)
        if array.type in (pa.int64(), pa.null()):
            return array.cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
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
            self._batches.append(arrow_batch(self._raw, self.job_id, first))
            self._raw, self._held = [], 0

    def table(self) -> pa.Table:
        self._flush()
        return pa.Table.from_batches(self._batches, schema=EVENTS_SCHEMA)


# The raw columns as the API sends them: text, integers, and timestamps as integer unix seconds.
_RAW_TYPES = {"text": pa.string(), "bigint": pa.int64(), "timestamp": pa.int64()}
RAW_FIELDS = {name: _RAW_TYPES[kind] for name, kind in _SPEC.columns.items() if name not in ("job_id", "seq")}
_CONVERSION_ERRORS = (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError, UnicodeError)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # as the streaming parser (yajl), which refuses NaN and Infinity


def _int64_only(text: str) -> int:
    value = int(text)
    if not -(2**63) <= value < 2**63:  # as the streaming parser (yajl): an integer beyond 64 bits is an error
        raise ValueError("integer overflow")
    return value


def _events_of(document: Any) -> list[Any]:
    events = document.get("events") if isinstance(document, dict) else None
    return events if isinstance(events, list) else []


def _plain(raw: pa.Array) -> bool:
    """Every event an object, every raw column absent, all null, or of its raw type: Arrow's inference made a
    float column double and a boolean one bool, so a column that kept its type lost nothing."""
    if not isinstance(raw.type, pa.StructType) or raw.null_count:
        return False
    for name, kind in RAW_FIELDS.items():
        index = raw.type.get_field_index(name)
        if index >= 0 and raw.type.field(index).type not in (kind, pa.null()):
            return False
    return True


def whole_log(body: bytes, job_id: str) -> tuple[pa.Table, pa.Array]:
    """Every event of a log body held whole (`{"events": [...]}`), as `job_log_events` rows with seq 0..n-1,
    and each event's output size in UTF-8 bytes (0 where there is none), for the caller's cap or tail.

    Fast path: orjson's parse, then one Arrow conversion of the whole event list (types inferred, checked by
    `_plain`). Anything else (a body orjson refuses, a column of mixed or other types) is parsed again by the
    standard library as the streaming parser would parse it (floats as floats; NaN, Infinity and integers
    beyond 64 bits fail the log with ValueError) and converted column by column (`to_batch`)."""
    try:
        events: list[Any] | None = _events_of(orjson.loads(body))
    except orjson.JSONDecodeError:
        events = None
    if events == []:
        return empty(), pa.array([], type=pa.int64())
    if events:
        raw = _raw_struct(events)
        if raw is not None:
            batch = _from_raw(raw, events, job_id, 0)
            return pa.Table.from_batches([batch]), _output_bytes(batch.column("output"))
    events = _events_of(json.loads(body, parse_int=_int64_only, parse_constant=_refuse_constant))
    if not events:
        return empty(), pa.array([], type=pa.int64())
    events = [e if isinstance(e, dict) else {} for e in events]
    lengths = [output_bytes(e) for e in events]
    batch = to_batch(events, job_id, range(len(events)))
    return pa.Table.from_batches([batch]), pa.array(lengths, type=pa.int64())


def _raw_struct(events: list[Any]) -> pa.StructArray | None:
    """The events as one Arrow struct array when the conversion lost nothing (`_plain`), else None."""
    try:
        raw = pa.array(events)
    except _CONVERSION_ERRORS:  # mixed types in a column, a lone surrogate, ...
        return None
    return raw if _plain(raw) else None


def arrow_batch(events: list[Any], job_id: str, first: int) -> pa.RecordBatch:
    """`to_batch` of parsed events at seq first.., by one Arrow conversion when it loses nothing (the events
    of a streamed log: ijson gives floats as floats, so a float column is inferred double and goes by
    `to_batch`)."""
    raw = _raw_struct(events)
    if raw is None:
        return to_batch(events, job_id, range(first, first + len(events)))
    return _from_raw(raw, events, job_id, first)


def _output_bytes(output: pa.Array) -> pa.Array:
    return pc.fill_null(pc.binary_length(output), 0).cast(pa.int64())


def _raw_column(raw: pa.StructArray, name: str) -> pa.Array:
    index = raw.type.get_field_index(name)
    if index < 0:
        return pa.nulls(len(raw), type=RAW_FIELDS[name])
    return raw.field(index).cast(RAW_FIELDS[name])  # a column of nulls only is inferred as type null


def _from_raw(raw: pa.StructArray, events: list[dict[str, Any]], job_id: str, first: int) -> pa.RecordBatch:
    """`to_batch` of events whose raw columns converted without loss: the same rules, on Arrow arrays. A column
    whose values leave its fast path (a timestamp out of the seconds range) takes to_batch's column rule."""
    n = len(raw)
    columns: dict[str, pa.Array] = {
        "job_id": pa.repeat(job_id, n).cast(pa.string()),
        "seq": pa.array(range(first, first + n), type=pa.int64()),
    }
    for name in EVENTS_SCHEMA.names:
        if name in columns:
            continue
        values = _raw_column(raw, name)
        if name in ENUMS:
            columns[name] = _enum_arrow(values, name)
        elif name in TIMES:
            low, high = pc.min_max(values).values()
            if low.as_py() is None or (0 < low.as_py() and high.as_py() < 2**40):
                columns[name] = pc.multiply(values, 1_000_000).cast(_US)
            else:
                columns[name] = _times([e.get(name) for e in events])
        else:  # text and integers: Arrow's conversion is the column rule
            columns[name] = values
    return pa.RecordBatch.from_pydict(columns, schema=EVENTS_SCHEMA)


def _enum_arrow(values: pa.Array, column: str) -> pa.Array:
    """`_enum` of a string column: each distinct value upper-cased once by the generic rule (`enums.upper`),
    then spread back by index (an enum column holds a handful of distinct values in thousands of events)."""
    encoded = pc.dictionary_encode(values)
    spelled = [clean_text(upper(v, column)) for v in encoded.dictionary.to_pylist()]
    return pa.array(spelled, type=pa.string()).take(encoded.indices)
