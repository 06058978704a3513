"""Write `semaphore` dataset tables into a DuckDB connection from plain rows, the way dlt would.

Like dlt: a table exists only when it has rows, a column only when some row has a non-null value, JSON
lists/objects are JSON strings and timestamps are TIMESTAMP WITH TIME ZONE; every row carries the
`_dlt_load_id` of its load, and `_dlt_loads` lists the load with status 0 (completed), since the insights
read only rows of completed loads.
"""

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

T0 = datetime(2026, 10, 1, 0, 0, 0, tzinfo=UTC)
LOAD_ID = "1790000000.000001"


def at(minutes: float) -> datetime:
    """T0 + minutes: hand-built worlds read as minute offsets."""
    return T0 + timedelta(minutes=minutes)


def _plain(value: object) -> object:
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    return value


def write_tables(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, list[dict]],
    schema: str = "semaphore",
    load_id: str = LOAD_ID,
    load_status: int = 0,
    loaded_at: datetime | None = None,
) -> None:
    """Write `tables` as one dlt load `load_id` with `_dlt_loads` status `load_status` (0 = completed),
    stored at `loaded_at` (default: now)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    catalog = con.execute("SELECT current_database()").fetchall()[0][
        0
    ]  # semaphore.duckdb => catalog semaphore
    for name, rows in tables.items():
        if not rows:
            continue
        columns = sorted({k for row in rows for k, v in row.items() if v is not None})
        data = {c: [_plain(row.get(c)) for row in rows] for c in columns}
        data["_dlt_load_id"] = [load_id] * len(rows)
        arrow_table = pa.table(data)  # noqa: F841 (read by DuckDB's replacement scan below)
        con.execute(f'CREATE OR REPLACE TABLE "{catalog}".{schema}."{name}" AS SELECT * FROM arrow_table')
    loads = f'"{catalog}".{schema}._dlt_loads'
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {loads} (load_id VARCHAR, schema_name VARCHAR, status BIGINT, "
        "inserted_at TIMESTAMPTZ, schema_version_hash VARCHAR)"
    )
    con.execute(
        f"INSERT INTO {loads} VALUES (?, 'semaphore', ?, ?, NULL)",
        [load_id, load_status, loaded_at or datetime.now(UTC)],
    )


def pipeline(
    ppl_id: str,
    *,
    created: float,
    done: float | None = None,
    result: str | None = None,
    project: str = "p1",
    branch: str = "master",
    file: str = ".semaphore/semaphore.yml",
    commit: str = "c1",
    wf: str | None = None,
    pending: float | None = None,
    queuing: float | None = None,
    running: float | None = None,
    triggered_by: str = "WORKFLOW",
) -> dict:
    """A pipelines row; DONE when `done` is given. Times are minutes after T0."""
    wd, yml = file.rsplit("/", 1)
    return {
        "ppl_id": ppl_id,
        "wf_id": wf or f"wf-{ppl_id}",
        "project_id": project,
        "branch_name": branch,
        "commit_sha": commit,
        "working_directory": wd,
        "yaml_file_name": yml,
        "pipeline_file": file,
        "created_at": at(created),
        "pending_at": None if pending is None else at(pending),
        "queuing_at": None if queuing is None else at(queuing),
        "running_at": None if running is None else at(running),
        "done_at": None if done is None else at(done),
        "state": "DONE" if done is not None else "RUNNING",
        "result": result if done is not None else None,
        "triggerer__ppl_triggered_by": triggered_by,
    }


def job(
    job_id: str,
    ppl_id: str,
    *,
    name: str = "build",
    result: str | None = "PASSED",
    created: float = 0,
    start: float | None = None,
    finish: float | None = None,
    machine_type: str = "e1-standard-2",
    agent_name: str | None = None,
    project: str = "p1",
) -> dict:
    return {
        "job_id": job_id,
        "ppl_id": ppl_id,
        "project_id": project,
        "name": name,
        "create_time": at(created),
        "start_time": None if start is None else at(start),
        "finish_time": None if finish is None else at(finish),
        "state": "FINISHED" if finish is not None else "RUNNING",
        "result": result,
        "machine_type": machine_type,
        "os_image": "ubuntu2204" if machine_type.startswith("e1") else None,
        "agent_name": agent_name,
        "commands": ["make"],
    }


def ground_truth_tables(world) -> dict[str, list[dict]]:
    """The emulator world's ground truth, plus the load-time `snapshot_at` the ground truth leaves out."""
    tables = world.ground_truth()
    for table in ("agents", "agent_types"):
        for row in tables.get(table, []):
            row["snapshot_at"] = world.now()
    return tables
