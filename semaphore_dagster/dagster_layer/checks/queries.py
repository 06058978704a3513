"""The checks as SQL over the tables of docs/tables.md (DuckDB or PostgreSQL, rows of completed loads
only). Each returns an `Outcome`: how many rows were examined, how many offend, and a few offending rows
with their column names. A table dlt has not created yet has no rows, so it offends nothing (except as the
parent of existing references)."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from semaphore_dagster.dagster_layer.checks.rules import REDACTED, Reference
from semaphore_dagster.dagster_layer.readers import Reader

SAMPLE_SIZE = 5


@dataclass
class Outcome:
    checked: int
    offending: int
    sample: list[str] = field(default_factory=list)
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The offending rows as column -> value (shown as a table with named columns); `sample` is their key.
    sample_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.offending == 0


def _missing(table: str) -> Outcome:
    return Outcome(0, 0, note=f"table {table} does not exist yet (no rows loaded)")


def _key_text(row: Iterable[Any]) -> str:
    return "/".join("NULL" if v is None else str(v) for v in row)


def primary_key(reader: Reader, table: str, columns: tuple[str, ...]) -> Outcome:
    """Key columns are never NULL and never repeated."""
    if not reader.has_table(table):
        return _missing(table)
    t = reader.q(table, "t")
    cols = ", ".join(f'"{c}"' for c in columns)
    any_null = " OR ".join(f'"{c}" IS NULL' for c in columns)
    total = reader.scalar(f"SELECT count(*) FROM {t}")
    nulls = reader.scalar(f"SELECT count(*) FROM {t} WHERE {any_null}")
    dup_rows = reader.rows(
        f"SELECT {cols}, count(*) AS n FROM {t} WHERE NOT ({any_null}) GROUP BY {cols} HAVING count(*) > 1 "
        f"ORDER BY n DESC LIMIT {SAMPLE_SIZE}"
    )
    duplicates = reader.scalar(
        f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {t} WHERE NOT ({any_null}) "
        f"GROUP BY {cols} HAVING count(*) > 1) AS d"
    )
    null_rows = reader.rows(f"SELECT {cols} FROM {t} WHERE {any_null} LIMIT {SAMPLE_SIZE}") if nulls else []
    sample = [_key_text(r[:-1]) for r in dup_rows]
    sample_rows = [{**dict(zip(columns, r[:-1], strict=True)), "rows": int(r[-1])} for r in dup_rows]
    sample_rows += [{**dict(zip(columns, r, strict=True)), "rows": 1} for r in null_rows]
    return Outcome(
        total,
        int(nulls) + int(duplicates),
        sample,
        extra={"null_keys": int(nulls), "duplicates": int(duplicates)},
        sample_rows=sample_rows[:SAMPLE_SIZE],
    )


def references(reader: Reader, ref: Reference) -> Outcome:
    """Every non-NULL `child.column` exists in `parent.parent_column`."""
    if not reader.has_table(ref.child):
        return _missing(ref.child)
    child, col = reader.q(ref.child, "c"), f'"{ref.column}"'
    total = reader.scalar(f"SELECT count(*) FROM {child} WHERE c.{col} IS NOT NULL")
    if reader.has_table(ref.parent):
        orphan_sql = (
            f"FROM {child} WHERE c.{col} IS NOT NULL AND NOT EXISTS "
            f'(SELECT 1 FROM {reader.q(ref.parent, "p")} WHERE p."{ref.parent_column}" = c.{col})'
        )
    else:
        orphan_sql = f"FROM {child} WHERE c.{col} IS NOT NULL"
    orphans = reader.scalar(f"SELECT count(DISTINCT c.{col}) {orphan_sql}")
    sample = [
        r[0] for r in reader.rows(f"SELECT DISTINCT c.{col} {orphan_sql} ORDER BY 1 LIMIT {SAMPLE_SIZE}")
    ]
    rows = [{ref.column: s, f"missing in {ref.parent}.{ref.parent_column}": True} for s in sample]
    return Outcome(
        total,
        int(orphans),
        [str(s) for s in sample],
        extra={"missing_parent_ids": int(orphans)},
        sample_rows=rows,
    )


def timestamp_order(reader: Reader, table: str, columns: tuple[str, ...], key: str) -> Outcome:
    """Each timestamp is not before the previous one (when both are set); for pipelines, every DONE
    pipeline has `done_at`."""
    if not reader.has_table(table):
        return _missing(table)
    present = set(reader.columns(table))
    cols = [c for c in columns if c in present]
    conditions = [
        f'("{a}" IS NOT NULL AND "{b}" IS NOT NULL AND "{a}" > "{b}")'
        for i, a in enumerate(cols)
        for b in cols[i + 1 :]
    ]
    if table == "pipelines" and "state" in present:
        done_at = '"done_at" IS NULL' if "done_at" in present else "TRUE"
        conditions.append(f"(\"state\" = 'DONE' AND {done_at})")
    t = reader.q(table, "t")
    total = reader.scalar(f"SELECT count(*) FROM {t}")
    if not conditions:
        return Outcome(total, 0, note="no timestamp columns yet")
    where = " OR ".join(conditions)
    bad = reader.scalar(f"SELECT count(*) FROM {t} WHERE {where}")
    shown = [key, *cols, *(["state"] if table == "pipelines" and "state" in present else [])]
    select = ", ".join(f'"{c}"' for c in shown)
    found = reader.rows(f"SELECT {select} FROM {t} WHERE {where} ORDER BY 1 LIMIT {SAMPLE_SIZE}")
    rows = [dict(zip(shown, r, strict=True)) for r in found]
    return Outcome(total, int(bad), [str(r[0]) for r in found], sample_rows=rows)


def enum_domain(reader: Reader, table: str, domains: dict[str, tuple[str, ...]], key: str) -> Outcome:
    """Enum columns hold only their documented UPPERCASE values (or NULL)."""
    if not reader.has_table(table):
        return _missing(table)
    present = set(reader.columns(table))
    t = reader.q(table, "t")
    total = reader.scalar(f"SELECT count(*) FROM {t}")
    offending, sample, unexpected, sample_rows = 0, [], {}, []
    for column, allowed in domains.items():
        if column not in present:
            continue  # dlt creates a column only once a non-NULL value arrives
        values = ", ".join("'" + v + "'" for v in allowed)
        where = f'"{column}" IS NOT NULL AND CAST("{column}" AS VARCHAR) NOT IN ({values})'
        rows = reader.rows(
            f'SELECT CAST("{column}" AS VARCHAR), count(*) FROM {t} WHERE {where} GROUP BY 1 ORDER BY 2 DESC'
        )
        if rows:
            unexpected[column] = {str(v): int(n) for v, n in rows[:SAMPLE_SIZE]}
            offending += sum(int(n) for _, n in rows)
            found = reader.rows(
                f'SELECT "{key}", CAST("{column}" AS VARCHAR) FROM {t} WHERE {where} LIMIT {SAMPLE_SIZE}'
            )
            sample += [f"{r[0]}" for r in found]
            sample_rows += [{key: r[0], "column": column, "value": r[1]} for r in found]
    return Outcome(
        total,
        offending,
        sample[:SAMPLE_SIZE],
        extra={"unexpected_values": unexpected},
        sample_rows=sample_rows[:SAMPLE_SIZE],
    )


def variant_columns(reader: Reader, table: str) -> Outcome:
    """No `<col>__v_<type>` columns: dlt's sign that a value could not be coerced to the column's type."""
    if not reader.has_table(table):
        return _missing(table)
    columns = reader.columns(table)
    variants = [c for c in columns if "__v_" in c]
    return Outcome(len(columns), len(variants), variants[:SAMPLE_SIZE], extra={"variant_columns": variants})


def deployment_parameter_values(reader: Reader, values_allowed: bool) -> Outcome:
    """Deployment parameters keep names only: every `env_vars[].value` is `<redacted>` (unless the user
    chose `store_deployment_parameter_values`)."""
    if not reader.has_table("deployments"):
        return _missing("deployments")
    t = reader.q("deployments", "t")
    total = reader.scalar(f"SELECT count(*) FROM {t}")
    if "env_vars" not in reader.columns("deployments"):
        return Outcome(total, 0, note="no env_vars column")
    leaked: list[str] = []
    count = 0
    for dep_id, env_vars in reader.rows(
        f"SELECT id, CAST(env_vars AS VARCHAR) FROM {t} WHERE env_vars IS NOT NULL"
    ):
        items = json.loads(env_vars) if env_vars else []
        if any(isinstance(i, dict) and i.get("value") not in (None, REDACTED) for i in items):
            count += 1
            leaked.append(str(dep_id))
    if values_allowed:
        return Outcome(
            total, 0, note=f"values stored by choice (store_deployment_parameter_values): {count} rows"
        )
    return Outcome(total, count, leaked[:SAMPLE_SIZE], sample_rows=[{"id": i} for i in leaked[:SAMPLE_SIZE]])


def job_env_var_values(reader: Reader) -> Outcome:
    """Job `env_vars` hold names only (a list of strings), never values."""
    if not reader.has_table("jobs"):
        return _missing("jobs")
    t = reader.q("jobs", "t")
    total = reader.scalar(f"SELECT count(*) FROM {t}")
    if "env_vars" not in reader.columns("jobs"):
        return Outcome(total, 0, note="no env_vars column")
    leaked = []
    # Pre-filter in SQL (cheap on big tables), confirm in Python.
    for job_id, env_vars in reader.rows(
        f"SELECT job_id, CAST(env_vars AS VARCHAR) FROM {t} WHERE CAST(env_vars AS VARCHAR) LIKE '%\"value\"%'"
    ):
        items = json.loads(env_vars) if env_vars else []
        if any(isinstance(i, dict) and "value" in i for i in items):
            leaked.append(str(job_id))
    return Outcome(
        total, len(leaked), leaked[:SAMPLE_SIZE], sample_rows=[{"job_id": i} for i in leaked[:SAMPLE_SIZE]]
    )


def registration_tokens(reader: Reader) -> Outcome:
    """No table of the dataset has a registration-token column (agent types' tokens are dropped)."""
    rows = reader.rows(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = ? "
        "AND (column_name LIKE '%registration_token%' OR column_name LIKE '%api_token%')",
        [reader.dataset],
    )
    offenders = [f"{t}.{c}" for t, c in rows]
    checked = len(reader.tables())
    sample_rows = [{"table": t, "column": c} for t, c in rows[:SAMPLE_SIZE]]
    return Outcome(checked, len(offenders), offenders[:SAMPLE_SIZE], sample_rows=sample_rows)


def log_completeness(reader: Reader, days: Iterable[date]) -> Outcome:
    """For each loaded day: every FINISHED job that finished that day has a `job_logs` row (events, or
    an outcome saying why not), and every OK log has as many stored events as it says."""
    days = sorted(set(days))
    if not days or not reader.has_table("jobs"):
        return Outcome(0, 0, note="no loaded log partitions" if not days else "table jobs does not exist yet")
    jobs = reader.q("jobs", "j")
    logs = reader.q("job_logs", "l") if reader.has_table("job_logs") else ""
    per_day: dict[str, int] = {}
    sample: list[str] = []
    sample_rows: list[dict[str, Any]] = []
    checked = 0
    has_events = reader.has_table("job_log_events")
    for day in days:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        params = [start, start + timedelta(days=1)]
        finished = f"FROM {jobs} WHERE j.state = 'FINISHED' AND j.finish_time >= ? AND j.finish_time < ?"
        checked += int(reader.scalar(f"SELECT count(*) {finished}", params))
        if reader.has_table("job_logs"):
            missing_sql = f"{finished} AND NOT EXISTS (SELECT 1 FROM {logs} WHERE l.job_id = j.job_id)"
        else:
            missing_sql = finished
        missing = [r[0] for r in reader.rows(f"SELECT j.job_id {missing_sql} ORDER BY 1", params)]
        short: list[str] = []
        if reader.has_table("job_logs") and "stored_event_count" in reader.columns("job_logs"):
            events = (
                f"(SELECT count(*) FROM {reader.q('job_log_events', 'e')} WHERE e.job_id = l.job_id)"
                if has_events
                else "0"
            )
            short = [
                r[0]
                for r in reader.rows(
                    f"SELECT l.job_id FROM {logs} WHERE l.outcome = 'OK' AND l.job_id IN (SELECT j.job_id {finished}) "
                    f"AND coalesce(l.stored_event_count, 0) <> {events} ORDER BY 1",
                    params,
                )
            ]
        if missing or short:
            per_day[day.isoformat()] = len(missing) + len(short)
            sample += [f"{day.isoformat()}:{j}" for j in (missing + short)[:SAMPLE_SIZE]]
            sample_rows += [{"day": day.isoformat(), "job_id": j, "problem": "no log row"} for j in missing]
            sample_rows += [{"day": day.isoformat(), "job_id": j, "problem": "events missing"} for j in short]
    return Outcome(
        checked,
        sum(per_day.values()),
        sample[:SAMPLE_SIZE],
        extra={"incomplete_days": per_day, "days_checked": len(days)},
        sample_rows=sample_rows[:SAMPLE_SIZE],
    )


# A column "was populated" when at least this share of the earlier loads' rows had a value, and "turned
# NULL" when every row of the newest load (at least MIN_NEW_ROWS of them) has none.
POPULATED_SHARE = 0.9
MIN_NEW_ROWS = 5


def columns_turned_null(reader: Reader, table: str, columns: Iterable[str]) -> Outcome:
    """Contract columns that had values in earlier loads and are NULL in every row of the newest load (the
    API stopped sending a field). Rows of completed loads only; one load alone offends nothing."""
    if not reader.has_table(table):
        return _missing(table)
    present = set(reader.columns(table))
    if "_dlt_load_id" not in present:
        return Outcome(0, 0, note="no load ids in this table")
    cols = [c for c in columns if c in present]
    t = reader.q(table, "t")
    latest = reader.scalar(f'SELECT max("_dlt_load_id") FROM {t}')
    if latest is None or not cols:
        return Outcome(0, 0, note="nothing loaded yet")
    parts = ['count(*) FILTER (WHERE "_dlt_load_id" = ?)', 'count(*) FILTER (WHERE "_dlt_load_id" <> ?)']
    params: list[Any] = [latest, latest]
    for c in cols:
        parts.append(f'count("{c}") FILTER (WHERE "_dlt_load_id" = ?)')
        parts.append(f'count("{c}") FILTER (WHERE "_dlt_load_id" <> ?)')
        params += [latest, latest]
    figures = reader.rows(f"SELECT {', '.join(parts)} FROM {t}", params)[0]
    new_rows, old_rows = int(figures[0]), int(figures[1])
    if old_rows == 0:
        return Outcome(new_rows, 0, note="only one load so far: nothing to compare")
    turned = []
    for i, c in enumerate(cols):
        new_values, old_values = int(figures[2 + 2 * i]), int(figures[3 + 2 * i])
        if new_rows >= MIN_NEW_ROWS and new_values == 0 and old_values >= POPULATED_SHARE * old_rows:
            turned.append(
                {
                    "column": c,
                    "rows_in_newest_load": new_rows,
                    "share_set_before": round(old_values / old_rows, 3),
                }
            )
    return Outcome(
        new_rows,
        len(turned),
        [r["column"] for r in turned][:SAMPLE_SIZE],
        extra={"newest_load_id": str(latest)},
        sample_rows=turned[:SAMPLE_SIZE],
    )
