"""The destination resource: one place that says where the `semaphore` dataset lives.

DuckDB (a file, the default) or PostgreSQL (a server, for teams that share the data). Everything that writes
or reads the tables (the dlt assets, the table checks, the dbt insights, the report, the sensor) takes its
connection from here, so switching destination is configuration, not code.
"""

from typing import Literal

import dagster as dg
from pydantic import Field

DestinationKind = Literal["duckdb", "postgres"]
DATASET_NAME = "semaphore"
INSIGHTS_SCHEMA = "semaphore_insights"
DEFAULT_DUCKDB_PATH = "semaphore_ci.duckdb"


class DestinationResource(dg.ConfigurableResource):
    """Where the Semaphore tables are loaded and read.

    kind: "duckdb" (default) or "postgres".
    duckdb_path: the DuckDB file (kind duckdb); relative paths are relative to the process cwd.
    postgres_credentials: a `postgresql://user:password@host:port/db` URL (kind postgres); a secret: set it
        with `dg.EnvVar("DESTINATION__POSTGRES__CREDENTIALS")`, the variable dlt itself reads.
    """

    kind: DestinationKind = Field(default="duckdb", description="duckdb (a file) or postgres (a server)")
    duckdb_path: str = Field(default=DEFAULT_DUCKDB_PATH, description="the DuckDB file (kind duckdb)")
    postgres_credentials: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db (kind postgres; secret, from an EnvVar)",
    )
    dataset: str = Field(default=DATASET_NAME, description="schema of the loaded tables")
    insights_schema: str = Field(default=INSIGHTS_SCHEMA, description="schema of the insight tables")
