"""Every setting of the Dagster layer, in one place, with readable defaults.

Values come from the environment (and dlt's config files for what dlt already knows: the Semaphore URL and
token, the DuckDB path, the start date). Definitions read them at import time only for what must be fixed
then (the log partitions' start date, whether schedules start on); everything a run needs (URL, token,
DuckDB path) is resolved when the run starts, so the code location imports with nothing configured.
"""

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dlt

DATASET_NAME = "semaphore"
# Not `semaphore.duckdb`: DuckDB names the file's catalog after its stem, and a catalog named like the
# dataset makes every `semaphore.<table>` ambiguous (dlt's own DDL fails with duckdb 2).
DEFAULT_DUCKDB_PATH = "semaphore_ci.duckdb"

# One dlt pipeline name per asset group: dlt keeps one cursor per resource per pipeline, and two runs of the
# same pipeline name at once race on its working directory (stack-notes). All write the same dataset.
PIPELINE_CI = "semaphore_ci"
PIPELINE_ORG = "semaphore_org"
PIPELINE_FLEET = "semaphore_fleet"
PIPELINE_DEPLOYMENTS = "semaphore_deployments"
PIPELINE_LOGS = "semaphore_logs"

# Every writer of the DuckDB file runs in this pool; dagster.yaml gives pools a limit of 1.
DUCKDB_POOL = "duckdb"

# Used only to build the dlt sources handed to `@dlt_assets` at import time (never sent anywhere).
PLACEHOLDER_BASE_URL = "https://placeholder.semaphoreci.com"
PLACEHOLDER_TOKEN = "placeholder-token"

NOT_CONFIGURED = (
    "Semaphore is not configured: set SOURCES__SEMAPHORE__BASE_URL and SOURCES__SEMAPHORE__API_TOKEN "
    "(or base_url in .dlt/config.toml and api_token in .dlt/secrets.toml under [sources.semaphore])"
)


class NotConfiguredError(RuntimeError):
    """The Semaphore URL or token is missing; the message says what to set."""


@dataclass(frozen=True)
class SemaphoreConnection:
    base_url: str
    api_token: str
    auth_scheme: str = "Token"

    def __repr__(self) -> str:  # never show the token
        return f"SemaphoreConnection(base_url={self.base_url!r}, auth_scheme={self.auth_scheme!r})"


def semaphore_connection() -> SemaphoreConnection:
    """The URL, token and auth scheme from dlt config (env or .dlt/*.toml), read now."""
    base_url = dlt.config.get("sources.semaphore.base_url")
    api_token = dlt.secrets.get("sources.semaphore.api_token")
    missing = [name for name, value in (("base_url", base_url), ("api_token", api_token)) if not value]
    if missing:
        raise NotConfiguredError(f"{NOT_CONFIGURED}; missing: {', '.join(missing)}")
    auth_scheme = dlt.config.get("sources.semaphore.auth_scheme") or "Token"
    return SemaphoreConnection(str(base_url), str(api_token), str(auth_scheme))


def duckdb_path() -> Path:
    """The DuckDB file every asset writes: DESTINATION__DUCKDB__CREDENTIALS or [destination.duckdb]
    credentials, else `semaphore_ci.duckdb` in the current directory. Resolved now (not at import)."""
    value = dlt.config.get("destination.duckdb.credentials")
    text = str(value) if value else DEFAULT_DUCKDB_PATH
    if text.startswith("duckdb:///"):
        text = text.removeprefix("duckdb:///")
    path = Path(text).expanduser().absolute()
    check_duckdb_name(path)
    return path


def check_duckdb_name(path: Path) -> None:
    """A file named like the dataset cannot hold it: fail early with what to change."""
    if path.stem == DATASET_NAME:
        raise NotConfiguredError(
            f"the DuckDB file {path.name} would be a catalog named {DATASET_NAME!r}, like the dataset, which "
            f"DuckDB cannot resolve: name it e.g. {DEFAULT_DUCKDB_PATH} (DESTINATION__DUCKDB__CREDENTIALS or "
            "[destination.duckdb] credentials in .dlt/config.toml)"
        )


def lock_wait_seconds() -> float:
    """How long a reader (a check) waits for another process's write lock on the DuckDB file."""
    return float(os.environ.get("SEMAPHORE_DAGSTER_LOCK_WAIT_SECONDS", "30"))


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class DagsterSettings:
    """What the definitions are built from (see `from_env`)."""

    # First day of the `semaphore/job_logs` partitions (UTC).
    logs_start_date: date
    # Schedules and sensors start RUNNING (True) or STOPPED (False, the default: nothing calls the API
    # until someone turns them on).
    automation_on: bool = False
    # Sensor: at most this many runs requested per tick (1 CI-activity run + log partitions).
    sensor_max_runs_per_tick: int = 4
    sensor_interval_seconds: int = 60
    # Freshness checks (WARN): CI activity is loaded hourly, the slowly-changing entities daily.
    ci_fresh_within: timedelta = timedelta(hours=2)
    daily_fresh_within: timedelta = timedelta(hours=26)

    @classmethod
    def from_env(cls) -> "DagsterSettings":
        """`SEMAPHORE_DAGSTER_LOGS_START_DATE`, else `[sources.semaphore] start_date`, else 30 days ago;
        `SEMAPHORE_DAGSTER_AUTOMATION=on` starts schedules and sensors running."""
        raw = os.environ.get("SEMAPHORE_DAGSTER_LOGS_START_DATE") or dlt.config.get(
            "sources.semaphore.start_date"
        )
        return cls(
            logs_start_date=parse_start_date(raw),
            automation_on=_env_flag("SEMAPHORE_DAGSTER_AUTOMATION", False),
            sensor_max_runs_per_tick=int(os.environ.get("SEMAPHORE_DAGSTER_SENSOR_MAX_RUNS", "4")),
            sensor_interval_seconds=int(os.environ.get("SEMAPHORE_DAGSTER_SENSOR_INTERVAL", "60")),
        )


def parse_start_date(raw: object) -> date:
    """A date, datetime or ISO string; None means 30 days before today (UTC)."""
    if raw is None or raw == "":
        return (datetime.now(UTC) - timedelta(days=30)).date()
    if isinstance(raw, datetime):
        return raw.astimezone(UTC).date() if raw.tzinfo else raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(
            f"start date {text!r} is not an ISO date: set it like 2026-10-01 "
            "(SEMAPHORE_DAGSTER_LOGS_START_DATE or [sources.semaphore] start_date)"
        ) from None
