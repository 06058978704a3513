"""The Dagster layer on PostgreSQL: the whole code location (ingestion, day partitions, table checks, the dbt
insights and the report) with `DestinationResource(kind="postgres")` against a throwaway server: the tables
equal the ground truth, and every table and insight equals the same world materialized into DuckDB (slow)."""

from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest

from semaphore_dagster.dagster_layer.materialize_all import materialize_all
from semaphore_dagster.dagster_layer.settings import DagsterSettings
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.conftest import FIRST_DAY, LAST_DAY, LoadedWorld, semaphore_for
from semaphore_dagster_tests.insights.parity_support import canon
from semaphore_dagster_tests.semaphore.conftest import LOAD_TIME_COLUMNS, assert_table_equal


def _read(url: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    with psycopg2.connect(url) as con, con.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'semaphore'")
        present = {r[0] for r in cur.fetchall()}
        for name in TABLES:
            if name not in present:
                out[name] = []
                continue
            cur.execute(f'SELECT * FROM semaphore."{name}"')
            columns = [d[0] for d in cur.description]
            out[name] = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    return out


@pytest.mark.slow
def test_a_full_materialization_into_postgres_equals_the_ground_truth(pg_server, tmp_path: Path) -> None:
    url = pg_server.create_database("dagster_layer")
    world = make_world("tiny")
    settings = DagsterSettings(logs_start_date=FIRST_DAY, destination_kind="postgres")
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as server:
        resources = {
            "semaphore": semaphore_for(server),
            "destination": DestinationResource(
                kind="postgres", postgres_credentials=url, pipelines_dir=str(tmp_path / "dlt")
            ),
        }
        defs = build_definitions(settings, resources)
        with dg.DagsterInstance.ephemeral() as instance:
            outcomes = materialize_all(defs, instance, FIRST_DAY, LAST_DAY)
    assert [o.success for o in outcomes] == [True, True, True], [o.error for o in outcomes]
    checks = [c for o in outcomes for c in o.checks]
    assert len(checks) > 40 and [(c.asset, c.name) for c in checks if not c.passed] == []
    assert "semaphore_insights_report" in outcomes[2].materialized
    tables = _read(url)
    truth = world.ground_truth()
    for name in TABLES:
        actual = tables[name]
        if name == "agents":
            latest = max((r["snapshot_at"] for r in actual), default=None)
            actual = [r for r in actual if r["snapshot_at"] == latest]
        assert_table_equal(name, actual, truth[name])
    assert TEST_TOKEN not in str(tables)


# Different in any two loads: dlt's ids and the load-time columns (when fetched, after how many attempts).
LOAD_COLUMNS = frozenset(
    {"_dlt_load_id", "_dlt_id", "inserted_at", "loaded_at", "load_id", *LOAD_TIME_COLUMNS}
)


# Insights measured against the load's own clock (agents are snapshots taken when loaded; a secret's staleness
# counts from when it was loaded): two loads minutes apart differ. Their hand-built tests run on both.
AS_OF_LOAD = {"agent_utilization", "stale_secrets"}


@pytest.mark.slow
def test_postgres_equals_duckdb_table_by_table_and_insight_by_insight(
    pg_server, loaded: LoadedWorld, tmp_path: Path
) -> None:
    """What the demo promises on either destination: the same world (the session's tiny one, materialized
    whole into DuckDB) gives, on PostgreSQL, the same rows in every loaded table and every insight."""
    url = pg_server.create_database("whole_location")
    settings = DagsterSettings(logs_start_date=FIRST_DAY, destination_kind="postgres")
    resources = {
        "semaphore": semaphore_for(loaded.server),
        "destination": DestinationResource(
            kind="postgres", postgres_credentials=url, pipelines_dir=str(tmp_path / "dlt")
        ),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        outcomes = materialize_all(build_definitions(settings, resources), instance, FIRST_DAY, LAST_DAY)
    assert all(o.success for o in outcomes), [o.error for o in outcomes]

    con = psycopg2.connect(url)
    duck = duckdb.connect(str(loaded.duckdb_file), read_only=True)

    def pg_select(sql: str) -> tuple[list[str], list[tuple]]:
        with con.cursor() as cur:
            cur.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()

    def duck_select(sql: str) -> tuple[list[str], list[tuple]]:
        cursor = duck.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()

    def as_dicts(result: tuple[list[str], list[tuple]]) -> list[dict]:
        names, values = result
        return [dict(zip(names, row, strict=True)) for row in values]

    def tables_in(select, schema: str) -> set[str]:
        _, found = select(f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'")
        return {name for (name,) in found if not name.startswith("_dlt")}

    compared = []
    try:
        for schema in ("semaphore", "semaphore_insights"):
            tables = tables_in(pg_select, schema)
            assert tables == tables_in(duck_select, schema), schema
            for table in sorted(tables - AS_OF_LOAD):
                sql = f'SELECT * FROM {schema}."{table}"'
                on_pg, on_duck = as_dicts(pg_select(sql)), as_dicts(duck_select(sql))
                assert canon(on_pg, LOAD_COLUMNS) == canon(on_duck, LOAD_COLUMNS), f"{schema}.{table}"
                compared.append(f"{schema}.{table}")
    finally:
        con.close()
        duck.close()
    assert {f"semaphore.{t}" for t in ("pipelines", "jobs", "job_logs", "test_cases")} <= set(compared)
    assert {"semaphore_insights.pipeline_performance", "semaphore_insights.dora_summary"} <= set(compared)
