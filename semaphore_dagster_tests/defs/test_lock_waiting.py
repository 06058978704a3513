"""Writers meet a lock held by someone else (issue 9, finding 2): they wait (bounded) and then fail with one
line naming the holder and what to do."""

import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb

from semaphore_dagster.dagster_layer.catalog import table_key
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster_tests.defs.conftest import SETTINGS, semaphore_for


def _read_only_session(path: Path, seconds: float) -> subprocess.Popen:
    """Another process (a person's `duckdb -readonly`) holding `path` read-only for `seconds`."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}, read_only=True); print('ok', flush=True); "
            f"time.sleep({seconds})",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
    return holder


def _org_job(server: EmulatorServer, db: Path, tmp_path: Path, wait: float) -> dg.JobDefinition:
    resources = {
        "semaphore": semaphore_for(server),
        "destination": DestinationResource(
            duckdb_path=str(db), lock_wait_seconds=wait, pipelines_dir=str(tmp_path / "dlt")
        ),
    }
    job = dg.define_asset_job("org_only", selection=[table_key("projects")])
    return dg.Definitions.merge(
        build_definitions(SETTINGS, resources), dg.Definitions(jobs=[job])
    ).resolve_job_def(job.name)


def test_a_writer_waits_for_a_read_only_session_then_loads(emulator: EmulatorServer, tmp_path: Path) -> None:
    db = tmp_path / "semaphore_ci.duckdb"
    duckdb.connect(str(db)).close()
    holder = _read_only_session(db, 4)
    try:
        started = time.monotonic()
        with dg.instance_for_test() as instance:
            result = _org_job(emulator, db, tmp_path, wait=60).execute_in_process(instance=instance)
        assert result.success
        assert time.monotonic() - started >= 2  # it waited for the session to end
    finally:
        holder.kill()
        holder.wait()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM semaphore.projects").fetchall()[0][0] > 0


def test_a_writer_gives_up_after_its_deadline_with_one_line_naming_the_holder(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "semaphore_ci.duckdb"
    duckdb.connect(str(db)).close()
    holder = _read_only_session(db, 120)
    try:
        started = time.monotonic()
        with dg.instance_for_test() as instance:
            result = _org_job(emulator, db, tmp_path, wait=1.5).execute_in_process(
                instance=instance, raise_on_error=False
            )
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert not result.success and elapsed < 60
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message.strip()
    assert len(message.splitlines()) == 1, message
    assert f"PID {holder.pid}" in message and "close that session" in message
    assert "credential" not in message.lower()
