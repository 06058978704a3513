"""Build the insights with dbt (in this process, through dbt's programmatic `dbtRunner`) and read them back.

`build_insights(target, config)` runs `dbt build` (models and their tests) on a DuckDB file or a PostgreSQL
database and returns every insight table as rows. dbt writes its artifacts to a private directory per
process (`--target-path`), so concurrent builds of the same project do not share files, and dbt's partial
parsing makes the next build in the process start faster.
"""

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

from semaphore_dagster.insights.config import InsightsConfig
from semaphore_dagster.insights.dbt_project import DBT_PROJECT_DIR
from semaphore_dagster.insights.target import SCRATCH_SOURCE_ALIAS, DbtTarget, dbt_environment

INSIGHT_MODELS_DIR = DBT_PROJECT_DIR / "models" / "insights"


def insight_names() -> list[str]:
    """The insight models (models/insights/*.sql), by name."""
    return sorted(p.stem for p in INSIGHT_MODELS_DIR.glob("*.sql"))


@dataclass(slots=True)
class NodeResult:
    unique_id: str
    resource_type: str  # model | test
    name: str
    status: str  # success | error | pass | fail | warn | skipped
    failures: int | None
    message: str | None
    attached_to: str | None = None  # a test's model


@dataclass(slots=True)
class BuildResult:
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail")]

    def tests(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.resource_type == "test"]


@cache
def _artifacts_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="semaphore-dbt-"))


def dbt_args(command: str, config: InsightsConfig | None, select: Sequence[str] | None) -> list[str]:
    import json

    args = [
        command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(_artifacts_dir() / "target"),
        "--log-path",
        str(_artifacts_dir() / "logs"),
        "--quiet",
    ]
    if config is not None:
        args += ["--vars", json.dumps(config.dbt_vars())]
    if select:
        args += ["--select", *select]
    return args


def run_dbt(
    command: str,
    target: DbtTarget,
    config: InsightsConfig | None = None,
    select: Sequence[str] | None = None,
) -> BuildResult:
    """`dbt <command>` (build, run, test, parse) on `target` in this process."""
    from dbt.cli.main import dbtRunner

    with dbt_environment(target):
        try:
            res = dbtRunner().invoke(dbt_args(command, config, select))
        finally:
            _release_duckdb()
    nodes = []
    for r in getattr(res.result, "results", None) or []:
        node = r.node
        attached = getattr(node, "attached_node", None)
        nodes.append(
            NodeResult(
                node.unique_id,
                str(node.resource_type),
                node.name,
                str(r.status),
                getattr(r, "failures", None),
                r.message,
                attached,
            )
        )
    error = None if res.exception is None else f"{type(res.exception).__name__}: {res.exception}"
    return BuildResult(bool(res.success), nodes, error)


def _release_duckdb() -> None:
    """Close dbt-duckdb's process-wide database handle.

    dbt-duckdb keeps one DuckDB instance open per process after an invocation (`DuckDBConnectionManager._ENV`);
    while it lives, DuckDB refuses this process any other connection to the file (read-only included) and
    other processes cannot open it at all. Close it, as dbt-duckdb's own `close_all_connections` does after
    closing the environment."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not installed: nothing held
        return
    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()


def build(
    target: DbtTarget,
    config: InsightsConfig | None = None,
    names: Sequence[str] | None = None,
) -> BuildResult:
    """`dbt build` every insight (or `names` and what they need) on `target`, tests included.

    Raises RuntimeError naming the models that failed to build; a failing test is not an error here (read
    it in the result's `tests()`)."""
    select = [f"+{n}" for n in names] if names else None
    result = run_dbt("build", target, config or InsightsConfig(), select)
    broken = [n for n in result.nodes if n.resource_type == "model" and n.status == "error"]
    if result.error or broken or not result.nodes:
        detail = result.error or "; ".join(f"{n.name}: {n.message}" for n in broken) or "nothing was built"
        raise RuntimeError(f"the insights build failed: {detail}")
    return result


def build_insights(
    target: DbtTarget,
    config: InsightsConfig | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """`build(...)`, then every insight table built, as rows: table -> rows."""
    result = build(target, config, names)
    wanted = set(insight_names())
    built = sorted(n.name for n in result.nodes if n.resource_type == "model" and n.name in wanted)
    with connect(target) as query:
        return {name: query.rows(f'SELECT * FROM {target.insights_schema}."{name}"') for name in built}


@cache
def _pg_arrow_types() -> dict[int, Any]:
    import pyarrow as pa

    # PostgreSQL type OIDs: bool, int8, int4, int2, text, varchar, float4, float8, numeric, date, timestamptz.
    return {
        16: pa.bool_(),
        20: pa.int64(),
        23: pa.int64(),
        21: pa.int64(),
        25: pa.string(),
        1043: pa.string(),
        700: pa.float64(),
        701: pa.float64(),
        1700: pa.float64(),
        1082: pa.date32(),
        1184: pa.timestamp("us", tz="UTC"),
        1114: pa.timestamp("us"),
    }


class Query:
    """Rows of a SELECT on a DuckDB or PostgreSQL connection, as dicts (or tuples)."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cur = self.con.cursor()
        try:
            cur.execute(sql)
            columns = [d[0] for d in cur.description]
            return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()

    def arrow(self, sql: str) -> "pa.Table":
        """The result as an Arrow table, with the column types even when there are no rows."""
        import pyarrow as pa

        if not hasattr(self.con, "get_dsn_parameters"):  # DuckDB
            return self.con.execute(sql).to_arrow_table()
        cur = self.con.cursor()
        try:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            schema = pa.schema(
                [
                    (n, _pg_arrow_types().get(d[1], pa.string()))
                    for n, d in zip(names, cur.description, strict=True)
                ]
            )
            rows = cur.fetchall()
        finally:
            cur.close()
        columns = {n: [r[i] for r in rows] for i, n in enumerate(names)}
        for i, n in enumerate(names):
            if schema.field(i).type == pa.float64():
                columns[n] = [None if v is None else float(v) for v in columns[n]]
        return pa.table(columns, schema=schema)

    def tuples(self, sql: str) -> list[tuple]:
        cur = self.con.cursor()
        try:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
        finally:
            cur.close()


@contextmanager
def connect(target: DbtTarget, read_only: bool = True) -> Iterator[Query]:
    """A connection to where `target` keeps the insight tables (closed afterwards)."""
    if target.kind == "postgres":
        import psycopg2

        assert target.postgres_credentials is not None
        con = psycopg2.connect(target.postgres_credentials)
        con.set_session(readonly=read_only, autocommit=True)
    else:
        import duckdb

        path = Path(target.duckdb_path)
        if not path.exists():
            raise FileNotFoundError(
                f"DuckDB file {path} does not exist: load the data first (semaphore-dagster load)"
            )
        con = duckdb.connect(str(path), read_only=read_only)
        if target.kind == "duckdb_scratch":  # the staging views read the loaded file under this alias
            source = str(target.source_duckdb_path).replace("'", "''")
            con.execute(f"ATTACH '{source}' AS {SCRATCH_SOURCE_ALIAS} (READ_ONLY)")
    try:
        yield Query(con)
    finally:
        con.close()
