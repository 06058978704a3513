"""Insights build time through dbt on the `medium` world, DuckDB and PostgreSQL.

    uv run python -m bench.insights [--scale medium] [--runs 2] [--json out.json]

The world's ground truth is written as dlt would have loaded it (one completed load) into a DuckDB file, and
copied table by table into a throwaway PostgreSQL server (tests' pg_server helper). Each run is one
`dbt build` of every insight model and its tests, in this process (`semaphore_dagster.insights.runner`), and
the report rendered from the built tables. The first DuckDB run includes dbt's full parse of the project; the
others reuse its partial parse, as a long-running Dagster code server does.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb

from bench.config import BENCH_NOW, SEED
from semaphore_dagster.emulator import World, WorldConfig
from semaphore_dagster.insights import DbtTarget, InsightsConfig
from semaphore_dagster.insights.report import render_from
from semaphore_dagster.insights.runner import build
from semaphore_dagster_tests.insights.tables import ground_truth_tables, write_tables

PG_TYPES = {"VARCHAR": "TEXT", "BIGINT": "BIGINT", "BOOLEAN": "BOOLEAN", "DOUBLE": "DOUBLE PRECISION"}


def copy_to_postgres(duckdb_path: Path, url: str) -> None:
    """Every table of the `semaphore` schema of the DuckDB file, as is, into the PostgreSQL database (COPY)."""
    import psycopg2

    src = duckdb.connect(str(duckdb_path), read_only=True)
    dst = psycopg2.connect(url)
    try:
        cur = dst.cursor()
        cur.execute("CREATE SCHEMA semaphore")
        tables = [
            r[0]
            for r in src.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'semaphore'"
            ).fetchall()
        ]
        for table in tables:
            cols = src.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'semaphore' "
                f"AND table_name = '{table}' ORDER BY ordinal_position"
            ).fetchall()
            ddl = ", ".join(
                f'"{c}" ' + ("TIMESTAMPTZ" if t.startswith("TIMESTAMP") else PG_TYPES.get(t, "TEXT"))
                for c, t in cols
            )
            cur.execute(f'CREATE TABLE semaphore."{table}" ({ddl})')
            with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
                src.execute(f"COPY semaphore.\"{table}\" TO '{tmp.name}' (HEADER false)")
                with open(tmp.name, encoding="utf-8") as fh:
                    cur.copy_expert(f'COPY semaphore."{table}" FROM STDIN WITH (FORMAT csv)', fh)
        dst.commit()
    finally:
        src.close()
        dst.close()


def timed_builds(target: DbtTarget, runs: int) -> list[dict]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = build(target, InsightsConfig())
        t1 = time.perf_counter()
        render_from(target, InsightsConfig(), source_label="bench")
        t2 = time.perf_counter()
        failed = [n.name for n in result.failed()]
        out.append(
            {
                "dbt_build_s": round(t1 - t0, 2),
                "report_s": round(t2 - t1, 2),
                "failed": failed,
                "nodes": len(result.nodes),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="bench-insights-"))
    world = World.generate(WorldConfig.preset(args.scale, seed=SEED, now=BENCH_NOW))
    tables = ground_truth_tables(world)
    db = root / "semaphore_ci.duckdb"
    con = duckdb.connect(str(db))
    write_tables(con, tables)
    con.close()
    sizes = {t: len(rows) for t, rows in tables.items() if rows}
    results: dict = {
        "scale": args.scale,
        "rows": sizes,
        "duckdb": timed_builds(DbtTarget(duckdb_path=str(db)), args.runs),
    }
    print(f"rows: {sizes}")
    print(f"duckdb: {results['duckdb']}")
    if not args.no_postgres:
        from semaphore_dagster_tests.pg_server import postgres_server

        with postgres_server() as server:
            url = server.create_database("bench_insights")
            t0 = time.perf_counter()
            copy_to_postgres(db, url)
            results["postgres_copy_s"] = round(time.perf_counter() - t0, 2)
            results["postgres"] = timed_builds(
                DbtTarget(kind="postgres", postgres_credentials=url), args.runs
            )
        print(f"postgres: {results['postgres']} (data copied in {results['postgres_copy_s']} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
