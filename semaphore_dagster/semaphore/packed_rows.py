"""`PackedRows`: rows the CI plan holds until their slice loads them, kept pickled in a temporary file.

A first load plans the whole window before its first slice commits (ci_activity.py): every pipeline and
workflow row of the organization waits in the plan. As dicts they cost about 10 KiB a pipeline (per-row key
strings, the JSON decoder's value strings, dict overhead): 80 MiB of plan at `medium`, so the loader's peak
grew with the organization (BENCHMARKS.md). Pickled they are about 1.4 KiB, which is still 120 MiB at
`large`; so the bytes go to an anonymous temporary file (`RowSpill`, unlinked at creation: nothing is left
behind, even after a SIGKILL) and memory keeps one offset per row. A row is unpacked when its slice loads it.

pickle, not JSON: rows hold datetimes, and text the API returned may hold anything (lone surrogates included)
that must come back unchanged. The bytes never leave the process.
"""

import os
import pickle
import tempfile
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

Row = dict[str, Any]


class RowSpill:
    """An append-only temporary file of byte strings, safe to share between threads (positional I/O). The
    file closes with the object (its planner's run)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="semaphore-plan-")
        self._fd = self._file.fileno()
        self._end = 0
        self._lock = threading.Lock()

    def write(self, data: bytes) -> tuple[int, int]:
        with self._lock:
            offset = self._end
            self._end += len(data)
        written = 0
        while written < len(data):
            written += os.pwrite(self._fd, memoryview(data)[written:], offset + written)
        return offset, len(data)

    def read(self, offset: int, size: int) -> bytes:
        data = os.pread(self._fd, size, offset)
        if len(data) != size:
            raise OSError(f"plan spill file: read {len(data)} of {size} bytes at {offset}")
        return data


class PackedRows(MutableMapping[str, Row]):
    """A mapping of key -> row whose values are stored pickled in a `RowSpill` (each read unpacks a fresh
    copy). Several mappings may share one spill; `absorb` then moves offsets, not bytes."""

    def __init__(self, spill: RowSpill | None = None) -> None:
        self._spill = spill
        self._where: dict[str, tuple[int, int]] = {}

    def _file(self) -> RowSpill:
        if self._spill is None:
            self._spill = RowSpill()
        return self._spill

    def __getitem__(self, key: str) -> Row:
        offset, size = self._where[key]
        return pickle.loads(self._file().read(offset, size))

    def __setitem__(self, key: str, row: Row) -> None:
        self._where[key] = self._file().write(pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL))

    def __delitem__(self, key: str) -> None:
        del self._where[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def absorb(self, other: "PackedRows") -> None:
        """Take `other`'s rows (later keys win, like `dict.update`): offsets when both share a spill."""
        if other._spill is None:
            return
        if other._spill is self._file():
            self._where.update(other._where)
            return
        for key, (offset, size) in other._where.items():
            self._where[key] = self._spill.write(other._spill.read(offset, size))  # type: ignore[union-attr]

    def packed_bytes(self) -> int:
        return sum(size for _, size in self._where.values())
