"""Build the insight tables in the `semaphore_insights` schema of a DuckDB database."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from semaphore_dagster.insights.config import INSIGHTS_SCHEMA, InsightsConfig
from semaphore_dagster.insights.registry import INSIGHTS, build_order
from semaphore_dagster.insights.sources import prepare_sources, quote_ident

ConnOrPath = duckdb.DuckDBPyConnection | str | Path


@contextmanager
def connect(con_or_path: ConnOrPath, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Use the given connection as is, or open (and close) the DuckDB file at the path."""
    if isinstance(con_or_path, duckdb.DuckDBPyConnection):
        yield con_or_path
        return
    path = Path(con_or_path)
    if read_only and not path.exists():
        raise FileNotFoundError(
            f"DuckDB file {path} does not exist: load the data first (semaphore-dagster load)"
        )
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def build_insight(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """(Re)create `semaphore_insights.<name>` from its SQL; `prepare_sources` must have run. Returns rows."""
    insight = INSIGHTS[name]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {INSIGHTS_SCHEMA}")
    table = f"{INSIGHTS_SCHEMA}.{quote_ident(name)}"
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS\n{insight.sql}")
    except duckdb.Error as exc:
        raise RuntimeError(f"insight {name} ({insight.sql_path.name}) failed: {exc}") from exc
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def fetch_rows(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    cursor = con.execute(f"SELECT * FROM {INSIGHTS_SCHEMA}.{quote_ident(name)}")
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def build_insights(
    con_or_path: ConnOrPath,
    config: InsightsConfig | None = None,
    names: list[str] | None = None,
    source_catalog: str | None = None,
) -> dict[str, list[dict]]:
    """Build the insight tables (all, or `names` plus what they need); returns table -> rows.

    The raw tables are read from `source_catalog` (default: the same database)."""
    config = config or InsightsConfig()
    with connect(con_or_path) as con:
        prepare_sources(con, config, source_catalog)
        built = [i.name for i in build_order(names)]
        for name in built:
            build_insight(con, name)
        return {name: fetch_rows(con, name) for name in built}
