"""dlt's dedup of the staged rows of a merge, on DuckDB by row id rather than by a window over whole rows.

Before it inserts the staged rows of a merge table with a primary key, dlt keeps one row per key:
`SELECT cols FROM (SELECT ROW_NUMBER() OVER (PARTITION BY pk ...) AS rn, cols FROM staging) WHERE rn = 1`.
The dedup must stay: a load package resumed after a kill copies a file into the staging table a second time,
and a listing that shifts between pages yields a row twice (docs/source.md, "Resumable loads"). But the window
partitions and materializes every column of every staged row, the log text of `job_log_events` included.
On DuckDB the same choice (one row per key, the first staged) is a semi-join on the table's `rowid`:
`WHERE rowid IN (SELECT min(rowid) FROM staging GROUP BY pk)`, which groups the key columns only. Measured
on 222,000 staged log events (BENCHMARKS.md): 0.58-0.61 s for the window, 0.19-0.20 s by row id, 0.14 s
with no dedup at all.

dlt has no setting for the statement, so its builder (`SqlMergeFollowupJob.gen_select_from_dedup_sql`) is
wrapped, and `gen_merge_sql` marks the statements it generates for DuckDB's own client. Every other case
keeps dlt's statement: another destination (no `rowid`), a `dedup_sort` hint (the row kept must be the
latest, not the first), a table with a column named `rowid` (it would hide the row id), and destinations
whose merge job generates its own SQL.
"""

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from dlt.destinations.impl.duckdb.sql_client import DuckDbSqlClient
from dlt.destinations.sql_jobs import SqlMergeFollowupJob

_dlt_merge_sql = SqlMergeFollowupJob.gen_merge_sql.__func__  # type: ignore[attr-defined]
_dlt_dedup_sql = SqlMergeFollowupJob.gen_select_from_dedup_sql.__func__  # type: ignore[attr-defined]
_for_duckdb: ContextVar[bool] = ContextVar("semaphore_merge_for_duckdb", default=False)


def _merge_sql(cls: Any, table_chain: Sequence[Any], sql_client: Any) -> list[str]:
    token = _for_duckdb.set(type(sql_client) is DuckDbSqlClient)
    try:
        return _dlt_merge_sql(cls, table_chain, sql_client)
    finally:
        _for_duckdb.reset(token)


def _by_row_id(
    primary_keys: Sequence[str], columns: Sequence[str], dedup_sort: Any, skip_dedup: bool
) -> bool:
    if skip_dedup or dedup_sort is not None or not primary_keys or not _for_duckdb.get():
        return False
    return all(column.strip('"').lower() != "rowid" for column in columns)


def _select_from_dedup_sql(
    cls: Any,
    table_name: str,
    primary_keys: Sequence[str],
    columns: Sequence[str],
    dedup_sort: Any = None,
    condition: str | None = None,
    condition_columns: Sequence[str] | None = None,
    skip_dedup: bool = False,
) -> str:
    if not _by_row_id(primary_keys, columns, dedup_sort, skip_dedup):
        return _dlt_dedup_sql(
            cls, table_name, primary_keys, columns, dedup_sort, condition, condition_columns, skip_dedup
        )
    # as dlt's: one row per key is chosen first, then `condition` (hard deletes) filters the chosen rows
    first_rows = f"SELECT min(rowid) FROM {table_name} GROUP BY {', '.join(primary_keys)}"
    return f"SELECT {', '.join(columns)} FROM {table_name} WHERE rowid IN ({first_rows}) AND ({condition or '1 = 1'})"


def install() -> None:
    """Wrap dlt's two builders (once per process; see the module docstring)."""
    if getattr(SqlMergeFollowupJob, "_semaphore_row_id_dedup", False):
        return
    SqlMergeFollowupJob.gen_merge_sql = classmethod(_merge_sql)  # type: ignore[method-assign,assignment]
    SqlMergeFollowupJob.gen_select_from_dedup_sql = classmethod(_select_from_dedup_sql)  # type: ignore[method-assign,assignment]
    SqlMergeFollowupJob._semaphore_row_id_dedup = True  # type: ignore[attr-defined]
