"""Scenarios 12-14 and 16-19 of docs/reliability.md, and the job-log failures of scenario 2/17, each asserted
with the six criteria (criteria.py)."""

import os
import resource
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.semaphore import (
    ConfigError,
    job_logs_source,
    jobs_needing_logs,
    make_pipeline,
    run_load,
    semaphore_source,
    settings,
)
from semaphore_dagster.semaphore.cli import main as load_main
from semaphore_dagster.semaphore.errors import root_semaphore_error
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN, make_world

from .conftest import START, CaptureServer, assert_one_line_error, load, read_tables
from .criteria import Baseline, latest_snapshot
from .scenario import Scenario, scenario, serve  # noqa: F401 (fixture)

GARBLED = "\ufffd\ufffd\x00\ufffd\x1b[31m"  # what the `garbage` fault's prefix is stored as
CI = ("workflows", "pipelines", "blocks", "jobs", "promotions")


def _one_ok_log(world) -> str:
    return next(r["job_id"] for r in world.ground_truth()["job_logs"] if r["outcome"] == "OK")


def _logs_of(job_id: str):
    return lambda table, row: table in ("job_logs", "job_log_events") and row.get("job_id") == job_id


# --- job logs: one log failing for good is an ERROR row, the run goes on (findings 5 and 11) ---------------


@pytest.mark.parametrize(
    ("fault", "label", "most"),
    [
        pytest.param("5xx:status=500", "5xx", 3, id="11-persistent-500"),
        pytest.param("half_json", "half_json", 3, id="5-never-parses"),
    ],
)
def test_one_log_failing_for_good_is_an_error_row_and_the_run_goes_on(
    scenario: Scenario,  # noqa: F811
    fault: str,
    label: str,
    most: int,
) -> None:
    baseline = scenario.baseline()
    world = make_world("tiny")
    job_id = _one_ok_log(world)
    sep = "," if ":" in fault else ":"
    with serve(world, faults=f"{fault}{sep}endpoint=logs.get,path=*/logs/{job_id}") as server:
        error = scenario.load(server, max_attempts=3)
        tried = server.fault_counts.get(label, 0)
    assert error is None, error
    assert 1 <= tried <= most, f"{tried} requests for one deterministic failure"
    row = next(
        r for r in read_tables(scenario.duckdb_path, ("job_logs",))["job_logs"] if r["job_id"] == job_id
    )
    assert row["outcome"] == "ERROR" and row["attempts"] == 1 and job_id in row["message"]
    assert not [
        e
        for e in read_tables(scenario.duckdb_path, ("job_log_events",))["job_log_events"]
        if e["job_id"] == job_id
    ]
    scenario.check(baseline, set_aside=_logs_of(job_id), slack=10.0)


def test_error_log_is_retried_by_a_bounded_number_of_runs(scenario: Scenario) -> None:  # noqa: F811
    """The per-day log path (`jobs_needing_logs`) offers an ERROR log again, to at most LOG_FETCH_RUNS runs
    in all; then the job is no longer offered (no endless re-fetch on every partition run)."""
    world = make_world("tiny")
    job_id = _one_ok_log(world)
    start, end = FIXED_NOW - timedelta(days=60), FIXED_NOW + timedelta(days=1)
    pipeline = make_pipeline(pipelines_dir=scenario.pipelines_dir, credentials=str(scenario.duckdb_path))
    with serve(world, faults=f"5xx:status=500,endpoint=logs.get,path=*/logs/{job_id}") as server:
        assert scenario.load(server, resources=CI, include_logs=False) is None
        attempts = []
        for _ in range(settings.LOG_FETCH_RUNS + 2):
            jobs = jobs_needing_logs(pipeline, start, end)
            if not jobs:
                break
            source = job_logs_source(
                jobs=jobs, base_url=server.base_url, api_token=TEST_TOKEN, max_attempts=2, backoff_factor=0.01
            )
            run_load(pipeline, source)
            row = next(
                r
                for r in read_tables(scenario.duckdb_path, ("job_logs",))["job_logs"]
                if r["job_id"] == job_id
            )
            attempts.append(row["attempts"])
    assert attempts == list(range(1, settings.LOG_FETCH_RUNS + 1)), attempts
    assert jobs_needing_logs(pipeline, start, end) == []


def test_log_text_is_stored_as_documented(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 17: invalid UTF-8 bytes -> U+FFFD each, NUL kept, a lone surrogate escape -> U+FFFD, ANSI codes
    kept; nothing else of the log changes, one request per log (finding 5: 5 requests, then ERROR)."""
    baseline = scenario.baseline()
    world = make_world("tiny")
    with serve(world, faults="garbage:endpoint=logs.*") as server:
        assert scenario.load(server) is None
        requests = server.request_counts.get("logs.get", 0)
    assert requests == len(world.ground_truth()["job_logs"])
    prefix_ok = GARBLED
    events = read_tables(scenario.duckdb_path, ("job_log_events",))["job_log_events"]
    garbled = [e for e in events if isinstance(e["output"], str) and e["output"].startswith(prefix_ok)]
    assert garbled, "the garbage was stored"

    def expected(tables):
        out = dict(tables)
        out["job_log_events"] = [
            {**e, "output": (None if e["output"] is None else _garbled(e["output"], events, e))}
            for e in tables["job_log_events"]
        ]
        return out

    scenario.check(baseline, expected=expected, ignore={"job_logs": {"bytes"}})


def _garbled(output: str, events, row) -> str:
    mine = next(e["output"] for e in events if e["job_id"] == row["job_id"] and e["seq"] == row["seq"])
    assert mine.endswith(output), (mine[:40], output[:40])
    assert mine[: len(mine) - len(output)] == GARBLED
    return mine


# --- 12 / 13: redirects -------------------------------------------------------------------------------------


def test_self_hosted_redirect_target_failing(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 12: every log redirects (`?jwt=`) and the target then fails: the log service is down, the run
    fails in one token- and jwt-free line, the next run converges."""
    baseline = scenario.baseline()  # cloud logs: the same rows but `source`
    world = make_world("tiny")
    with serve(world, faults="5xx:status=503,endpoint=logs.v1", log_mode="self_hosted") as server:
        error = scenario.load(server, max_attempts=2)
    assert error is not None
    text = str(root_semaphore_error(error))
    assert "jwt=" not in text.replace("jwt=<redacted>", "") and "\n" not in text
    with serve(world, log_mode="self_hosted") as server:
        assert scenario.load(server, max_attempts=2) is None
    scenario.check(baseline, ignore={"job_logs": {"source"}}, slack=25.0)


@pytest.mark.parametrize("status", ["302", pytest.param("307", marks=pytest.mark.slow)])
def test_api_redirect_is_refused(scenario: Scenario, status: str) -> None:  # noqa: F811
    """Scenario 13 / finding 10: an API endpoint answering a redirect to another host: refused, nothing sent
    there, one line naming base_url; the next run converges."""
    baseline = scenario.baseline()
    world = make_world("tiny")
    with CaptureServer() as other:
        faults = f"redirect:endpoint=pipelines.list,status={status},host={other.host}"
        with serve(world, faults=faults) as server:
            error = scenario.load(server)
        assert other.requests == [], "a redirect of an API call was followed"
    ours = root_semaphore_error(error)
    assert ours is not None and "redirect" in str(ours) and "BASE_URL" in str(ours), error
    assert not read_tables(scenario.duckdb_path, ("pipelines",))["pipelines"]
    with serve(world) as server:
        assert scenario.load(server) is None
    scenario.check(baseline)


def test_link_and_log_redirect_to_another_host(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 13: `link` headers and the self-hosted log redirect name another host: pages come by
    number, each log is an ERROR row naming the refused (redacted) URL, nothing reaches that host."""
    knobs = {"projects": 1, "days": 14, "pipelines_per_day": 8.0, "blocks_per_pipeline": (1, 1)}
    baseline = scenario.baseline(**knobs)
    world = make_world("tiny", **knobs)
    with CaptureServer() as other:
        host = other.host.replace("127.0.0.1", "localhost")
        with serve(world, faults=f"redirect_host:host={host}", log_mode="self_hosted") as server:
            assert scenario.load(server) is None
        assert other.requests == []
    logs = read_tables(scenario.duckdb_path, ("job_logs",))["job_logs"]
    refused = [r for r in logs if r["outcome"] == "ERROR"]
    assert refused and all(
        "another origin" in r["message"] and "jwt=<redacted>" in r["message"] for r in refused
    )
    scenario.check(baseline, set_aside=lambda table, row: table in ("job_logs", "job_log_events"))


# --- 14 / 18: late updates, idempotence ---------------------------------------------------------------------


def _fresh_baseline(server, tmp_path: Path, now) -> Baseline:
    started = time.monotonic()
    load(server, tmp_path / "fresh_ci.duckdb", tmp_path / "fresh", now=now)
    elapsed = time.monotonic() - started
    return Baseline(latest_snapshot(read_tables(tmp_path / "fresh_ci.duckdb")), elapsed)


def test_late_updates_are_picked_up(scenario: Scenario, tmp_path: Path) -> None:  # noqa: F811
    """Scenario 14: pipelines running at load time finish later, promotions come to old pipelines: the next
    run equals a fresh load of the moved world, nothing duplicated."""
    world = make_world("tiny")
    with serve(world) as server:
        assert scenario.load(server) is None
        for _ in range(3):
            world.advance(timedelta(hours=3))
            scenario.elapsed = 0.0
            assert scenario.load(server, now=world.now()) is None
        baseline = _fresh_baseline(server, tmp_path, world.now())
    scenario.check(baseline)


def test_same_window_twice_is_idempotent(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 18: the same window loaded twice: identical tables, row counts unchanged."""
    baseline = scenario.baseline()
    world = make_world("tiny")
    with serve(world) as server:
        assert scenario.load(server) is None
        first = {
            name: len(rows) for name, rows in read_tables(scenario.duckdb_path).items() if name != "agents"
        }
        scenario.elapsed = 0.0
        assert scenario.load(server) is None
    second = {name: len(rows) for name, rows in read_tables(scenario.duckdb_path).items() if name != "agents"}
    assert first == second
    scenario.check(baseline)


# --- 16: destination faults -------------------------------------------------------------------------------


def _cli(server, scenario: Scenario, *extra: str) -> list[str]:  # noqa: F811
    return [
        "--base-url", server.base_url, "--token-env", "EMU_TOKEN",
        "--duckdb-path", str(scenario.duckdb_path), "--pipelines-dir", str(scenario.pipelines_dir),
        "--now", FIXED_NOW.isoformat(), "--start-date", START, *extra,
    ]  # fmt: skip


def _readers_view(duckdb_path: Path) -> dict[str, int]:
    """Row counts as readers see them: completed loads only (docs/source.md)."""
    out = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema='semaphore'"
            ).fetchall()
        }
        done = (
            "SELECT load_id FROM semaphore._dlt_loads WHERE status = 0"
            if "_dlt_loads" in present
            else "SELECT NULL"
        )
        for name in ("pipelines", "blocks", "jobs", "job_logs"):
            if name in present:
                out[name] = con.execute(
                    f'SELECT count(*) FROM semaphore."{name}" WHERE _dlt_load_id IN ({done})'
                ).fetchall()[0][0]
            else:
                out[name] = 0
    return out


def test_locked_duckdb_fails_in_one_line_then_converges(scenario: Scenario, monkeypatch, capfd) -> None:  # noqa: F811
    """Scenario 16: another process holds the DuckDB file: one line that says so (and a hint), nothing
    loaded; once it is released the next run converges."""
    from semaphore_dagster_tests.conftest import holding_duckdb_lock

    baseline = scenario.baseline()
    monkeypatch.setenv("EMU_TOKEN", TEST_TOKEN)
    with serve(make_world("tiny")) as server:
        with holding_duckdb_lock(scenario.duckdb_path):
            assert load_main(_cli(server, scenario)) == 1
            line = assert_one_line_error(capfd.readouterr().err)
            assert "lock" in line.lower(), line
        assert scenario.load(server) is None
    scenario.check(baseline)


def test_disk_full_during_load_is_one_line_then_converges(scenario: Scenario, monkeypatch) -> None:  # noqa: F811
    """Scenario 16 / finding 8: the file-size limit (a full disk) hits the load step: stderr is one line plus
    a hint (it was 3,492 traceback lines), readers see no half load, the next run converges."""
    baseline = scenario.baseline()
    world = make_world("tiny")
    limit = 300_000

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "EMU_TOKEN": TEST_TOKEN, "RUNTIME__DLTHUB_TELEMETRY": "false"}
    with serve(world) as server:
        command = [sys.executable, "-m", "semaphore_dagster.cli", "load", *_cli(server, scenario)]
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, preexec_fn=full_disk, timeout=300
        )
        assert done.returncode == 1, done.stderr[-2000:]
        line = assert_one_line_error(done.stderr)
        assert "too large" in line.lower() or "no space" in line.lower(), line
        assert (
            "semaphore-load.log" in done.stderr and (scenario.pipelines_dir / "semaphore-load.log").exists()
        )
        assert _readers_view(scenario.duckdb_path)["pipelines"] in (0, len(baseline.tables["pipelines"]))
        assert scenario.load(server) is None
    scenario.check(
        baseline,
        extra_texts=[done.stderr, done.stdout, (scenario.pipelines_dir / "semaphore-load.log").read_text()],
    )


# --- 19: bad configuration --------------------------------------------------------------------------------

BAD = [
    ({"api_token": None}, "API_TOKEN"),
    ({"base_url": "http://127.0.0.1:1/some/path"}, "BASE_URL"),
    ({"base_url": "https://user:pw@example.com"}, "BASE_URL"),
    ({"request_timeout": -1}, "REQUEST_TIMEOUT"),
    ({"request_timeout": 0}, "REQUEST_TIMEOUT"),
    ({"request_deadline": -5}, "REQUEST_DEADLINE"),
    ({"lookback": "0d"}, "LOOKBACK"),
    ({"max_concurrency": -1}, "MAX_CONCURRENCY"),
    ({"max_attempts": 0}, "MAX_ATTEMPTS"),
    ({"max_retry_delay": "soon"}, "MAX_RETRY_DELAY"),
    ({"backoff_factor": -1}, "BACKOFF_FACTOR"),
    ({"log_max_bytes": -1}, "LOG_MAX_BYTES"),
    ({"auth_scheme": "Basic"}, "AUTH_SCHEME"),
    ({"start_date": "2999-01-01"}, "START_DATE"),
    ({"projects": ","}, "PROJECTS"),
    ({"now": "teatime"}, "NOW"),
]


def test_bad_configuration_after_a_good_load(scenario: Scenario) -> None:  # noqa: F811
    """Scenario 19 / finding 9: every bad key is one line naming it and where to set it, before any request,
    and what was loaded stays as it was."""
    baseline = scenario.baseline()
    world = make_world("tiny")
    with serve(world) as server:
        assert scenario.load(server) is None
        elapsed = scenario.elapsed
        server.reset_counts()
        for override, key in BAD:
            options = {"base_url": server.base_url, "api_token": TEST_TOKEN, **override}
            with pytest.raises(ConfigError) as failure:
                semaphore_source(**options)
            message = str(failure.value)
            assert "\n" not in message and key in message and TEST_TOKEN not in message, (override, message)
        assert server.total_requests == 0
    scenario.elapsed = elapsed
    scenario.check(baseline)


def test_projects_naming_nothing_is_an_error(scenario: Scenario, monkeypatch, capfd) -> None:  # noqa: F811
    world = make_world("tiny")
    monkeypatch.setenv("EMU_TOKEN", TEST_TOKEN)
    with serve(world) as server:
        assert load_main(_cli(server, scenario, "--projects", "no-such-project")) == 1
    line = assert_one_line_error(capfd.readouterr().err)
    assert "no-such-project" in line and "--projects" in line, line
    assert not read_tables(scenario.duckdb_path, ("pipelines",))["pipelines"]


def test_tls_to_a_plain_port_is_not_retried(scenario: Scenario, monkeypatch, capfd) -> None:  # noqa: F811
    """https:// to a plain HTTP port: one line about the scheme, one request, no back-off."""
    world = make_world("tiny")
    monkeypatch.setenv("EMU_TOKEN", TEST_TOKEN)
    with serve(world) as server:
        argv = _cli(server, scenario)
        argv[1] = server.base_url.replace("http://", "https://")
        started = time.monotonic()
        assert load_main(argv) == 1
        elapsed = time.monotonic() - started
    line = assert_one_line_error(capfd.readouterr().err)
    assert "TLS" in line and "BASE_URL" in line and "not retried" in line, line
    assert elapsed < 5, f"{elapsed:.1f} s: retried"


# --- 8: schema drift --------------------------------------------------------------------------------------


def _no_variant_columns(duckdb_path: Path) -> None:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        variants = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'semaphore' AND column_name LIKE '%\\_\\_v\\_%' ESCAPE '\\'"
        ).fetchall()
    assert not variants, f"a type clash was split into variant columns: {variants}"


def _set_column(tables_: tuple[str, ...], column: str, value):
    def expected(tables):
        out = dict(tables)
        for table in tables_:
            out[table] = [{**r, column: value(r)} for r in tables[table]]
        return out

    return expected


DRIFT = [
    pytest.param("pipelines.*", "drift_new_field", "new", id="8-new-field"),
    pytest.param("pipelines.*", "commit_message", "drop", id="8-dropped-field"),
    pytest.param("workflows.list", "triggered_by", "string", id="8-int-becomes-string"),
    pytest.param("pipelines.*", "result", "enum", id="8-new-enum-value"),
]


@pytest.mark.parametrize(("endpoint", "field", "to"), DRIFT)
def test_schema_drift(scenario: Scenario, endpoint: str, field: str, to: str) -> None:  # noqa: F811
    """Scenario 8: a new field arrives as a column, a dropped one is NULL (the Dagster check warns), a number
    sent as a string is coerced to the declared type (no variant column), a new enum value is stored."""
    baseline = scenario.baseline()
    with serve(make_world("tiny"), faults=f"drift:endpoint={endpoint},field={field},to={to}") as server:
        assert scenario.load(server) is None
    _no_variant_columns(scenario.duckdb_path)
    expected = None
    if to == "new":
        with duckdb.connect(str(scenario.duckdb_path), read_only=True) as con:
            values = con.execute(f"SELECT DISTINCT {field} FROM semaphore.pipelines").fetchall()
        assert values == [("drifted",)], values
    elif to == "drop":
        expected = _set_column(("pipelines",), field, lambda r: None)
    elif to == "enum":
        # the describe's blocks are objects of the drifted document too
        expected = _set_column(("pipelines", "blocks"), field, lambda r: r[field] and "DRIFTED_STATE")
    scenario.check(baseline, expected=expected)


def test_text_repair_does_not_depend_on_where_the_body_is_cut() -> None:
    """The UTF-8 / surrogate repair of a streamed log sees the body in arbitrary pieces: a valid surrogate
    pair, an escaped backslash or a multi-byte character split across reads is kept as it was."""
    import codecs
    import itertools
    import random

    from semaphore_dagster.semaphore.client import _fix_surrogate_escapes, _split_tail

    def feed(data: bytes, sizes) -> bytes:
        decoder, pending, out, at = codecs.getincrementaldecoder("utf-8")("replace"), "", b"", 0
        while True:
            chunk = data[at : at + next(sizes)]
            at += len(chunk)
            text = pending + decoder.decode(chunk, final=not chunk)
            text, pending = (text, "") if not chunk else _split_tail(text)
            out += _fix_surrogate_escapes(text).encode()
            if not chunk:
                return out

    doc = (
        rb'{"events":[{"output":"a\ud83d\ude00b\ud800\u001b[31m\\ud800 '
        + b"\xff"
        + rb' \\\ud83d\ude00\udc00 end"}]}'
    )
    doc += "\u20ac".encode()
    whole = feed(doc, iter([10**6, 10**6]))
    assert whole == (
        rb'{"events":[{"output":"a\ud83d\ude00b\ufffd\u001b[31m\\ud800 ' + "\ufffd".encode()
        + rb' \\\ud83d\ude00\ufffd end"}]}' + "\u20ac".encode()
    )  # fmt: skip
    rng = random.Random(7)
    for size in range(1, 40):
        assert feed(doc, itertools.repeat(size)) == whole, size
    for _ in range(200):
        assert feed(doc, iter(lambda: rng.randint(1, 9), None)) == whole
