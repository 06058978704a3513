"""Helpers of the parity and DORA tests: build the dbt models over a world's tables in a DuckDB file, and
read them back."""

import json
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from dbt.cli.main import dbtRunner

from semaphore_dagster_tests.insights.tables import ground_truth_tables, write_tables

PROJECT_DIR = Path(__file__).resolve().parents[2] / "semaphore_dagster" / "insights" / "dbt_project"


def _invoke(db: Path | dict[str, str], tmp: Path, args: list[str]):
    """Run dbt (in process) on the DuckDB file `db`, or with `db` as the profile's environment (PostgreSQL)."""
    env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if isinstance(db, dict):
        env |= db
    else:
        env |= {"SEMAPHORE_DBT_TARGET": "duckdb", "SEMAPHORE_DBT_DUCKDB_PATH": str(db)}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
        common += ["--target-path", str(tmp / "dbt_target"), "--log-path", str(tmp / "dbt_logs"), "--quiet"]
        return dbtRunner().invoke([*args, *common])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dbt_build(
    db: Path | dict[str, str], tmp: Path, select: str, dbt_vars: dict[str, str] | None = None
) -> None:
    """`dbt build --select <select>` on the DuckDB file `db` (or the PostgreSQL profile environment `db`)."""
    result = _invoke(
        db,
        tmp,
        [
            "build",
            "--select",
            select,
            "--indirect-selection",
            "cautious",
            "--vars",
            json.dumps(dbt_vars or {}),
        ],
    )
    if not result.success:
        failed = [
            f"{r.node.name}: {r.message}" for r in (result.result or []) if r.status in ("error", "fail")
        ]
        raise AssertionError(f"dbt build failed: {result.exception or failed}")


def world_models(world, tmp: Path, select: str, dbt_vars: dict[str, str] | None = None) -> Path:
    """A DuckDB file with the world's ground-truth tables in `semaphore` and the selected models built."""
    db = tmp / "semaphore_ci.duckdb"
    with duckdb.connect(str(db)) as con:
        write_tables(con, ground_truth_tables(world))
    dbt_build(db, tmp, select, dbt_vars)
    return db


def rows(db: Path, model: str) -> list[dict]:
    # Not read-only: dbt-duckdb may keep its own connection to the file open in this process.
    with duckdb.connect(str(db)) as con:
        cursor = con.execute(f"SELECT * FROM semaphore_insights.{model}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def dbt_show(tmp: Path, macro: str, cases: list[tuple[str, ...]]) -> list:
    """The value of the project's macro `macro` on each case of SQL string literals, via `dbt show --inline`."""
    selects = []
    for i, case in enumerate(cases):
        args = ", ".join(repr(_literal(v)) for v in case)
        selects.append(f"SELECT {i} AS i, {{{{ {macro}({args}) }}}} AS v")
    sql = f"SELECT v FROM ({' UNION ALL '.join(selects)}) cases ORDER BY i"
    result = _invoke(tmp / "show.duckdb", tmp, ["show", "--inline", sql, "--limit", "-1"])
    assert result.success, f"dbt show failed: {result.exception or result.result}"
    return [row[0] for row in result.result.results[0].agate_table.rows]


def postgres_env(server, database: str) -> dict[str, str]:
    """The dbt profile's environment for a database of the throwaway PostgreSQL server."""
    return {
        "SEMAPHORE_DBT_TARGET": "postgres",
        "SEMAPHORE_DBT_PG_HOST": server.host,
        "SEMAPHORE_DBT_PG_PORT": str(server.port),
        "SEMAPHORE_DBT_PG_USER": server.user,
        "DBT_ENV_SECRET_SEMAPHORE_PG_PASSWORD": server.password,
        "SEMAPHORE_DBT_PG_DBNAME": database,
    }


def pg_rows(url: str, model: str) -> list[dict]:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        with con.cursor() as cur:
            cur.execute(f"SELECT * FROM semaphore_insights.{model}")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def comparable(value: Any) -> Any:
    """One value as DuckDB and PostgreSQL can agree on it: numbers as floats rounded to 9 places (numeric vs
    double), aware datetimes as UTC instants, JSON (parsed by psycopg2, text in DuckDB) as canonical text."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | int | float):
        return round(float(value), 9)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.timestamp()
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


def canon(rows: list[dict], skip: frozenset[str] = frozenset()) -> list[tuple]:
    """Rows in an order and form two databases' answers compare equal in (columns in `skip` left out)."""
    return sorted(
        (tuple((k, comparable(v)) for k, v in sorted(r.items()) if k not in skip) for r in rows), key=repr
    )
