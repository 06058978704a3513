"""One `@asset_check` per rule and table, each reading the dataset through the destination resource.

Blocking checks (keys, references, secrets) stop what depends on their table when they fail. On DuckDB the
checks are in the `duckdb` pool with the writers (a check's read-only connection would otherwise make
another run's writer fail); a file still locked by another process after the wait turns into a WARN result
(it does not block, and says who holds it). The offending rows are shown as a table with named columns.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime

import dlt
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    asset_check,
)

from semaphore_dagster.dagster_layer.catalog import TABLES, table_key
from semaphore_dagster.dagster_layer.checks import queries
from semaphore_dagster.dagster_layer.checks.queries import Outcome
from semaphore_dagster.dagster_layer.checks.rules import TIMESTAMP_ORDERS, enums, primary_keys, references
from semaphore_dagster.dagster_layer.escape import plain_text
from semaphore_dagster.dagster_layer.readers import DuckDBLockedError, Reader
from semaphore_dagster.dagster_layer.settings import DagsterSettings, check_pool_for
from semaphore_dagster.resources import DestinationResource
from semaphore_dagster.semaphore.endpoints import TableSpec

CheckQuery = Callable[[Reader, AssetCheckExecutionContext], Outcome]
LOAD_TIME_COLUMNS = {"snapshot_at", "fetched_at", "attempts"}


def sample_table(rows: list[dict[str, object]]) -> MetadataValue:
    """The offending rows as a table: one column per field, values as escaped plain text."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    schema = TableSchema(columns=[TableColumn(name=plain_text(n), type="text") for n in names])
    records = [
        TableRecord({plain_text(n): plain_text("NULL" if row.get(n) is None else row.get(n)) for n in names})
        for row in rows
    ]
    return MetadataValue.table(records=records, schema=schema)


def _result(outcome: Outcome, severity: AssetCheckSeverity) -> AssetCheckResult:
    metadata: dict[str, object] = {
        "rows_checked": MetadataValue.int(int(outcome.checked or 0)),
        "offending": MetadataValue.int(int(outcome.offending)),
    }
    if outcome.sample_rows:
        metadata["offending_sample"] = sample_table(outcome.sample_rows)
    elif outcome.sample:
        metadata["offending_sample"] = sample_table([{"value": s} for s in outcome.sample])
    if outcome.note:
        metadata["note"] = MetadataValue.text(plain_text(outcome.note))
    for name, value in outcome.extra.items():
        metadata[name] = MetadataValue.json(value) if isinstance(value, dict | list) else value
    return AssetCheckResult(passed=outcome.passed, severity=severity, metadata=metadata)


def make_check(
    table: str,
    name: str,
    query: CheckQuery,
    description: str,
    settings: DagsterSettings,
    blocking: bool = False,
    severity: Callable[[Outcome], AssetCheckSeverity] | None = None,
    metadata: dict[str, str] | None = None,
) -> AssetChecksDefinition:
    """An asset check on `semaphore/<table>` that runs `query` over a read-only connection."""

    @asset_check(
        asset=table_key(table),
        name=name,
        description=description,
        blocking=blocking,
        metadata=metadata,
        pool=check_pool_for(settings.destination_kind),
    )
    def _check(context: AssetCheckExecutionContext, destination: DestinationResource) -> AssetCheckResult:
        try:
            with destination.read() as reader:
                outcome = query(reader, context)
        except DuckDBLockedError as exc:
            return AssetCheckResult(
                passed=False,
                severity=AssetCheckSeverity.WARN,
                description=str(exc),
                metadata={"error": MetadataValue.text(str(exc))},
            )
        return _result(outcome, severity(outcome) if severity else AssetCheckSeverity.ERROR)

    return _check


def _deployment_values_allowed() -> bool:
    value = dlt.config.get("sources.semaphore.store_deployment_parameter_values")
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _materialized_days(context: AssetCheckExecutionContext) -> list[date]:
    keys = context.instance.get_materialized_partitions(table_key("job_logs"))
    return [date.fromisoformat(k) for k in keys]


def _completeness_severity(outcome: Outcome) -> AssetCheckSeverity:
    """Today's partition is still filling: missing logs there only warn."""
    today = datetime.now(UTC).date().isoformat()
    days = set(outcome.extra.get("incomplete_days", {}))
    return AssetCheckSeverity.WARN if days and days <= {today} else AssetCheckSeverity.ERROR


_LIFECYCLE_NULL = ("null until", "null unless", "null while", "null when")


def watched_for_nulls(spec: TableSpec, key: tuple[str, ...]) -> list[str]:
    """The columns `no_column_turned_null` watches: every contract column but the key, the load-time
    columns, timestamps (set as a row's lifecycle advances: a new pipeline has no done_at yet) and columns
    the contract describes as NULL until, unless, while or when something happens."""
    return [
        c
        for c, kind in spec.columns.items()
        if c not in key
        and c not in LOAD_TIME_COLUMNS
        and kind != "timestamp"
        and not any(p in spec.column_descriptions.get(c, "").lower() for p in _LIFECYCLE_NULL)
    ]


def _warn(_outcome: Outcome) -> AssetCheckSeverity:
    return AssetCheckSeverity.WARN


def build_table_checks(settings: DagsterSettings) -> list[AssetChecksDefinition]:
    checks: list[AssetChecksDefinition] = []
    keys = primary_keys()

    def add(table: str, name: str, query: CheckQuery, description: str, **options) -> None:
        checks.append(make_check(table, name, query, description, settings, **options))

    for table, columns in keys.items():
        add(
            table,
            "primary_key_unique_not_null",
            lambda r, _c, table=table, columns=columns: queries.primary_key(r, table, columns),
            f"Primary key ({', '.join(columns)}) is unique and never NULL.",
            blocking=True,
        )
        add(
            table,
            "no_variant_columns",
            lambda r, _c, table=table: queries.variant_columns(r, table),
            "No `__v_` variant columns: no value failed to coerce to its column's type (schema drift).",
        )
        watched = watched_for_nulls(TABLES[table].spec, columns)
        add(
            table,
            "no_column_turned_null",
            lambda r, _c, table=table, watched=watched: queries.columns_turned_null(r, table, watched),
            "No contract column that had values in earlier loads is NULL in every row of the newest load "
            "(the API stopped sending a field). WARN.",
            severity=_warn,
            metadata={"watched_columns": ", ".join(watched)},
        )
    for ref in references():
        add(
            ref.child,
            f"{ref.column}_references_{ref.parent}",
            lambda r, _c, ref=ref: queries.references(r, ref),
            f"Every {ref.child}.{ref.column} exists in {ref.parent}.{ref.parent_column}.",
            blocking=True,
        )
    for table, columns in TIMESTAMP_ORDERS.items():
        key = keys[table][0]
        add(
            table,
            "timestamps_in_order",
            lambda r, _c, table=table, columns=columns, key=key: queries.timestamp_order(
                r, table, columns, key
            ),
            f"{' <= '.join(columns)} when set"
            + ("; every DONE pipeline has done_at." if table == "pipelines" else "."),
        )
    for table, domains in enums().items():
        key = keys[table][0]
        add(
            table,
            "enum_values_documented",
            lambda r, _c, table=table, domains=domains, key=key: queries.enum_domain(r, table, domains, key),
            f"Enum columns ({', '.join(domains)}) hold only their documented UPPERCASE values.",
        )
    add(
        "deployments",
        "no_deployment_parameter_values",
        lambda r, _c: queries.deployment_parameter_values(r, _deployment_values_allowed()),
        "Deployment parameters keep names only: values are `<redacted>`.",
        blocking=True,
    )
    add(
        "jobs",
        "job_env_vars_names_only",
        lambda r, _c: queries.job_env_var_values(r),
        "Job env_vars hold names only, never values.",
        blocking=True,
    )
    add(
        "agent_types",
        "no_registration_tokens",
        lambda r, _c: queries.registration_tokens(r),
        "No table stores agent registration tokens (or any token column).",
        blocking=True,
    )
    add(
        "job_logs",
        "logs_complete_per_partition",
        lambda r, c: queries.log_completeness(r, _materialized_days(c)),
        "For every loaded day, every finished job has its log (events, or an outcome saying why not).",
        severity=_completeness_severity,
    )
    return checks
