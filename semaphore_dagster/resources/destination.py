"""The destination resource: one place that says where the `semaphore` dataset lives.

DuckDB (a file, the default) or PostgreSQL (a server, for teams that share the data). Everything that writes
or reads the tables (the dlt assets, the table checks, the dbt insights, the report, the sensor) takes its
connection from here, so switching destination is configuration, not code.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:
    from semaphore_dagster.dagster_layer.readers import Reader

DestinationKind = Literal["duckdb", "postgres"]
DATASET_NAME = "semaphore"
INSIGHTS_SCHEMA = "semaphore_insights"
# Not `semaphore.duckdb`: DuckDB names the file's catalog after its stem, and a catalog named like the
# dataset makes every `semaphore.<table>` ambiguous (dlt's own DDL fails with duckdb 2).
DEFAULT_DUCKDB_PATH = "semaphore_ci.duckdb"
POSTGRES_ENV = "DESTINATION__POSTGRES__CREDENTIALS"
DUCKDB_ENV = "DESTINATION__DUCKDB__CREDENTIALS"


class DestinationError(RuntimeError):
    """The destination is misconfigured or unreachable; the message says what to change."""


class DestinationResource(dg.ConfigurableResource):
    """Where the Semaphore tables are loaded and read.

    kind: "duckdb" (default) or "postgres".
    duckdb_path: the DuckDB file (kind duckdb); relative paths are relative to the process cwd.
    postgres_credentials: a `postgresql://user:password@host:port/db` URL (kind postgres); a secret: set it
        with `dg.EnvVar("DESTINATION__POSTGRES__CREDENTIALS")`, the variable dlt itself reads.
    lock_wait_seconds: how long a writer or a reader of the DuckDB file waits for a lock another process
        holds (a person's read-only session, `semaphore-dagster report`) before failing with who holds it.
    """

    kind: DestinationKind = Field(default="duckdb", description="duckdb (a file) or postgres (a server)")
    duckdb_path: str = Field(default=DEFAULT_DUCKDB_PATH, description="the DuckDB file (kind duckdb)")
    postgres_credentials: str | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db (kind postgres; secret, from an EnvVar)",
    )
    dataset: str = Field(default=DATASET_NAME, description="schema of the loaded tables")
    insights_schema: str = Field(default=INSIGHTS_SCHEMA, description="schema of the insight tables")
    lock_wait_seconds: float = Field(
        default=30.0, description="DuckDB: seconds to wait for another process's lock before failing"
    )
    pipelines_dir: str | None = Field(
        default=None, description="dlt's working folder for the pipelines (default: dlt's, or DLT_DATA_DIR)"
    )

    # --- where ------------------------------------------------------------------------------------------

    def path(self) -> Path:
        """The DuckDB file as an absolute path (kind duckdb); a file named like the dataset is refused."""
        text = self.duckdb_path.removeprefix("duckdb:///")
        path = Path(text).expanduser().absolute()
        check_duckdb_name(path, self.dataset)
        return path

    def postgres_url(self) -> str:
        import dlt

        value = self.postgres_credentials or dlt.secrets.get("destination.postgres.credentials")
        if not value:
            raise DestinationError(
                f"kind postgres needs credentials: set {POSTGRES_ENV}=postgresql://user:password@host:port/db "
                "(or [destination.postgres] credentials in .dlt/secrets.toml)"
            )
        return str(value)

    def describe(self) -> str:
        """Where the data is, for logs and metadata (never a password)."""
        if self.kind == "duckdb":
            return f"duckdb file {self.path()}"
        parts = urlsplit(self.postgres_url())
        return f"postgres {parts.hostname}:{parts.port or 5432}{parts.path}"

    # --- writing ----------------------------------------------------------------------------------------

    def dlt_destination(self) -> Any:
        """The dlt destination object the loads write with."""
        import dlt

        if self.kind == "duckdb":
            return dlt.destinations.duckdb(credentials=str(self.path()))
        if self.kind == "postgres":
            return dlt.destinations.postgres(credentials=self.postgres_url())
        raise DestinationError(f"unknown destination kind {self.kind!r}: use duckdb or postgres")

    def dlt_pipeline(self, pipeline_name: str) -> Any:
        """A dlt pipeline named `pipeline_name` into this destination's dataset."""
        from semaphore_dagster.semaphore import make_pipeline

        return make_pipeline(
            pipeline_name=pipeline_name,
            destination=self.dlt_destination(),
            dataset_name=self.dataset,
            pipelines_dir=self.pipelines_dir,
        )

    def wait_until_writable(self, log: Any = None) -> None:
        """DuckDB: wait (up to `lock_wait_seconds`) until no other process holds the file, or fail with
        one line saying who holds it. Postgres: nothing to wait for."""
        if self.kind != "duckdb":
            return
        from semaphore_dagster.dagster_layer.readers import wait_until_writable

        wait_until_writable(self.path(), self.lock_wait_seconds, log)

    # --- reading ----------------------------------------------------------------------------------------

    @contextmanager
    def read(self, wait_seconds: float | None = None) -> "Iterator[Reader]":
        """A read-only SQL reader of the dataset (completed loads only, see `Reader.q`)."""
        from semaphore_dagster.dagster_layer import readers

        if self.kind == "duckdb":
            wait = self.lock_wait_seconds if wait_seconds is None else wait_seconds
            with readers.read_duckdb(self.path(), wait, self.dataset) as reader:
                yield reader
        else:
            with readers.read_postgres(self.postgres_url(), self.dataset) as reader:
                yield reader

    @classmethod
    def from_env(cls, kind: DestinationKind = "duckdb") -> "DestinationResource":
        """The code location's default, the dlt way: the DuckDB file from DESTINATION__DUCKDB__CREDENTIALS
        or `[destination.duckdb] credentials` (else `semaphore_ci.duckdb`); Postgres credentials as
        `EnvVar` when DESTINATION__POSTGRES__CREDENTIALS is set (else `.dlt/secrets.toml` at run time)."""
        import dlt

        from semaphore_dagster.dagster_layer.settings import lock_wait_seconds

        value = dlt.config.get("destination.duckdb.credentials")
        credentials: Any = dg.EnvVar(POSTGRES_ENV) if os.environ.get(POSTGRES_ENV) else None
        return cls(
            kind=kind,
            duckdb_path=str(value) if value else DEFAULT_DUCKDB_PATH,
            postgres_credentials=credentials,
            lock_wait_seconds=lock_wait_seconds(),
        )


def check_duckdb_name(path: Path, dataset: str = DATASET_NAME) -> None:
    """A file named like the dataset cannot hold it: fail early with what to change."""
    if path.stem == dataset:
        raise DestinationError(
            f"the DuckDB file {path.name} would be a catalog named {dataset!r}, like the dataset, which "
            f"DuckDB cannot resolve: name it e.g. {DEFAULT_DUCKDB_PATH} ({DUCKDB_ENV} or "
            "[destination.duckdb] credentials in .dlt/config.toml)"
        )
