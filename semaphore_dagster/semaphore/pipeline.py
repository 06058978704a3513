"""`make_pipeline` and `run_load`: finish what a killed run left, then load with parquet (in slices)."""

from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination import Destination
from dlt.common.destination.exceptions import UnknownDestinationModule
from dlt.common.pipeline import LoadInfo
from dlt.common.runtime import signals
from dlt.common.runtime.collector import NullCollector
from dlt.extract.source import DltSource

from . import merge_dedup, merge_delete, native_memory
from .errors import ConfigError
from .slices import LoadResult, load_in_slices

LOADER_FILE_FORMAT = "parquet"  # 50x faster than insert_values on DuckDB, bounded memory (stack-notes)


# DuckDB's defaults are 80% of RAM and one thread per core; beyond the limit it spills to <file>.tmp. Measured
# at medium (BENCHMARKS.md): peak 1,174 MiB uncapped (bench), 709 with 256MB, 588 with 128MB and one thread.
DUCKDB_MEMORY_LIMIT = "128MB"
DUCKDB_THREADS = 1


def capped_duckdb(credentials: Any) -> Any:
    """A DuckDB file path (given, or DESTINATION__DUCKDB__CREDENTIALS / `.dlt/config.toml`) as credentials
    that cap DuckDB's memory at DUCKDB_MEMORY_LIMIT and its threads at DUCKDB_THREADS: by default DuckDB may take 80% of the machine while it
    ingests and merges the load's files, so the loader's peak grew with the organization (measured in
    BENCHMARKS.md). Credentials objects and connections are left as they are (their owner decides)."""
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    if credentials is None:
        try:
            credentials = dlt.config.get("destination.duckdb.credentials")
        except Exception:  # not configured: dlt's default file (<pipeline_name>.duckdb), uncapped
            return None
    if not isinstance(credentials, (str, Path)) or str(credentials).startswith(":"):
        return credentials  # an object, a connection, or :memory: / :pipeline:
    config = {"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": DUCKDB_THREADS}
    return DuckDbCredentials(str(credentials), global_config=config)


class ArrowReleasingCollector(NullCollector):
    """dlt's progress collector, used for the one thing dlt has no other hook for: when a step (extract,
    normalize, load) ends, freed memory goes back to the system before the next step starts on top of it.
    Arrow's pool (mimalloc) keeps freed columns: the load step of one 100 MB log started on top of the
    extract's 180 MiB. glibc's malloc keeps the pages the step freed: `native_memory.trim` hands them back,
    which Python itself never asks for."""

    def _stop(self) -> None:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
        native_memory.trim()


def make_pipeline(
    pipeline_name: str = "semaphore",
    destination: Any = "duckdb",
    dataset_name: str = "semaphore",
    pipelines_dir: str | Path | None = None,
    credentials: Any = None,
) -> dlt.Pipeline:
    """A dlt pipeline into `destination` (a name or a destination object). For DuckDB without
    `credentials`, the path comes from DESTINATION__DUCKDB__CREDENTIALS or `.dlt/config.toml`."""
    # dlt adds `_dlt_load_id` to Arrow tables (job_log_events) only when asked: without it their rows could
    # not be told apart by load, and readers see completed loads only (docs/source.md, "No half load visible").
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    native_memory.limit_arenas()  # before dlt starts its pools (native_memory.py)
    merge_delete.install()  # the merge of job_log_events deletes by job_id alone (merge_delete.py)
    merge_dedup.install()  # staged rows deduplicated by row id on DuckDB (merge_dedup.py)
    try:
        if isinstance(destination, str):
            if destination == "duckdb":
                credentials = capped_duckdb(credentials)
            destination = Destination.from_reference(destination, credentials=credentials)
    except UnknownDestinationModule:
        name = str(destination)
        raise ConfigError(
            f"unknown destination {name!r}: use a dlt destination name such as duckdb or postgres with "
            f"--destination, or give the named destination a type with DESTINATION__{name.upper()}__DESTINATION_TYPE"
        ) from None
    return dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=destination,
        dataset_name=dataset_name,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
        progress=ArrowReleasingCollector(),
    )


def run_load(pipeline: dlt.Pipeline, source: DltSource) -> LoadInfo:
    """`load_all`, returning the last load's info."""
    return load_all(pipeline, source).last


def load_all(pipeline: dlt.Pipeline, source: DltSource) -> LoadResult:
    """Load pending packages of a killed run first (dlt would otherwise load only them and skip the new
    extract), then extract, normalize and load `source` with the parquet loader format, one load per slice
    of a big CI plan (slices.py); the result holds every load's info and the rows per table over all.

    SIGINT/SIGTERM: dlt delays them inside each step to a safe point, and forgets one that arrives late in a
    step (it clears the flag when the step ends), so a SIGTERM during the last load step was swallowed and
    the run went on. The whole call runs under one interception (dlt's nested ones are no-ops): a signal
    received anywhere stops the run at the next step boundary with `SignalReceivedException`; what was
    committed stays (every slice loaded so far), the next run finishes the rest (docs/source.md)."""

    def one_load(part: DltSource) -> LoadInfo:
        info = pipeline.run(part, loader_file_format=LOADER_FILE_FORMAT)
        signals.raise_if_signalled()
        return info

    with signals.intercepted_signals():
        while pipeline.has_pending_data:
            pipeline.run()
            signals.raise_if_signalled()
        return load_in_slices(pipeline, source, one_load)
