"""`semaphore-dagster demo` end to end, as a new user runs it (slow)."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env_clean() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}


def _demo(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "semaphore_dagster.cli", "demo", "--scale", "tiny", *args],
        cwd=cwd,
        env=_env_clean(),
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_demo_runs_to_a_clean_finish_and_can_run_again(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Checks:" in first.stdout and " 0 failed" in first.stdout
    # dbt's own lines go to their file, not over the summary
    assert "START sql" not in first.stdout and "partial parsing" not in first.stdout
    assert "OK created sql table model" in (tmp_path / ".dlt_data" / "dbt_output.log").read_text()
    assert "semaphore.pipelines" in first.stdout and "pipeline pass rate" in first.stdout
    db = tmp_path / "semaphore_ci.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    try:
        jobs = con.execute('SELECT count(*) FROM "semaphore_ci"."semaphore"."jobs"').fetchall()[0][0]
        logs = con.execute('SELECT count(*) FROM "semaphore_ci"."semaphore"."job_logs"').fetchall()[0][0]
    finally:
        con.close()
    assert jobs > 0 and logs > 0
    assert (tmp_path / "semaphore_report.html").stat().st_size > 0
    assert "demo-" not in (first.stdout + first.stderr)  # the demo token is never printed
    # dlt's own tools see what the demo wrote (its working folder is kept in .dlt_data/demo)
    info = subprocess.run(
        [
            sys.executable,
            "-m",
            "dlt",
            "pipeline",
            "--pipelines-dir",
            ".dlt_data/demo",
            "semaphore_ci",
            "info",
        ],
        cwd=tmp_path,
        env={**_env_clean(), "DESTINATION__DUCKDB__CREDENTIALS": str(db)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert info.returncode == 0 and "semaphore_ci" in info.stdout, info.stdout[-2000:] + info.stderr[-2000:]
    second = _demo(tmp_path)  # replaces its own file
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]


@pytest.mark.slow
def test_demo_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path) -> None:
    other = tmp_path / "mine.duckdb"
    duckdb.connect(str(other)).close()
    result = _demo(tmp_path, "--duckdb", str(other))
    assert result.returncode == 2
    assert "was not written by the demo" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--duckdb", "semaphore.duckdb"], "name it e.g. semaphore_ci.duckdb"),
        (["--scale", "huge"], "unknown scale 'huge'"),
    ],
)
def test_demo_bad_input_is_one_clear_line(
    flags: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argparse

    from semaphore_dagster import demo

    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    demo.configure_parser(parser)
    assert demo.run(parser.parse_args(flags)) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # nothing started, nothing written


@pytest.mark.slow
def test_demo_loads_into_postgres(pg_server, tmp_path: Path) -> None:
    import os

    import psycopg2

    url = pg_server.create_database("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env["DESTINATION__POSTGRES__CREDENTIALS"] = url
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "semaphore_dagster.cli",
            "demo",
            "--scale",
            "tiny",
            "--destination",
            "postgres",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " 0 failed" in result.stdout and "into postgres 127.0.0.1:" in result.stdout
    assert not (tmp_path / "semaphore_ci.duckdb").exists()
    with psycopg2.connect(url) as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM semaphore.jobs")
        assert cur.fetchall()[0][0] > 0
        # every insight and the report, on PostgreSQL too
        cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'semaphore_insights' "
            "AND table_name IN ('pipeline_performance', 'pipeline_reliability', 'dora_summary', 'flaky_jobs')"
        )
        assert cur.fetchall()[0][0] == 4
        cur.execute("SELECT count(*) FROM semaphore_insights.pipeline_performance")
        assert cur.fetchall()[0][0] > 0
    assert (tmp_path / "semaphore_report.html").stat().st_size > 0
