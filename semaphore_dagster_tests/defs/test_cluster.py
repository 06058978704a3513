"""Ready for a cluster (slow): Dagster's own storage on PostgreSQL, runs that share nothing but the databases,
the multiprocess executor, and the code location served over gRPC the way a Kubernetes user deployment is.

- Two runs (every unpartitioned table, then the job-log partitions of every day as one single-run backfill),
  each a separate `dagster job execute` process with a fresh DAGSTER_HOME, working directory and dlt folder,
  on the multiprocess executor (one process per step); Dagster's run, event and schedule storage in PostgreSQL
  (`dagster-postgres`, the `pg_server` fixture). The tables equal the emulator's ground truth and both runs
  and their steps are recorded in PostgreSQL.
- `dagster api grpc -m semaphore_dagster.definitions` on 127.0.0.1 (the user-code server), and a webserver +
  daemon (`dagster dev -w workspace.yaml`) that only know it through a `grpc_server` workspace entry: the
  location loads, and a Materialize launched through GraphQL runs in a process started by the gRPC server.
"""

import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import psutil
import pytest

from semaphore_dagster.dev_server import free_port, start_dagster_dev, stop_process_group
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.cluster_defs import LOGS_JOB, TABLES_JOB
from semaphore_dagster_tests.defs.dagster_http import (
    graphql,
    launch_assets,
    run_worker_pid,
    wait_for_location,
    wait_for_run,
    wait_until_up,
)
from semaphore_dagster_tests.defs.live_dagster import FIRST_DAY, source_env, write_dagster_home
from semaphore_dagster_tests.semaphore.conftest import assert_equals_ground_truth

pytestmark = pytest.mark.slow

LAST_DAY = date(2026, 11, 1)


def _postgres_home(home: Path, storage_url: str) -> Path:
    """A DAGSTER_HOME whose run, event-log and schedule storage are the PostgreSQL database `storage_url`.

    The driver is named: SQLAlchemy 2.1 maps a bare `postgresql://` to psycopg 3, which is not installed
    (dagster-postgres depends on psycopg2)."""
    url = storage_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    return write_dagster_home(home, replace={"storage": {"postgres": {"postgres_url": url}}})


def _fresh_run_dir(root: Path, name: str, storage_url: str) -> tuple[Path, Path]:
    """A working directory for one run, as a fresh pod has: its own DAGSTER_HOME and dlt folder."""
    workdir = root / name
    workdir.mkdir()
    return workdir, _postgres_home(workdir / "dagster_home", storage_url)


def _execute(job: str, workdir: Path, env: dict[str, str], tags: dict[str, str] | None = None) -> None:
    command = [sys.executable, "-m", "dagster", "job", "execute"]
    command += ["-m", "semaphore_dagster_tests.defs.cluster_defs", "-j", job]
    if tags:
        command += ["--tags", json.dumps(tags)]
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert TEST_TOKEN not in result.stdout + result.stderr


def test_postgres_storage_multiprocess_runs_sharing_only_the_databases(tmp_path: Path, pg_server) -> None:
    import psycopg2

    storage_url = pg_server.create_database("dagster_storage_cluster")
    world = make_world("tiny")
    duckdb_file = tmp_path / "shared" / "semaphore_ci.duckdb"
    duckdb_file.parent.mkdir()
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as emulator:
        for job, tags in (
            (TABLES_JOB, None),
            (
                LOGS_JOB,
                {
                    "dagster/asset_partition_range_start": FIRST_DAY.isoformat(),
                    "dagster/asset_partition_range_end": LAST_DAY.isoformat(),
                },
            ),
        ):
            workdir, home = _fresh_run_dir(tmp_path, job, storage_url)
            env = source_env(emulator.base_url, duckdb_file, workdir / "dlt", home=home)
            _execute(job, workdir, env, tags)
    assert_equals_ground_truth(duckdb_file, world)

    con = psycopg2.connect(storage_url)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT pipeline_name, status FROM runs ORDER BY create_timestamp")
            runs = cur.fetchall()
            cur.execute(
                "SELECT count(DISTINCT step_key) FROM event_logs WHERE dagster_event_type = 'STEP_SUCCESS'"
            )
            steps = cur.fetchall()[0][0]
            cur.execute("SELECT event FROM event_logs WHERE dagster_event_type = 'STEP_START'")
            step_pids = [json.loads(r[0])["dagster_event"]["pid"] for r in cur.fetchall()]
    finally:
        con.close()
    assert runs == [(TABLES_JOB, "SUCCESS"), (LOGS_JOB, "SUCCESS")]
    assert steps >= 5  # 4 table groups + the job-log step
    # The multiprocess executor ran every step in a process of its own.
    assert len(step_pids) >= 5 and len(set(step_pids)) == len(step_pids), step_pids


def test_code_location_served_over_grpc(tmp_path: Path, pg_server) -> None:
    storage_url = pg_server.create_database("dagster_storage_grpc")
    world = make_world("tiny")
    duckdb_file = tmp_path / "semaphore_ci.duckdb"
    home = _postgres_home(tmp_path / "dagster_home", storage_url)
    grpc_port = free_port()
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as emulator:
        env = source_env(emulator.base_url, duckdb_file, tmp_path / "dlt", home=home)
        # The user-code server: what a Helm user deployment runs (see deploy/values.yaml).
        log = open(tmp_path / "grpc.log", "wb")  # noqa: SIM115 (closed below)
        grpc = subprocess.Popen(
            [sys.executable, "-m", "dagster", "api", "grpc", "-m", "semaphore_dagster.definitions"]
            + ["-h", "127.0.0.1", "-p", str(grpc_port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        (tmp_path / "workspace.yaml").write_text(
            "load_from:\n"
            "  - grpc_server:\n"
            "      host: 127.0.0.1\n"
            f"      port: {grpc_port}\n"
            "      location_name: semaphore_dagster_grpc\n"
        )
        # The webserver and daemon get no Semaphore settings: only the user-code server has them.
        ui_env = {k: v for k, v in env.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
        ui_port = free_port()
        ui = None
        try:
            _wait_for_grpc(grpc_port, grpc)
            ui = start_dagster_dev(
                ui_port, ui_env, cwd=tmp_path, target=("-w", str(tmp_path / "workspace.yaml")),
                stdout=log, stderr=log,
            )  # fmt: skip
            wait_until_up(ui_port, alive=lambda: ui.poll() is None)
            location = wait_for_location(ui_port)
            assert location.name == "semaphore_dagster_grpc"
            keys = {
                "/".join(n["assetKey"]["path"])
                for n in graphql(ui_port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
            }
            assert "semaphore/projects" in keys and "semaphore/job_logs" in keys
            run_id = launch_assets(ui_port, location, [["semaphore", "projects"]])
            launched_by_grpc = _executed_under(ui_port, grpc.pid, run_id)
            assert wait_for_run(ui_port, run_id) == "SUCCESS"
            assert launched_by_grpc, "the run was not executed by a process of the gRPC server"
        finally:
            if ui is not None:
                stop_process_group(ui)
            stop_process_group(grpc)
            log.close()
    con = duckdb.connect(str(duckdb_file), read_only=True)
    try:
        count = con.execute("SELECT count(*) FROM semaphore.projects").fetchall()[0][0]
    finally:
        con.close()
    assert count == len(world.ground_truth()["projects"])


def _wait_for_grpc(port: int, process: subprocess.Popen, deadline_s: float = 120) -> None:
    import socket

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "dagster api grpc exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"dagster api grpc not listening on {port} within {deadline_s} s")


def _executed_under(port: int, root_pid: int, run_id: str) -> bool:
    """Whether the process that executed `run_id` was started by `root_pid` (or one of its children)."""
    pid = run_worker_pid(port, run_id)
    try:
        parents = {p.pid for p in psutil.Process(pid).parents()}
    except psutil.NoSuchProcess:  # already done: it was one of root's children if root reaped it
        return False
    return root_pid in parents
