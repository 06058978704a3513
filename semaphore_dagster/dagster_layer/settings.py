"""The settings the Dagster layer's definitions are built from, validated, with readable defaults.

What a run needs to reach Semaphore and the destination lives in the resources (`semaphore_dagster.resources`);
what must be fixed when the definitions are built lives here: the first log partition, whether schedules and
sensors start on, the sensor's cap and interval, the destination kind (it decides the pools). Every value is
validated when the code location loads; a bad one fails with one line naming the key and where to set it.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dlt

from semaphore_dagster.resources.destination import DATASET_NAME, DEFAULT_DUCKDB_PATH, DestinationKind

__all__ = ["DATASET_NAME", "DEFAULT_DUCKDB_PATH"]

# One dlt pipeline name per asset group: dlt keeps one cursor per resource per pipeline, and two runs of the
# same pipeline name at once race on its working directory. All write the same dataset. Groups of the
# contract not listed here get `semaphore_<group>`.
PIPELINE_BY_GROUP = {
    "organization": "semaphore_org",
    "ci_activity": "semaphore_ci",
    "fleet": "semaphore_fleet",
    "deployments": "semaphore_deployments",
}
PIPELINE_CI = PIPELINE_BY_GROUP["ci_activity"]
PIPELINE_ORG = PIPELINE_BY_GROUP["organization"]
PIPELINE_FLEET = PIPELINE_BY_GROUP["fleet"]
PIPELINE_DEPLOYMENTS = PIPELINE_BY_GROUP["deployments"]
PIPELINE_LOGS = "semaphore_logs"

# Every reader and writer of a DuckDB file runs in this pool; dagster.yaml gives pools a limit of 1.
DUCKDB_POOL = "duckdb"

AUTOMATION_KEY = "SEMAPHORE_DAGSTER_AUTOMATION"
LOGS_START_KEY = "SEMAPHORE_DAGSTER_LOGS_START_DATE"
MAX_RUNS_KEY = "SEMAPHORE_DAGSTER_SENSOR_MAX_RUNS"
INTERVAL_KEY = "SEMAPHORE_DAGSTER_SENSOR_INTERVAL"
LOCK_WAIT_KEY = "SEMAPHORE_DAGSTER_LOCK_WAIT_SECONDS"
DESTINATION_KEY = "SEMAPHORE_DAGSTER_DESTINATION"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A Dagster-layer setting is invalid; the message names the key and where to set it."""


def pipeline_of_group(group: str) -> str:
    return PIPELINE_BY_GROUP.get(group, f"semaphore_{group}")


def pool_for(kind: DestinationKind, pipeline_name: str) -> str:
    """DuckDB: one pool for every reader and writer of the file (single-writer lock). Postgres takes
    concurrent writers, but two runs of one dlt pipeline name race on its state: one pool per pipeline."""
    return DUCKDB_POOL if kind == "duckdb" else f"dlt_{pipeline_name}"


def check_pool_for(kind: DestinationKind) -> str | None:
    """Checks read the file: on DuckDB they queue with the writers; Postgres readers never block writers."""
    return DUCKDB_POOL if kind == "duckdb" else None


@dataclass(frozen=True)
class DagsterSettings:
    """What the definitions are built from (see `from_env`)."""

    # First day of the `semaphore/job_logs` partitions (UTC).
    logs_start_date: date
    # Schedules, sensors and the automation-condition sensor start RUNNING (True) or STOPPED (False, the
    # default: nothing calls the API until someone turns them on).
    automation_on: bool = False
    # Sensor: at most this many runs requested per tick (1 CI-activity run + log partitions).
    sensor_max_runs_per_tick: int = 4
    sensor_interval_seconds: int = 60
    # Freshness policies: CI activity is loaded hourly, the slowly-changing entities daily.
    ci_fresh_within: timedelta = timedelta(hours=2)
    daily_fresh_within: timedelta = timedelta(hours=26)
    # The destination kind the definitions are built for (pools differ); the resource holds the rest.
    destination_kind: DestinationKind = "duckdb"

    def __post_init__(self) -> None:
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        if self.logs_start_date > tomorrow:
            raise SettingsError(
                f"{LOGS_START_KEY} (or [sources.semaphore] start_date) is {self.logs_start_date}, in the "
                "future: set a day on or before today"
            )
        if self.sensor_max_runs_per_tick < 1:
            raise SettingsError(f"{MAX_RUNS_KEY} must be 1 or more, not {self.sensor_max_runs_per_tick}")
        if self.sensor_interval_seconds < 1:
            raise SettingsError(
                f"{INTERVAL_KEY} must be 1 or more seconds, not {self.sensor_interval_seconds}"
            )
        if self.destination_kind not in ("duckdb", "postgres"):
            raise SettingsError(
                f"{DESTINATION_KEY} must be duckdb or postgres, not {self.destination_kind!r}"
            )

    @classmethod
    def from_env(cls) -> "DagsterSettings":
        """`SEMAPHORE_DAGSTER_LOGS_START_DATE`, else `[sources.semaphore] start_date`, else 30 days ago;
        `SEMAPHORE_DAGSTER_AUTOMATION=on` starts schedules and sensors running."""
        raw = os.environ.get(LOGS_START_KEY) or dlt.config.get("sources.semaphore.start_date")
        return cls(
            logs_start_date=parse_start_date(raw),
            automation_on=env_flag(AUTOMATION_KEY, False),
            sensor_max_runs_per_tick=env_int(MAX_RUNS_KEY, 4),
            sensor_interval_seconds=env_int(INTERVAL_KEY, 60),
            destination_kind=env_choice(DESTINATION_KEY, "duckdb", ("duckdb", "postgres")),  # type: ignore[arg-type]
        )


_OVERRIDE: ContextVar[DagsterSettings | None] = ContextVar("semaphore_dagster_settings", default=None)


def current_settings() -> DagsterSettings:
    """The settings the definitions being built use: those given to `build_definitions`, else the
    environment's (`DagsterSettings.from_env`)."""
    return _OVERRIDE.get() or DagsterSettings.from_env()


@contextmanager
def settings_override(settings: DagsterSettings | None) -> Iterator[None]:
    token = _OVERRIDE.set(settings)
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def env_flag(name: str, default: bool) -> bool:
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be on or off, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {value!r}") from None
    if number < 0:
        raise SettingsError(f"{name} must be 0 or more seconds, not {value!r}")
    return number


def env_choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (os.environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def lock_wait_seconds() -> float:
    """Default of how long a reader or writer waits for another process's lock on the DuckDB file."""
    return env_float(LOCK_WAIT_KEY, 30.0)


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
        raise SettingsError(
            f"start date {text!r} is not an ISO date: set it like 2026-10-01 "
            f"({LOGS_START_KEY} or [sources.semaphore] start_date)"
        ) from None
