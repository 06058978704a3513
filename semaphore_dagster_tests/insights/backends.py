"""Put a `semaphore` dataset into a destination the way dlt does, and get the dbt target that reads it.

DuckDB: tables.write_tables (dlt's shapes: `_dlt_load_id`, `_dlt_loads`, a column only when it has a value).
PostgreSQL: dlt itself (`dlt.destinations.postgres`), one load of the same rows, in a fresh database.
"""

import itertools
import json
from pathlib import Path

import dlt
import duckdb

from semaphore_dagster.insights import DbtTarget
from semaphore_dagster_tests.insights.tables import write_tables

_counter = itertools.count()


def duckdb_target(tables: dict[str, list[dict]], path: Path) -> DbtTarget:
    con = duckdb.connect(str(path))
    try:
        write_tables(con, tables)
    finally:
        con.close()
    return DbtTarget(kind="duckdb", duckdb_path=str(path))


def _plain(row: dict) -> dict:
    return {k: json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v for k, v in row.items()}


def load_with_dlt(tables: dict[str, list[dict]], url: str, pipelines_dir: Path) -> None:
    """One dlt load of `tables` into the `semaphore` dataset of the PostgreSQL database at `url`."""
    resources = [
        dlt.resource([_plain(r) for r in rows], name=name, write_disposition="replace")
        for name, rows in tables.items()
        if rows
    ]
    pipeline = dlt.pipeline(
        pipeline_name=f"insights_test_{next(_counter)}",
        destination=dlt.destinations.postgres(credentials=url),
        dataset_name="semaphore",
        pipelines_dir=str(pipelines_dir),
    )
    if resources:
        pipeline.run(resources)
    else:  # nothing loaded yet: the dataset does not even exist
        pass


def postgres_target(tables: dict[str, list[dict]], pg_server, tmp_path: Path) -> DbtTarget:
    url = pg_server.create_database(f"ins_{next(_counter)}_{tmp_path.name[-20:].lower()}".replace("-", "_"))
    load_with_dlt(tables, url, tmp_path / "dlt_pipelines")
    return DbtTarget(kind="postgres", postgres_credentials=url)
