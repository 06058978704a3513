"""`semaphore-dagster demo` end to end, as a new user runs it (slow)."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env_clean = {
        k: v for k, v in __import__("os").environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))
    }
    return subprocess.run(
        [sys.executable, "-m", "semaphore_dagster.cli", "demo", "--scale", "tiny", *args],
        cwd=cwd,
        env=env_clean,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_demo_runs_to_a_clean_finish_and_can_run_again(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Checks:" in first.stdout and " 0 failed" in first.stdout
    assert "semaphore.pipelines" in first.stdout and "pipeline pass rate" in first.stdout
    db = tmp_path / "semaphore_ci.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        jobs = con.execute('SELECT count(*) FROM "semaphore_ci"."semaphore"."jobs"').fetchall()[0][0]
        logs = con.execute('SELECT count(*) FROM "semaphore_ci"."semaphore"."job_logs"').fetchall()[0][0]
    finally:
        con.close()
    assert jobs > 0 and logs > 0
    assert "demo-" not in (first.stdout + first.stderr)  # the demo token is never printed
    second = _demo(tmp_path)  # replaces its own file
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]


@pytest.mark.slow
def test_demo_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path) -> None:
    other = tmp_path / "mine.duckdb"
    duckdb.connect(str(other)).close()
    result = _demo(tmp_path, "--duckdb", str(other))
    assert result.returncode == 2
    assert "was not written by the demo" in result.stderr and len(result.stderr.strip().splitlines()) == 1
