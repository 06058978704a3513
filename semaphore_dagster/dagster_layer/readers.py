"""Read-only SQL access to the dataset for checks and summaries, on DuckDB or PostgreSQL; lock waiting for
the DuckDB writers.

DuckDB allows one writer process, and while it holds the file no other process can open it, not even
read-only (`Could not set lock`); a read-only connection held by someone else likewise stops a writer.
Readers and writers therefore wait (bounded) and then give up with one line that names the holder (DuckDB's
message has its PID). Hand-written because DuckDB has no "wait for lock" option.

Readers see completed loads only: `Reader.q(table)` keeps the rows whose `_dlt_load_id` has a
`_dlt_loads` row with status 0, so a load that failed or was killed half-way is never read as data.
"""

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from semaphore_dagster.resources.destination import DATASET_NAME


class DuckDBLockedError(RuntimeError):
    """Another process holds the DuckDB file."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "could not set lock" in text or "conflicting lock" in text or "being used" in text


def lock_holder(exc: Exception) -> str:
    """'PID 123 (/usr/bin/python3)' from DuckDB's lock message, or 'another process'."""
    found = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
    return f"PID {found.group(2)} ({found.group(1)})" if found else "another process"


def locked_message(path: Path, holder: str, waited: float, writer: bool) -> str:
    action = "write" if writer else "read"
    return (
        f"{path.name} is locked by {holder}, so this step cannot {action} it (waited {waited:.0f} s): close "
        "that session (a duckdb -readonly shell, a notebook, `semaphore-dagster report`, another load) or "
        "raise lock_wait_seconds (DestinationResource; SEMAPHORE_DAGSTER_LOCK_WAIT_SECONDS), then re-run"
    )


class Reader:
    """A read-only view of the `semaphore` dataset (or of nothing, when the database does not exist)."""

    def __init__(self, con: Any, dataset: str = DATASET_NAME, paramstyle: str = "qmark") -> None:
        self._con = con
        self.dataset = dataset
        self._paramstyle = paramstyle
        self._tables: set[str] | None = None
        self._catalog: str | None = None
        self._columns: dict[str, list[str]] = {}

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
        if table not in self._columns:
            rows = self.rows(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? "
                "AND table_name = ? ORDER BY ordinal_position",
                [self.dataset, table],
            )
            self._columns[table] = [r[0] for r in rows]
        return self._columns[table]

    def raw(self, table: str) -> str:
        """The fully qualified, quoted name of a table of the dataset (with the catalog: a DuckDB file
        named like the dataset is also a catalog of that name)."""
        if self._catalog is None:
            self._catalog = str(self.scalar("SELECT current_database()") or "")
        prefix = f'"{self._catalog}".' if self._catalog else ""
        return f'{prefix}"{self.dataset}"."{table}"'

    def q(self, table: str, alias: str | None = None) -> str:
        """`table` as a FROM item holding only rows of completed loads (`_dlt_loads.status = 0`), aliased
        `alias` (default: the table's name). Tables without dlt's columns are read whole."""
        name = alias or table
        if "_dlt_load_id" in self.columns(table) and self.has_table("_dlt_loads"):
            loads = self.raw("_dlt_loads")
            return (
                # NULL: a row written before its table had `_dlt_load_id` (Arrow rows had none before).
                f'(SELECT * FROM {self.raw(table)} WHERE "_dlt_load_id" IS NULL OR "_dlt_load_id" IN '
                f'(SELECT load_id FROM {loads} WHERE status = 0)) AS "{name}"'
            )
        return f'{self.raw(table)} AS "{name}"'

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        if self._con is None:
            return []
        if self._paramstyle == "format":
            sql = sql.replace("%", "%%").replace("?", "%s")
            cursor = self._con.cursor()
            try:
                cursor.execute(sql, list(params or []))
                return [tuple(r) for r in cursor.fetchall()] if cursor.description else []
            finally:
                cursor.close()
        # fetchall(): with duckdb 2 an unconsumed result blocks the next statement.
        return self._con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


def _backoff(deadline: float, delay: float) -> float:
    time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
    return min(delay * 2, 2.0)


@contextmanager
def read_duckdb(path: Path, wait_seconds: float = 30.0, dataset: str = DATASET_NAME) -> Iterator[Reader]:
    """Open `path` read-only, retrying while another process holds the lock (up to `wait_seconds`)."""
    import duckdb

    if not path.exists():
        yield Reader(None, dataset)
        return
    started = time.monotonic()
    deadline = started + wait_seconds
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
                waited = time.monotonic() - started
                raise DuckDBLockedError(
                    locked_message(path, lock_holder(exc), waited, writer=False)
                ) from None
            delay = _backoff(deadline, delay)
    try:
        yield Reader(con, dataset)
    finally:
        con.close()


@contextmanager
def read_postgres(url: str, dataset: str = DATASET_NAME) -> Iterator[Reader]:
    """A read-only PostgreSQL session (readers never block writers there)."""
    import psycopg2

    con = psycopg2.connect(url)
    try:
        con.set_session(readonly=True, autocommit=True)
        yield Reader(con, dataset, paramstyle="format")
    finally:
        con.close()


def wait_until_writable(path: Path, wait_seconds: float, log: Any = None) -> None:
    """Wait until this process could open `path` read-write, then return (the probe connection is closed
    at once; dlt opens its own). Fails after `wait_seconds` with one line naming the holder."""
    import duckdb

    started = time.monotonic()
    deadline = started + wait_seconds
    delay, told = 0.2, False
    while True:
        try:
            duckdb.connect(str(path)).close()
            return
        except duckdb.ConnectionException as exc:
            if "different configuration" in str(exc):
                return  # this process holds it already (same in-process run): dlt shares it
            raise
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise
            holder = lock_holder(exc)
            if time.monotonic() >= deadline:
                waited = time.monotonic() - started
                raise DuckDBLockedError(locked_message(path, holder, waited, writer=True)) from None
            if log is not None and not told:
                log.info(f"{path.name} is held by {holder}; waiting up to {wait_seconds:.0f} s")
                told = True
            delay = _backoff(deadline, delay)
