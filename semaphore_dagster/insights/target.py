"""Where dbt builds the insights: the profile target and its environment variables.

The dbt profile (dbt_project/profiles.yml) reads every value from environment variables, so the same project
runs by itself (`dbt build`), under Dagster (dagster-dbt) and from Python. `dbt_env(target)` gives them;
`target_from_destination(...)` maps the Dagster destination resource's fields (kind, duckdb_path,
postgres_credentials, dataset, insights_schema) onto a target.

Variables (all optional; defaults in parentheses):
  SEMAPHORE_DBT_TARGET            duckdb | duckdb_scratch | postgres (duckdb)
  SEMAPHORE_DBT_DUCKDB_PATH       the DuckDB file dbt writes (semaphore_ci.duckdb)
  SEMAPHORE_DBT_SOURCE_DUCKDB_PATH  duckdb_scratch only: the loaded file, ATTACHed read-only as `loaded`
  SEMAPHORE_DBT_SOURCE_DATABASE   the catalog / database of the loaded tables (the target's own)
  SEMAPHORE_DBT_SOURCE_SCHEMA     the dataset (semaphore)
  SEMAPHORE_DBT_INSIGHTS_SCHEMA   the insight tables' schema (semaphore_insights); staging views go to
                                  <insights schema>_staging
  SEMAPHORE_DBT_PG_HOST / _PORT / _USER / _DBNAME, DBT_ENV_SECRET_SEMAPHORE_PG_PASSWORD  (postgres; the
                                  DBT_ENV_SECRET_ prefix makes dbt scrub the password from its logs)
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from semaphore_dagster.insights.config import INSIGHTS_SCHEMA, SOURCE_SCHEMA

TargetKind = Literal["duckdb", "duckdb_scratch", "postgres"]
DEFAULT_DUCKDB_PATH = "semaphore_ci.duckdb"
SCRATCH_SOURCE_ALIAS = "loaded"  # the alias profiles.yml gives the read-only source file
ENV_PREFIX = "SEMAPHORE_DBT_"
PASSWORD_VAR = "DBT_ENV_SECRET_SEMAPHORE_PG_PASSWORD"
# Set for every dbt invocation: no usage stats leave the machine.
DBT_BASE_ENV = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}


@dataclass(frozen=True, slots=True)
class DbtTarget:
    """A destination for the insights build.

    kind duckdb: `duckdb_path` holds both the loaded dataset and the insight tables.
    kind duckdb_scratch: insights go to `duckdb_path` (a scratch file); the loaded dataset is read from
        `source_duckdb_path`, ATTACHed read-only (the report command: it never writes the loaded file).
    kind postgres: `postgres_credentials` is a postgresql://user:password@host:port/db URL.
    """

    kind: TargetKind = "duckdb"
    duckdb_path: str = DEFAULT_DUCKDB_PATH
    postgres_credentials: str | None = None
    dataset: str = SOURCE_SCHEMA
    insights_schema: str = INSIGHTS_SCHEMA
    source_duckdb_path: str | None = None

    def __post_init__(self) -> None:
        for field_name in ("dataset", "insights_schema"):
            value = getattr(self, field_name)
            if not value.isidentifier():
                raise ValueError(f"{field_name} {value!r} must be a plain SQL identifier (e.g. semaphore)")
        if self.kind == "postgres" and not self.postgres_credentials:
            raise ValueError(
                "the postgres destination needs credentials: set DESTINATION__POSTGRES__CREDENTIALS to "
                "postgresql://user:password@host:port/database"
            )
        if self.kind == "duckdb_scratch" and not self.source_duckdb_path:
            raise ValueError("kind duckdb_scratch needs source_duckdb_path (the loaded DuckDB file)")

    def __repr__(self) -> str:  # never show the password
        return f"DbtTarget(kind={self.kind!r}, duckdb_path={self.duckdb_path!r}, dataset={self.dataset!r})"

    @property
    def staging_schema(self) -> str:
        return f"{self.insights_schema}_staging"


def target_from_destination(
    kind: str,
    duckdb_path: str | Path | None = None,
    postgres_credentials: str | None = None,
    dataset: str = SOURCE_SCHEMA,
    insights_schema: str = INSIGHTS_SCHEMA,
) -> DbtTarget:
    """The dbt target for a destination given by the Dagster `DestinationResource` fields."""
    if kind not in ("duckdb", "postgres"):
        raise ValueError(
            f"destination kind {kind!r} is not supported by the insights: use duckdb or postgres"
        )
    return DbtTarget(
        kind=kind,  # type: ignore[arg-type]
        duckdb_path=str(Path(duckdb_path or DEFAULT_DUCKDB_PATH).expanduser().absolute()),
        postgres_credentials=postgres_credentials,
        dataset=dataset,
        insights_schema=insights_schema,
    )


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise ValueError(
            "DESTINATION__POSTGRES__CREDENTIALS must look like postgresql://user:password@host:port/database"
        )
    return {
        ENV_PREFIX + "PG_HOST": parts.hostname,
        ENV_PREFIX + "PG_PORT": str(parts.port or 5432),
        ENV_PREFIX + "PG_USER": unquote(parts.username or ""),
        ENV_PREFIX + "PG_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        PASSWORD_VAR: unquote(parts.password or ""),
    }


def dbt_env(target: DbtTarget) -> dict[str, str]:
    """The environment variables the dbt profile reads for `target`."""
    env = {
        **DBT_BASE_ENV,
        ENV_PREFIX + "TARGET": target.kind,
        ENV_PREFIX + "SOURCE_SCHEMA": target.dataset,
        ENV_PREFIX + "INSIGHTS_SCHEMA": target.insights_schema,
        ENV_PREFIX + "SOURCE_DATABASE": "",
    }
    if target.kind == "postgres":
        assert target.postgres_credentials is not None
        env.update(_postgres_env(target.postgres_credentials))
    else:
        env[ENV_PREFIX + "DUCKDB_PATH"] = target.duckdb_path
    if target.kind == "duckdb_scratch":
        assert target.source_duckdb_path is not None
        env[ENV_PREFIX + "SOURCE_DUCKDB_PATH"] = target.source_duckdb_path
        env[ENV_PREFIX + "SOURCE_DATABASE"] = SCRATCH_SOURCE_ALIAS
    return env


@contextmanager
def dbt_environment(target: DbtTarget) -> Iterator[dict[str, str]]:
    """Set `dbt_env(target)` in os.environ meanwhile (dbt, in process or as a subprocess, reads it there)."""
    env = dbt_env(target)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
