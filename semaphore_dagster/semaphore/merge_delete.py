"""The delete of dlt's delete-insert merge, by the merge key alone when the merge key is part of the primary key.

dlt deletes the stored rows that match a staged row `WHERE pk = pk OR merge_key = merge_key` when a table has
both hints. `job_log_events` has both: the primary key (job_id, seq) keeps a twice-staged event once (dlt's
dedup of the staged rows, which a resumed load package needs: docs/source.md), and the merge key job_id makes a
re-fetched log replace every event of its job. A pk match is then always a merge-key match, so the OR selects
exactly the rows the merge key alone does. But DuckDB cannot hash-join an OR: it compares every stored event
with every staged one, and the cost grows with the table. Measured on `large`'s file (5.7M stored events, one
slice of 130,000 staged; BENCHMARKS.md): 4.3 s and +92 MiB for the OR, 0.06 s and +15 MiB for the key alone;
the loader's peak at `large` was that delete. dlt has no setting for the condition, so its one clause builder
(`SqlMergeFollowupJob._gen_key_table_clauses`, used by every SQL destination's merge) is wrapped: with a
merge key contained in the primary key it returns the merge-key clause only; otherwise dlt's clauses as they
were. The staged rows are still deduplicated by the primary key (a separate statement: merge_dedup.py).
"""

from collections.abc import Sequence
from typing import Any

from dlt.destinations.sql_jobs import SqlMergeFollowupJob

_dlt_clauses = SqlMergeFollowupJob._gen_key_table_clauses.__func__  # type: ignore[attr-defined]


def _key_table_clauses(cls: Any, primary_keys: Sequence[str], merge_keys: Sequence[str]) -> list[str]:
    if primary_keys and merge_keys and set(merge_keys) <= set(primary_keys):
        return _dlt_clauses(cls, [], merge_keys)
    return _dlt_clauses(cls, primary_keys, merge_keys)


def install() -> None:
    """Wrap dlt's clause builder (once per process; see the module docstring)."""
    if getattr(SqlMergeFollowupJob, "_semaphore_merge_key_delete", False):
        return
    SqlMergeFollowupJob._gen_key_table_clauses = classmethod(_key_table_clauses)  # type: ignore[method-assign]
    SqlMergeFollowupJob._semaphore_merge_key_delete = True  # type: ignore[attr-defined]
