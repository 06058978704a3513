"""Read-only access to the DuckDB file for checks and summaries.

DuckDB allows one writer process, and while it holds the file no other process can open it, not even
read-only (`Could not set lock`). Readers therefore retry for a while and then give up with a clear error;
a file that does not exist yet reads as a database with no tables (dlt creates tables only when rows
arrive). Hand-written because DuckDB has no "wait for lock" option.
"""

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from semaphore_dagster.defs.settings import DATASET_NAME


class DuckDBLockedError(RuntimeError):
    """Another process holds the DuckDB file."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used" in text


class Reader:
    """A read-only view of the `semaphore` dataset (or of nothing, when the file does not exist)."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None, dataset: str = DATASET_NAME) -> None:
        self._con = con
        self.dataset = dataset
        self._tables: set[str] | None = None
        self._catalog: str | None = None

    def tables(self) -> set[str]:
        if self._tables is None:
            rows = self.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [self.dataset]
            )
            self._tables = {r[0] for r in rows}
        return self._tables

    def has_table(self, table: str) -> bool:
        return table in self.tables()

    def columns(self, table: str) -> list[str]:
        rows = self.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [self.dataset, table],
        )
        return [r[0] for r in rows]

    def q(self, table: str) -> str:
        """The fully qualified, quoted name of a table of the dataset (with the catalog: a file named
        like the dataset is also a catalog of that name)."""
        if self._catalog is None:
            self._catalog = str(self.scalar("SELECT current_database()") or "")
        prefix = f'"{self._catalog}".' if self._catalog else ""
        return f'{prefix}"{self.dataset}"."{table}"'

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        if self._con is None:
            return []
        # fetchall(): with duckdb 2 an unconsumed result blocks the next statement (stack-notes).
        return self._con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


@contextmanager
def read_duckdb(path: Path, wait_seconds: float = 30.0, dataset: str = DATASET_NAME) -> Iterator[Reader]:
    """Open `path` read-only, retrying while another process holds the lock (up to `wait_seconds`)."""
    if not path.exists():
        yield Reader(None, dataset)
        return
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            con = duckdb.connect(str(path), read_only=True)
            break
        except duckdb.ConnectionException as exc:
            if "different configuration" not in str(exc):
                raise
            # This process already has the file open read-write (e.g. dlt in the same in-process run):
            # share that database instance; we only read.
            con = duckdb.connect(str(path))
            break
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise
            if time.monotonic() >= deadline:
                raise DuckDBLockedError(
                    f"{path} is locked by another process (a load is writing it); retry when it has finished"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield Reader(con, dataset)
    finally:
        con.close()
