"""The check SQL on small DuckDB files built here (no Dagster, no emulator)."""

import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.dagster_layer.checks import queries
from semaphore_dagster.dagster_layer.checks.rules import ENUMS, REFERENCES, Reference
from semaphore_dagster.dagster_layer.readers import DuckDBLockedError, read_duckdb
from semaphore_dagster_tests.conftest import holding_duckdb_lock


def build(path: Path, *statements: str) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS semaphore")
    for sql in statements:
        con.execute(sql)
    con.close()
    return path


def test_missing_file_and_missing_table_offend_nothing(tmp_path: Path) -> None:
    with read_duckdb(tmp_path / "absent.duckdb") as reader:
        assert reader.tables() == set()
        assert queries.primary_key(reader, "jobs", ("job_id",)).passed
    db = build(tmp_path / "a.duckdb")
    with read_duckdb(db) as reader:
        outcome = queries.primary_key(reader, "jobs", ("job_id",))
        assert outcome.passed and "does not exist" in (outcome.note or "")


def test_primary_key_duplicates_and_nulls(tmp_path: Path) -> None:
    db = build(
        tmp_path / "pk.duckdb",
        "CREATE TABLE semaphore.jobs (job_id VARCHAR)",
        "INSERT INTO semaphore.jobs VALUES ('a'), ('b'), ('b'), (NULL)",
        "CREATE TABLE semaphore.promotions (ppl_id VARCHAR, name VARCHAR, triggered_at TIMESTAMPTZ)",
        "INSERT INTO semaphore.promotions VALUES ('p', 'prod', '2026-10-01 10:00:00+00'), "
        "('p', 'prod', '2026-10-01 11:00:00+00')",
    )
    with read_duckdb(db) as reader:
        jobs = queries.primary_key(reader, "jobs", ("job_id",))
        promotions = queries.primary_key(reader, "promotions", ("ppl_id", "name", "triggered_at"))
    assert (jobs.checked, jobs.offending, jobs.sample) == (4, 2, ["b"])
    assert jobs.extra == {"null_keys": 1, "duplicates": 1}
    assert promotions.passed  # same promotion name triggered twice is two rows


def test_references_find_orphans_and_a_missing_parent_table(tmp_path: Path) -> None:
    db = build(
        tmp_path / "ri.duckdb",
        "CREATE TABLE semaphore.pipelines (ppl_id VARCHAR)",
        "INSERT INTO semaphore.pipelines VALUES ('p1')",
        "CREATE TABLE semaphore.jobs (job_id VARCHAR, ppl_id VARCHAR)",
        "INSERT INTO semaphore.jobs VALUES ('j1', 'p1'), ('j2', 'p9'), ('j3', 'p9'), ('j4', NULL)",
        "CREATE TABLE semaphore.deployments (id VARCHAR, target_id VARCHAR)",
        "INSERT INTO semaphore.deployments VALUES ('d1', 't1')",
    )
    jobs_ref = next(r for r in REFERENCES if r.child == "jobs")
    with read_duckdb(db) as reader:
        jobs = queries.references(reader, jobs_ref)
        deployments = queries.references(
            reader, Reference("deployments", "target_id", "deployment_targets", "id")
        )
    assert (jobs.checked, jobs.offending, jobs.sample) == (3, 1, ["p9"])
    assert (deployments.offending, deployments.sample) == (1, ["t1"])


def test_timestamp_order_and_done_without_done_at(tmp_path: Path) -> None:
    db = build(
        tmp_path / "ts.duckdb",
        "CREATE TABLE semaphore.pipelines (ppl_id VARCHAR, state VARCHAR, created_at TIMESTAMPTZ, "
        "running_at TIMESTAMPTZ, done_at TIMESTAMPTZ)",
        "INSERT INTO semaphore.pipelines VALUES "
        "('ok', 'DONE', '2026-10-01 10:00+00', '2026-10-01 10:01+00', '2026-10-01 10:05+00'),"
        "('running', 'RUNNING', '2026-10-01 10:00+00', '2026-10-01 10:01+00', NULL),"
        "('backwards', 'DONE', '2026-10-01 10:00+00', '2026-10-01 09:00+00', '2026-10-01 10:05+00'),"
        "('no_done_at', 'DONE', '2026-10-01 10:00+00', NULL, NULL)",
    )
    with read_duckdb(db) as reader:
        outcome = queries.timestamp_order(
            reader, "pipelines", ("created_at", "running_at", "done_at"), "ppl_id"
        )
    assert (outcome.checked, outcome.offending, outcome.sample) == (4, 2, ["backwards", "no_done_at"])


def test_enum_domains_report_unexpected_values(tmp_path: Path) -> None:
    db = build(
        tmp_path / "enum.duckdb",
        "CREATE TABLE semaphore.pipelines (ppl_id VARCHAR, state VARCHAR, result VARCHAR)",
        "INSERT INTO semaphore.pipelines VALUES ('a', 'DONE', 'PASSED'), ('b', 'done', 'passed'), ('c', 'RUNNING', NULL)",
    )
    with read_duckdb(db) as reader:
        outcome = queries.enum_domain(reader, "pipelines", ENUMS["pipelines"], "ppl_id")
    assert outcome.offending == 2
    assert outcome.extra["unexpected_values"] == {"state": {"done": 1}, "result": {"passed": 1}}


def test_variant_columns_and_secrets(tmp_path: Path) -> None:
    db = build(
        tmp_path / "sec.duckdb",
        'CREATE TABLE semaphore.jobs (job_id VARCHAR, env_vars JSON, "index__v_text" VARCHAR)',
        """INSERT INTO semaphore.jobs VALUES ('j1', '["A", "B"]', NULL), ('j2', '[{"name": "A", "value": "s3cr3t"}]', NULL)""",
        "CREATE TABLE semaphore.deployments (id VARCHAR, env_vars JSON)",
        """INSERT INTO semaphore.deployments VALUES ('d1', '[{"name": "X", "value": "<redacted>"}]'),
           ('d2', '[{"name": "X", "value": "prod-password"}]')""",
        "CREATE TABLE semaphore.agent_types (name VARCHAR, registration_token VARCHAR)",
    )
    with read_duckdb(db) as reader:
        assert queries.variant_columns(reader, "jobs").sample == ["index__v_text"]
        assert queries.job_env_var_values(reader).sample == ["j2"]
        assert queries.deployment_parameter_values(reader, values_allowed=False).sample == ["d2"]
        assert queries.deployment_parameter_values(reader, values_allowed=True).passed
        assert queries.registration_tokens(reader).sample == ["agent_types.registration_token"]


def test_log_completeness_per_day(tmp_path: Path) -> None:
    db = build(
        tmp_path / "logs.duckdb",
        "CREATE TABLE semaphore.jobs (job_id VARCHAR, state VARCHAR, finish_time TIMESTAMPTZ)",
        "INSERT INTO semaphore.jobs VALUES ('j1', 'FINISHED', '2026-10-01 23:59:59+00'), "
        "('j2', 'FINISHED', '2026-10-02 00:00:00+00'), ('j3', 'FINISHED', '2026-10-02 08:00:00+00'), "
        "('j4', 'RUNNING', NULL)",
        "CREATE TABLE semaphore.job_logs (job_id VARCHAR, outcome VARCHAR, stored_event_count BIGINT)",
        "INSERT INTO semaphore.job_logs VALUES ('j1', 'OK', 2), ('j2', 'NOT_FOUND', 0)",
        "CREATE TABLE semaphore.job_log_events (job_id VARCHAR, seq BIGINT)",
        "INSERT INTO semaphore.job_log_events VALUES ('j1', 0), ('j1', 1)",
    )
    with read_duckdb(db) as reader:
        day1 = queries.log_completeness(reader, [date(2026, 10, 1)])
        both = queries.log_completeness(reader, [date(2026, 10, 1), date(2026, 10, 2)])
        none = queries.log_completeness(reader, [])
    assert day1.passed and day1.checked == 1
    assert (both.checked, both.offending, both.sample) == (3, 1, ["2026-10-02:j3"])
    assert both.extra["incomplete_days"] == {"2026-10-02": 1}
    assert none.passed and none.note == "no loaded log partitions"


def test_reader_waits_for_a_writer_then_gives_up_clearly(tmp_path: Path) -> None:
    db = build(tmp_path / "locked.duckdb", "CREATE TABLE semaphore.jobs (job_id VARCHAR)")
    with holding_duckdb_lock(db):
        started = time.monotonic()
        with pytest.raises(DuckDBLockedError, match=r"is locked by PID \d+ .*close that session"):
            with read_duckdb(db, wait_seconds=1.0):
                pass
        assert time.monotonic() - started >= 1.0
    with read_duckdb(db) as reader:  # lock released: reads again
        assert reader.has_table("jobs")
