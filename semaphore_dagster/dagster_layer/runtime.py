"""What a load step does at run time: build the dlt pipeline from the destination resource, wait for the
DuckDB lock, run the source, and describe each table on its materialization.

Hand-written rather than `DagsterDltResource.run` because the materialization must say what a user needs
first (table name, row count in the table, rows this load brought, a one-line dlt summary) instead of dlt's
load-package internals (file paths, job lists), because a writer must wait for a lock held by another
process, and because log partitions get per-day figures. It keeps dagster-dlt's state rule: local pipeline
state is dropped before each run and restored from the destination, which is the source of truth for cursors.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import dlt as dlt_lib
from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue

from semaphore_dagster.dagster_layer.catalog import table_key, table_name
from semaphore_dagster.dagster_layer.readers import DuckDBLockedError, Reader, _is_lock_error
from semaphore_dagster.resources.destination import DestinationError, DestinationResource
from semaphore_dagster.resources.semaphore import NotConfiguredError, SemaphoreResource
from semaphore_dagster.semaphore.errors import root_semaphore_error
from semaphore_dagster.semaphore.slices import LoadResult, load_in_slices

# parquet: 50x faster than insert_values on DuckDB, a fraction of the memory.
LOADER_FILE_FORMAT = "parquet"


def _fail(message: str, retry: bool = False) -> Failure:
    return Failure(description=message, allow_retries=retry)


def source_kwargs(semaphore: SemaphoreResource) -> dict[str, Any]:
    """The source's keyword arguments, or a one-line Dagster failure saying what to set."""
    try:
        return semaphore.source_kwargs()
    except NotConfiguredError as exc:
        raise _fail(str(exc)) from None


def build_source(factory: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a source function; its configuration errors (checked before any request) become one line."""
    try:
        return factory(**kwargs)
    except Exception as exc:
        ours = root_semaphore_error(exc)
        if ours is None:
            raise
        raise _fail(f"{type(ours).__name__}: {ours}") from None


def open_pipeline(destination: DestinationResource, pipeline_name: str) -> dlt_lib.Pipeline:
    try:
        return destination.dlt_pipeline(pipeline_name)
    except DestinationError as exc:
        raise _fail(str(exc)) from None


def _caused_by_lock(exc: BaseException) -> bool:
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, Exception) and _is_lock_error(cur):
            return True
        stack.extend([cur.__cause__, cur.__context__, getattr(cur, "exception", None)])
    return False


def wait_for_lock(destination: DestinationResource, context: AssetExecutionContext) -> None:
    """DuckDB: wait until no other process holds the file; else one line naming the holder."""
    try:
        destination.wait_until_writable(context.log)
    except DuckDBLockedError as exc:
        raise _fail(str(exc)) from None


def load(
    context: AssetExecutionContext, destination: DestinationResource, pipeline: dlt_lib.Pipeline, source: Any
) -> LoadResult:
    """Run `source` into `pipeline`, one load per slice of a big CI plan (each committed on its own, so a
    killed first load resumes after its last slice: the source's slices.py)."""
    return load_in_slices(pipeline, source, lambda part: _load_once(context, destination, pipeline, part))


def _load_once(
    context: AssetExecutionContext, destination: DestinationResource, pipeline: dlt_lib.Pipeline, source: Any
) -> Any:
    """One dlt load of `source` (waiting for the DuckDB lock first; once more if another process took it in
    between). Our source errors and lock errors become one line, token-free."""
    for attempt in (1, 2):
        wait_for_lock(destination, context)
        # As dagster-dlt does: drop local state (and pending packages of a killed run), restore from the
        # destination. A half-loaded package is never committed in `_dlt_loads`, so readers ignore it.
        pipeline.drop()
        try:
            info = pipeline.run(source, loader_file_format=LOADER_FILE_FORMAT)
            info.raise_on_failed_jobs()
            return info
        except Exception as exc:
            ours = root_semaphore_error(exc)
            if ours is not None:
                raise _fail(f"{type(ours).__name__}: {ours}") from None
            if _caused_by_lock(exc):
                if attempt == 1:
                    context.log.info("the DuckDB file was taken by another process; waiting and retrying")
                    continue
                wait_for_lock(destination, context)  # still held: one line naming the holder
                raise _fail(
                    "another process took the DuckDB file twice during this load; nothing half-loaded is "
                    "visible (the load was not committed): re-run when it is done"
                ) from None
            raise
    raise AssertionError("unreachable")


def table_row_counts(reader: Reader, tables: Iterable[str]) -> dict[str, int]:
    """Rows of completed loads in each table; a table dlt never created (no rows ever arrived) counts 0."""
    return {
        t: int(reader.scalar(f"SELECT count(*) FROM {reader.q(t)}") or 0) if reader.has_table(t) else 0
        for t in tables
    }


def dlt_summary(pipeline: dlt_lib.Pipeline, result: LoadResult, loaded: int) -> str:
    """One line: what dlt did for this table (the full load info stays in dlt's trace)."""
    load_ids = ", ".join(result.load_ids) or "none"
    return f"dlt pipeline {pipeline.pipeline_name}: {loaded} row(s) loaded (load id {load_ids})"


def materializations(
    context: AssetExecutionContext,
    destination: DestinationResource,
    pipeline: dlt_lib.Pipeline,
    result: LoadResult,
    tables: list[str],
) -> Iterator[MaterializeResult]:
    """One result per table: row count and table name first, then this load's figures."""
    loaded = result.row_counts
    with destination.read() as reader:
        counts = table_row_counts(reader, tables)
    for table in tables:
        yield MaterializeResult(
            asset_key=table_key(table),
            metadata={
                "dagster/row_count": counts.get(table, 0),
                "dagster/table_name": table_name(table),
                "rows_loaded": MetadataValue.int(loaded.get(table, 0)),
                "dlt": MetadataValue.text(dlt_summary(pipeline, result, loaded.get(table, 0))),
                "destination": MetadataValue.text(destination.describe()),
            },
        )


def run_tables(
    context: AssetExecutionContext,
    destination: DestinationResource,
    source: Any,
    pipeline_name: str,
    tables: list[str],
) -> Iterator[MaterializeResult]:
    pipeline = open_pipeline(destination, pipeline_name)
    result = load(context, destination, pipeline, source)
    yield from materializations(context, destination, pipeline, result, tables)
