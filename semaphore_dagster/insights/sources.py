"""Typed, always-present views of the loaded tables (`src_<table>`) for the insight SQL to read.

dlt creates a table only once a load brings rows for it, and creates a column only once some row has a
non-null value for it; a variant column (`<col>__v_<type>`) may appear when a value could not be coerced.
The insight SQL must not care: for each table it reads, `prepare_sources` creates a TEMP view
`src_<table>` with exactly the contract columns listed below (docs/tables.md), cast with TRY_CAST to the
listed type, NULL where the column (or the whole table) is missing. Temp objects live only in the
connection, so this works on a read-only connection and never touches the `semaphore` dataset.

Also created (temp): `insights_config` (one row: the InsightsConfig), `src_default_branch`
(project_id, branch_name) and the macros `utc_day(ts)` and `seconds_between(a, b)`.
"""

from collections.abc import Callable

import duckdb

from semaphore_dagster.insights.config import InsightsConfig

TS = "TIMESTAMPTZ"
# table -> [(column, DuckDB type)]: the contract columns the insights read (docs/tables.md).
INPUT_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "projects": [("id", "VARCHAR"), ("name", "VARCHAR")],
    "workflows": [
        ("wf_id", "VARCHAR"),
        ("project_id", "VARCHAR"),
        ("branch_name", "VARCHAR"),
        ("commit_sha", "VARCHAR"),
        ("created_at", TS),
    ],
    "pipelines": [
        ("ppl_id", "VARCHAR"),
        ("wf_id", "VARCHAR"),
        ("project_id", "VARCHAR"),
        ("branch_name", "VARCHAR"),
        ("commit_sha", "VARCHAR"),
        ("working_directory", "VARCHAR"),
        ("yaml_file_name", "VARCHAR"),
        ("pipeline_file", "VARCHAR"),
        ("created_at", TS),
        ("pending_at", TS),
        ("queuing_at", TS),
        ("running_at", TS),
        ("done_at", TS),
        ("state", "VARCHAR"),
        ("result", "VARCHAR"),
        ("triggerer__ppl_triggered_by", "VARCHAR"),
    ],
    "jobs": [
        ("job_id", "VARCHAR"),
        ("ppl_id", "VARCHAR"),
        ("project_id", "VARCHAR"),
        ("name", "VARCHAR"),
        ("create_time", TS),
        ("start_time", TS),
        ("finish_time", TS),
        ("state", "VARCHAR"),
        ("result", "VARCHAR"),
        ("machine_type", "VARCHAR"),
        ("os_image", "VARCHAR"),
        ("agent_name", "VARCHAR"),
    ],
    "job_log_events": [
        ("job_id", "VARCHAR"),
        ("seq", "BIGINT"),
        ("event", "VARCHAR"),
        ("timestamp", TS),
        ("directive", "VARCHAR"),
        ("exit_code", "BIGINT"),
        ("started_at", TS),
        ("finished_at", TS),
    ],
    "agent_types": [("name", "VARCHAR")],
    "agents": [
        ("name", "VARCHAR"),
        ("type", "VARCHAR"),
        ("connected_at", TS),
        ("state", "VARCHAR"),
        ("snapshot_at", TS),
    ],
    "deployment_targets": [("id", "VARCHAR"), ("name", "VARCHAR"), ("project_id", "VARCHAR")],
    "deployments": [
        ("id", "VARCHAR"),
        ("target_id", "VARCHAR"),
        ("target_name", "VARCHAR"),
        ("prev_pipeline_id", "VARCHAR"),
        ("pipeline_id", "VARCHAR"),
        ("triggered_at", TS),
        ("state", "VARCHAR"),
    ],
}

_MACROS = """
SET TimeZone = 'UTC';
CREATE OR REPLACE TEMP MACRO utc_day(ts) AS CAST(ts AT TIME ZONE 'UTC' AS DATE);
CREATE OR REPLACE TEMP MACRO seconds_between(a, b) AS (epoch_us(b) - epoch_us(a)) / 1e6;
"""

# The project's default branch as the data shows it: `main` or `master` (the one with more pipelines),
# else the branch with the most pipelines; ties broken by name.
_DEFAULT_BRANCH = """
CREATE OR REPLACE TEMP VIEW src_default_branch AS
SELECT project_id,
       arg_max(branch_name, (branch_name IN ('main', 'master'), n, branch_name)) AS branch_name
FROM (SELECT project_id, branch_name, count(*) AS n
      FROM src_pipelines WHERE branch_name IS NOT NULL GROUP BY ALL)
GROUP BY project_id;
"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_expr(name: str, typ: str, present: set[str]) -> str:
    if name not in present:
        return f"CAST(NULL AS {typ})"
    return f"TRY_CAST({quote_ident(name)} AS {typ})"


def _view_sql(catalog: str, schema: str, table: str, present: set[str] | None) -> str:
    cols = INPUT_COLUMNS[table]
    have = present or set()
    exprs = []
    for name, typ in cols:
        expr = _column_expr(name, typ, have)
        if (table, name) == ("pipelines", "pipeline_file"):
            # Derived by the loader; derive it here too when a load lacks it.
            wd, yml = _column_expr("working_directory", typ, have), _column_expr("yaml_file_name", typ, have)
            expr = f"coalesce({expr}, {wd} || '/' || {yml})"
        exprs.append(f"{expr} AS {quote_ident(name)}")
    select = ", ".join(exprs)
    if present is None:
        return f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT {select} WHERE false"
    # Fully qualified: a file named semaphore.duckdb is also a catalog named `semaphore`.
    source = ".".join(quote_ident(part) for part in (catalog, schema, table))
    return f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT {select} FROM {source}"


def sql_literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def source_statements(catalog: str, present: dict[str, set[str]], config: InsightsConfig) -> list[str]:
    """The SQL creating the macros, `src_<table>` views, `src_default_branch` and `insights_config`,
    given the columns each table of the dataset has (information_schema)."""
    statements = [_MACROS]
    statements += [
        _view_sql(catalog, config.source_schema, table, present.get(table)) for table in INPUT_COLUMNS
    ]
    statements.append(_DEFAULT_BRANCH)
    values = {
        "ci_branch": config.ci_branch,
        "ci_pipeline_file": config.ci_pipeline_file,
        "cd_branch": config.cd_branch,
        "cd_pipeline_file": config.cd_pipeline_file,
        "cd_target": config.cd_target,
    }
    select = ", ".join(f"CAST({sql_literal(v)} AS VARCHAR) AS {k}" for k, v in values.items())
    statements.append(f"CREATE OR REPLACE TEMP TABLE insights_config AS SELECT {select}")
    return statements


def prepare_sources(
    con: duckdb.DuckDBPyConnection, config: InsightsConfig, catalog: str | None = None
) -> dict[str, bool]:
    """Create the temp views, macros and config row; returns table -> whether it exists in the dataset.

    `catalog` is the database holding the dataset (default: the connection's own; e.g. a file ATTACHed
    read-only to an in-memory database)."""
    return prepare_sources_with(lambda sql: con.execute(sql).fetchall(), config, catalog)


def prepare_sources_with(
    query: Callable[[str], list[tuple]], config: InsightsConfig, catalog: str | None = None
) -> dict[str, bool]:
    """`prepare_sources` through any `query(sql) -> rows` callable (e.g. a read-only reader's)."""
    if catalog is None:
        found = query("SELECT current_database()")
        catalog = found[0][0] if found else ""  # no rows: a reader of a file that does not exist yet
    rows = query(
        "SELECT table_name, column_name FROM information_schema.columns "
        f"WHERE table_schema = {sql_literal(config.source_schema)} AND table_catalog = {sql_literal(catalog)}"
    )
    present: dict[str, set[str]] = {}
    for table, column in rows:
        present.setdefault(table, set()).add(column)
    for statement in source_statements(catalog, present, config):
        query(statement)
    return {table: table in present for table in INPUT_COLUMNS}
