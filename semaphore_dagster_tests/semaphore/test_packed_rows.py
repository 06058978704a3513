"""The CI plan's packed rows (packed_rows.py) give back exactly what was put in, hostile text included, from
several threads at once, and hold an offset in memory per row instead of the row."""

import threading
import tracemalloc
from datetime import UTC, datetime

from semaphore_dagster.semaphore.packed_rows import PackedRows, RowSpill

HOSTILE = {
    "ppl_id": "p-1",
    "name": "build \x00 \ud800 lone surrogate \x1b[31mred\x1b[0m",
    "branch_name": "feature/💥" * 50,
    "created_at": datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=UTC),
    "done_at": None,
    "queuing_s": 2**70,
    "commands": ["echo 1", {"nested": ["x", 1.5, True]}],
    "result": "PASSED",
}


def test_rows_come_back_equal_and_typed() -> None:
    rows = PackedRows()
    rows["p-1"] = HOSTILE
    back = rows["p-1"]
    assert back == HOSTILE
    assert back["created_at"].tzinfo is UTC and back["name"] == HOSTILE["name"]
    assert back is not rows["p-1"]  # every read is a fresh copy: the caller may change it
    assert list(rows) == ["p-1"] and len(rows) == 1 and "p-1" in rows


def test_absorb_takes_the_other_rows_later_keys_winning() -> None:
    a, b = PackedRows(), PackedRows()
    a["x"], a["y"] = {"v": 1}, {"v": 2}
    b["y"], b["z"] = {"v": 20}, {"v": 30}
    a.absorb(b)
    assert dict(a.items()) == {"x": {"v": 1}, "y": {"v": 20}, "z": {"v": 30}}
    del a["x"]
    assert "x" not in a and len(a) == 2


def test_rows_of_another_spill_are_copied_and_threads_may_write_at_once() -> None:
    shared = RowSpill()
    parts = [PackedRows(shared) for _ in range(4)]

    def fill(index: int) -> None:
        for n in range(500):
            parts[index][f"{index}-{n}"] = {"n": n, "text": f"row {index}/{n} " * (n % 7)}

    threads = [threading.Thread(target=fill, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged, elsewhere = PackedRows(shared), PackedRows()
    for part in parts:
        merged.absorb(part)
    elsewhere.absorb(merged)  # a different spill: the bytes are copied
    assert len(elsewhere) == 2000
    for index in range(4):
        for n in (0, 3, 499):
            want = {"n": n, "text": f"row {index}/{n} " * (n % 7)}
            assert merged[f"{index}-{n}"] == want and elsewhere[f"{index}-{n}"] == want


def test_memory_holds_offsets_not_rows() -> None:
    """What a planned row costs in memory does not depend on its size: its bytes are in the spill file."""
    row = {f"column_{n}__nested": f"value {n} " * 30 for n in range(40)}  # about 12 KiB as a dict
    tracemalloc.start()
    try:
        rows = PackedRows()
        before = tracemalloc.get_traced_memory()[0]
        for n in range(2000):
            rows[f"ppl-{n:06d}"] = row
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert rows.packed_bytes() > 2000 * 5000
    assert held < 2000 * 400, f"{held / 2000:.0f} bytes held per row"
    assert rows["ppl-001999"] == row
