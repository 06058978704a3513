"""One `@asset_check` per rule and table, each reading the DuckDB file read-only.

Blocking checks (keys, references, secrets) stop what depends on their table when they fail. A file
locked by another process's load turns into a WARN result (it does not block, and says to re-run).
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
    asset_check,
)

from semaphore_dagster.defs.checks import queries
from semaphore_dagster.defs.checks.queries import Outcome
from semaphore_dagster.defs.checks.rules import ENUMS, PRIMARY_KEYS, REFERENCES, TIMESTAMP_ORDERS
from semaphore_dagster.defs.duckdb_reader import DuckDBLockedError, Reader, read_duckdb
from semaphore_dagster.defs.ingestion.tables import table_key
from semaphore_dagster.defs.settings import duckdb_path, lock_wait_seconds

CheckQuery = Callable[[Reader, AssetCheckExecutionContext], Outcome]


def _result(outcome: Outcome, severity: AssetCheckSeverity) -> AssetCheckResult:
    metadata: dict[str, object] = {
        "rows_checked": MetadataValue.int(int(outcome.checked or 0)),
        "offending": MetadataValue.int(int(outcome.offending)),
        "offending_sample": MetadataValue.json(outcome.sample),
    }
    if outcome.note:
        metadata["note"] = MetadataValue.text(outcome.note)
    for name, value in outcome.extra.items():
        metadata[name] = MetadataValue.json(value) if isinstance(value, dict | list) else value
    return AssetCheckResult(passed=outcome.passed, severity=severity, metadata=metadata)


def make_check(
    table: str,
    name: str,
    query: CheckQuery,
    description: str,
    blocking: bool = False,
    severity: Callable[[Outcome], AssetCheckSeverity] | None = None,
) -> AssetChecksDefinition:
    """An asset check on `semaphore/<table>` that runs `query` over a read-only connection."""

    @asset_check(asset=table_key(table), name=name, description=description, blocking=blocking)
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        try:
            with read_duckdb(duckdb_path(), wait_seconds=lock_wait_seconds()) as reader:
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


def build_table_checks() -> list[AssetChecksDefinition]:
    checks: list[AssetChecksDefinition] = []
    for table, columns in PRIMARY_KEYS.items():
        checks.append(
            make_check(
                table,
                "primary_key_unique_not_null",
                lambda r, _c, table=table, columns=columns: queries.primary_key(r, table, columns),
                f"Primary key ({', '.join(columns)}) is unique and never NULL.",
                blocking=True,
            )
        )
        checks.append(
            make_check(
                table,
                "no_variant_columns",
                lambda r, _c, table=table: queries.variant_columns(r, table),
                "No `__v_` variant columns: no value failed to coerce to its column's type (schema drift).",
            )
        )
    for ref in REFERENCES:
        checks.append(
            make_check(
                ref.child,
                f"{ref.column}_references_{ref.parent}",
                lambda r, _c, ref=ref: queries.references(r, ref),
                f"Every {ref.child}.{ref.column} exists in {ref.parent}.{ref.parent_column}.",
                blocking=True,
            )
        )
    for table, columns in TIMESTAMP_ORDERS.items():
        key = PRIMARY_KEYS[table][0]
        checks.append(
            make_check(
                table,
                "timestamps_in_order",
                lambda r, _c, table=table, columns=columns, key=key: queries.timestamp_order(
                    r, table, columns, key
                ),
                f"{' <= '.join(columns)} when set"
                + ("; every DONE pipeline has done_at." if table == "pipelines" else "."),
            )
        )
    for table, domains in ENUMS.items():
        key = PRIMARY_KEYS[table][0]
        checks.append(
            make_check(
                table,
                "enum_values_documented",
                lambda r, _c, table=table, domains=domains, key=key: queries.enum_domain(
                    r, table, domains, key
                ),
                f"Enum columns ({', '.join(domains)}) hold only their documented UPPERCASE values.",
            )
        )
    checks += [
        make_check(
            "deployments",
            "no_deployment_parameter_values",
            lambda r, _c: queries.deployment_parameter_values(r, _deployment_values_allowed()),
            "Deployment parameters keep names only: values are `<redacted>`.",
            blocking=True,
        ),
        make_check(
            "jobs",
            "job_env_vars_names_only",
            lambda r, _c: queries.job_env_var_values(r),
            "Job env_vars hold names only, never values.",
            blocking=True,
        ),
        make_check(
            "agent_types",
            "no_registration_tokens",
            lambda r, _c: queries.registration_tokens(r),
            "No table stores agent registration tokens (or any token column).",
            blocking=True,
        ),
        make_check(
            "job_logs",
            "logs_complete_per_partition",
            lambda r, c: queries.log_completeness(r, _materialized_days(c)),
            "For every loaded day, every finished job has its log (events, or an outcome saying why not).",
            severity=_completeness_severity,
        ),
    ]
    return checks
