"""Per-table row shaping to the contract of docs/tables.md.

The generic rule: hoist `metadata`/`spec`/`status`, flatten other nested objects with `__`, keep lists (they
become JSON columns), convert timestamps and enums per the table's spec, turn `""` references into NULL and
add missing contract columns as NULL. A few tables need a specific mapping (jobs, deployments, agent types...).
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import settings
from .endpoints import TABLES, TableSpec
from .enums import upper
from .timestamps import to_utc

WRAPPERS = ("metadata", "spec", "status")
DROPPED = ("apiVersion", "kind", "registration_token")


def hoist(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Lift the fields of the `metadata`/`spec`/`status` wrappers to the top level."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in WRAPPERS and isinstance(value, Mapping):
            for inner_key, inner_value in value.items():
                out.setdefault(inner_key, inner_value)
        elif key not in DROPPED:
            out[key] = value
    return {k: v for k, v in out.items() if k not in DROPPED}


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects -> `parent__child` columns; lists stay lists (JSON columns)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not _is_timestamp(value):
            out.update(flatten(value, f"{name}__"))
        else:
            out[name] = value
    return out


def _is_timestamp(value: Mapping[str, Any]) -> bool:
    """A protobuf Timestamp object (`{seconds, nanos}`) is a value, not an object to flatten."""
    return bool(value) and set(value) <= {"seconds", "nanos"}


def _int(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return value  # schema drift: dlt puts it in a variant column and a check catches it


def conform(spec: TableSpec, row: dict[str, Any]) -> dict[str, Any]:
    """Apply the table's timestamp, enum, empty-reference and type rules; add missing contract columns."""
    for name, kind in spec.columns.items():
        value = row.get(name)
        if kind == "timestamp":
            value = to_utc(value)
        elif kind == "bigint":
            value = _int(value)
        elif kind == "bool" and isinstance(value, str):
            value = value.lower() == "true"
        row[name] = value
    for name in spec.enums:
        row[name] = upper(row.get(name), name)
    for name in spec.empty_is_null:
        if row.get(name) == "":
            row[name] = None
    for name in [k for k, v in row.items() if v is None and k not in spec.columns]:
        del row[name]  # an all-NULL extra would only make dlt warn
    return row


def shape(table: str, raw: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The generic path: hoist, flatten, add `extra` columns, conform."""
    row = flatten(hoist(raw))
    row.update(extra)
    return conform(TABLES[table], row)


# --- tables with a specific mapping --------------------------------------------------------------------


def project(raw: Mapping[str, Any]) -> dict[str, Any]:
    return shape("projects", raw)


def workflow(raw: Mapping[str, Any]) -> dict[str, Any]:
    return shape("workflows", raw)


def pipeline(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A pipeline from the list (UPPERCASE, {seconds,nanos}) or the describe (lowercase, strings, int enums)."""
    row = flatten({k: v for k, v in raw.items() if k != "blocks"})
    directory, file_name = row.get("working_directory") or "", row.get("yaml_file_name") or ""
    row["pipeline_file"] = f"{directory.rstrip('/')}/{file_name}" if directory else file_name or None
    if str(row.get("state", "")).upper() != "DONE":
        row["result"] = None
        row["result_reason"] = None
    return conform(TABLES["pipelines"], row)


def block(raw: Mapping[str, Any], ppl_id: str) -> dict[str, Any]:
    row = {k: v for k, v in raw.items() if k != "jobs"}
    row["ppl_id"] = ppl_id
    if str(row.get("state", "")).upper() != "DONE":
        row["result"] = None
        row["result_reason"] = None
    return conform(TABLES["blocks"], flatten(row))


def block_job(raw: Mapping[str, Any], ppl_id: str, block_id: str) -> dict[str, Any]:
    """The block-job part of a jobs row (the Jobs API part is merged in by `job_details`)."""
    return {
        "job_id": raw.get("job_id"),
        "ppl_id": ppl_id,
        "block_id": block_id,
        "name": raw.get("name"),
        "index": raw.get("index"),
    }


def _names(items: Any) -> list[str]:
    return [item.get("name") for item in items or [] if isinstance(item, Mapping)]


def job_details(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The Jobs API part of a jobs row (`GET /jobs` item or `GET /jobs/{id}`); env var values are dropped."""
    meta, spec, status = raw.get("metadata") or {}, raw.get("spec") or {}, raw.get("status") or {}
    machine = (spec.get("agent") or {}).get("machine") or {}
    agent = status.get("agent") or {}
    result = status.get("result")
    return {
        "job_id": meta.get("id"),
        "name": meta.get("name"),
        "project_id": spec.get("project_id"),
        "create_time": meta.get("create_time"),
        "update_time": meta.get("update_time"),
        "start_time": meta.get("start_time"),
        "finish_time": meta.get("finish_time"),
        "state": status.get("state"),
        "result": None if result in (None, "", "NONE") else result,
        "machine_type": machine.get("type"),
        "os_image": machine.get("os_image"),
        "agent_name": agent.get("name"),
        "agent_ip": agent.get("ip"),
        "commands": list(spec.get("commands") or []),
        "secrets": _names(spec.get("secrets")),
        "env_vars": _names(spec.get("env_vars")),
    }


def job(stub: Mapping[str, Any] | None, details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge the block-job stub and the Jobs API details into one contract row."""
    row: dict[str, Any] = dict(details or {})
    for key, value in (stub or {}).items():
        if value is not None or key not in row:
            row[key] = value
    return conform(TABLES["jobs"], row)


def promotion(raw: Mapping[str, Any], ppl_id: str) -> dict[str, Any]:
    return shape("promotions", raw, ppl_id=ppl_id)


def agent_type(raw: Mapping[str, Any], snapshot_at: datetime) -> dict[str, Any]:
    return shape("agent_types", raw, snapshot_at=snapshot_at)


def agent(raw: Mapping[str, Any], snapshot_at: datetime) -> dict[str, Any]:
    return shape("agents", raw, snapshot_at=snapshot_at)


def deployment_target(raw: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in raw.items() if k not in ("last_deployment", "env_vars", "files")}
    last = raw.get("last_deployment")
    row = flatten(body)
    row["last_deployment_id"] = last.get("id") if isinstance(last, Mapping) else None
    return conform(TABLES["deployment_targets"], row)


def deployment(raw: Mapping[str, Any], store_values: bool = False) -> dict[str, Any]:
    """A deployment; env var values become `<redacted>` unless `store_values`."""
    row = flatten({k: v for k, v in raw.items() if k != "env_vars"})
    row["env_vars"] = [
        {"name": item.get("name"), "value": item.get("value") if store_values else settings.REDACTED}
        for item in raw.get("env_vars") or []
        if isinstance(item, Mapping)
    ]
    return conform(TABLES["deployments"], row)


def retention_policy(raw: Mapping[str, Any], project_id: str) -> dict[str, Any]:
    row = {"project_id": project_id}
    for key in (
        "project_level_retention_policies",
        "workflow_level_retention_policies",
        "job_level_retention_policies",
    ):
        row[key] = list(raw.get(key) or [])
    return conform(TABLES["artifact_retention_policies"], row)


def schedule(raw: Mapping[str, Any]) -> dict[str, Any]:
    return shape("schedules", raw)


LOG_EVENT_FIELDS = (
    "event",
    "timestamp",
    "directive",
    "output",
    "exit_code",
    "started_at",
    "finished_at",
    "result",
)


def log_event(raw: Mapping[str, Any], job_id: str, seq: int) -> dict[str, Any]:
    row: dict[str, Any] = {"job_id": job_id, "seq": seq}
    for key in LOG_EVENT_FIELDS:
        row[key] = raw.get(key)
    return conform(TABLES["job_log_events"], row)
