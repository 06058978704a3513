"""A real Dagster instance for tests that run Dagster the way users do: a temp DAGSTER_HOME with the project's
dagster.yaml (queued run coordinator, pools, run monitoring), `dagster dev` on 127.0.0.1, and the source
configured through environment variables of the processes we start (never of the test process)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from semaphore_dagster.dev_server import free_port, start_dagster_dev, stop_process_group
from semaphore_dagster_tests.conftest import TEST_TOKEN
from semaphore_dagster_tests.defs.dagster_http import Location, wait_for_location, wait_until_up

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DAGSTER_YAML = ROOT / "dagster.yaml"
# The tiny world (FIXED_NOW 2026-11-01 12:00 UTC, 3 days of history): log partitions from this day on.
FIRST_DAY = date(2026, 10, 27)


def write_dagster_home(home: Path, overrides: dict | None = None, replace: dict | None = None) -> Path:
    """`home`/dagster.yaml = the project's dagster.yaml with its base dirs under `home`; `overrides` set keys
    within top-level sections (e.g. `{"run_monitoring": {"poll_interval_seconds": 5}}`), `replace` replaces
    whole sections (e.g. `{"storage": {"postgres": ...}}`)."""
    import yaml

    home.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(PROJECT_DAGSTER_YAML.read_text().replace(".dagster_home/", f"{home}/"))
    for section, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(config.get(section), dict):
            config[section] = {**config[section], **value}
        else:
            config[section] = value
    config.update(replace or {})
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home


def source_env(
    base_url: str,
    duckdb_file: Path,
    dlt_dir: Path,
    home: Path | None = None,
    first_day: date = FIRST_DAY,
    token: str = TEST_TOKEN,
) -> dict[str, str]:
    """The environment of a Dagster process pointed at an emulator: the dlt way (SOURCES__SEMAPHORE__*,
    DESTINATION__DUCKDB__CREDENTIALS), on top of this process's environment minus any Semaphore settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOURCES__", "DESTINATION__", "DAGSTER_HOME", "SEMAPHORE_DAGSTER_"))
    }
    env.update(
        {
            "SOURCES__SEMAPHORE__BASE_URL": base_url,
            "SOURCES__SEMAPHORE__API_TOKEN": token,
            "SOURCES__SEMAPHORE__START_DATE": first_day.isoformat(),
            "SEMAPHORE_DAGSTER_LOGS_START_DATE": first_day.isoformat(),
            "DESTINATION__DUCKDB__CREDENTIALS": str(duckdb_file),
            "DLT_DATA_DIR": str(dlt_dir),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "DAGSTER_TELEMETRY_DISABLED": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    if home is not None:
        env["DAGSTER_HOME"] = str(home)
    return env


@dataclass(frozen=True)
class DevServer:
    port: int
    location: Location
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def dagster_dev(env: dict[str, str], cwd: Path, log_path: Path | None = None) -> Iterator[DevServer]:
    """`dagster dev` on a free loopback port until the block ends (its whole process group is stopped)."""
    port = free_port()
    log = open(log_path or cwd / "dagster_dev.log", "wb")  # noqa: SIM115 (closed below)
    process = start_dagster_dev(port, env, cwd=cwd, stdout=log, stderr=log)
    try:
        wait_until_up(port, alive=lambda: process.poll() is None)
        location = wait_for_location(port)
        yield DevServer(port, location, process.pid)
    finally:
        stop_process_group(process)
        log.close()
