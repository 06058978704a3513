"""Runs and readers share the DuckDB file (issue 9, deliver 2): four `dagster asset materialize` processes at
once (a CI-activity run, a slowly-changing run, a 3-partition log backfill, a one-asset materialization) while
a person holds the file read-only for 20 s. None fails; after a final full run the tables equal the ground
truth (slow)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.conftest import FIRST_DAY, defs_for
from semaphore_dagster_tests.defs.test_any_selection import _full_run
from semaphore_dagster_tests.semaphore.conftest import assert_equals_ground_truth

ROOT = Path(__file__).resolve().parents[2]
CI = "semaphore/projects,semaphore/workflows,semaphore/pipelines,semaphore/blocks,semaphore/jobs,semaphore/promotions"
SLOW = (
    "semaphore/projects,semaphore/schedules,semaphore/artifact_retention_policies,semaphore/agent_types,"
    "semaphore/agents,semaphore/deployment_targets,semaphore/deployments"
)


@pytest.mark.slow
def test_four_runs_at_once_and_a_read_only_session_all_succeed(tmp_path: Path) -> None:
    world = make_world("tiny")
    db = tmp_path / "semaphore_ci.duckdb"
    duckdb.connect(str(db)).close()
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    text = (home / "dagster.yaml").read_text().replace(".dagster_home/", f"{home}/")
    (home / "dagster.yaml").write_text(text)
    with dg.DagsterInstance.from_config(str(home)):
        pass  # create the instance's storage once (four processes at once would race on its migrations)
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
        env.update(
            {
                "DAGSTER_HOME": str(home),
                "SOURCES__SEMAPHORE__BASE_URL": server.base_url,
                "SOURCES__SEMAPHORE__API_TOKEN": TEST_TOKEN,
                "SOURCES__SEMAPHORE__START_DATE": FIRST_DAY.isoformat(),
                "SEMAPHORE_DAGSTER_LOGS_START_DATE": FIRST_DAY.isoformat(),
                "DESTINATION__DUCKDB__CREDENTIALS": str(db),
                "SEMAPHORE_DAGSTER_LOCK_WAIT_SECONDS": "240",
                "DLT_DATA_DIR": str(tmp_path / "dlt"),
                "PYTHONPATH": str(ROOT),
            }
        )
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"import duckdb, time; c = duckdb.connect({str(db)!r}, read_only=True); time.sleep(20)",
            ]
        )
        time.sleep(1)
        base = [
            sys.executable,
            "-m",
            "dagster",
            "asset",
            "materialize",
            "-m",
            "semaphore_dagster.definitions",
        ]
        commands = {
            "ci activity": [*base, "--select", CI],
            "slowly changing": [*base, "--select", SLOW],
            "log backfill": [
                *base,
                "--select",
                "semaphore/job_logs,semaphore/job_log_events",
                "--partition-range",
                "2026-10-29...2026-10-31",
            ],
            "one asset": [*base, "--select", "semaphore/agent_types"],
        }
        started = time.monotonic()
        running = {
            name: subprocess.Popen(
                cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            for name, cmd in commands.items()
        }
        outputs = {name: p.communicate(timeout=900)[0] for name, p in running.items()}
        holder.wait(timeout=60)
        codes = {name: p.returncode for name, p in running.items()}
        assert codes == dict.fromkeys(commands, 0), {n: outputs[n][-3000:] for n, c in codes.items() if c}
        assert time.monotonic() - started >= 19  # the writers waited for the read-only session
        defs = defs_for(server, db, tmp_path / "dlt")
        with dg.instance_for_test() as instance:
            _full_run(defs, instance)
    assert_equals_ground_truth(db, world)
