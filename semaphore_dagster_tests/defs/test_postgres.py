"""The Dagster layer on PostgreSQL: ingestion, job-log partitions and table checks with
`DestinationResource(kind="postgres")` against a throwaway server equal the ground truth (slow)."""

from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from semaphore_dagster.dagster_layer.materialize_all import materialize_all
from semaphore_dagster.dagster_layer.settings import DagsterSettings
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.conftest import FIRST_DAY, LAST_DAY, semaphore_for
from semaphore_dagster_tests.semaphore.conftest import assert_table_equal


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
        semaphore_only = dg.Definitions(
            assets=[a for a in defs.assets or [] if any(k.path[0] == "semaphore" for k in a.keys)],
            asset_checks=[
                c
                for c in defs.asset_checks or []
                if all(k.asset_key.path[0] == "semaphore" for k in c.check_keys)
            ],
            resources=resources,
            executor=dg.in_process_executor,
        )
        with dg.DagsterInstance.ephemeral() as instance:
            outcomes = materialize_all(semaphore_only, instance, FIRST_DAY, LAST_DAY)
    assert [o.success for o in outcomes] == [True, True], [o.error for o in outcomes]
    checks = [c for o in outcomes for c in o.checks]
    assert len(checks) > 40 and [(c.asset, c.name) for c in checks if not c.passed] == []
    tables = _read(url)
    truth = world.ground_truth()
    for name in TABLES:
        actual = tables[name]
        if name == "agents":
            latest = max((r["snapshot_at"] for r in actual), default=None)
            actual = [r for r in actual if r["snapshot_at"] == latest]
        assert_table_equal(name, actual, truth[name])
    assert TEST_TOKEN not in str(tables)
