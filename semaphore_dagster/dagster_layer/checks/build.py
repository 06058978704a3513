"""The table checks: one check per rule and table (each its own result in the UI), evaluated by one
`@multi_asset_check` per table over one read-only connection of the destination resource. One step per table
instead of one per rule: a full materialization has 25 check steps, not about 280 (a step costs Dagster about
0.1 s whatever it does). The step evaluates only the checks selected (`can_subset`).

Blocking checks (keys, references, secrets) stop what depends on their table when they fail. On DuckDB the
checks are in the `duckdb` pool with the writers (a check's read-only connection would otherwise make
another run's writer fail); a file still locked by another process after the wait turns into a WARN result
(it does not block, and says who holds it). The offending rows are shown as a table with named columns.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dlt
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    multi_asset_check,
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


def _result(rule: "Rule", outcome: Outcome, severity: AssetCheckSeverity) -> AssetCheckResult:
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
    return AssetCheckResult(
        asset_key=table_key(rule.table),
        check_name=rule.name,
        passed=outcome.passed,
        severity=severity,
        metadata=metadata,
    )


@dataclass(frozen=True)
class Rule:
    """One check of one table: its name, the query that evaluates it, and how a failure counts."""

    table: str
    name: str
    query: CheckQuery
    description: str
    blocking: bool = False
    severity: Callable[[Outcome], AssetCheckSeverity] | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    def spec(self) -> AssetCheckSpec:
        return AssetCheckSpec(
            self.name,
            asset=table_key(self.table),
            description=self.description,
            blocking=self.blocking,
            metadata=self.metadata or None,
        )


def _locked(rule: Rule, exc: DuckDBLockedError) -> AssetCheckResult:
    """A file another process still holds after the wait: WARN (never blocks), saying who holds it."""
    return AssetCheckResult(
        asset_key=table_key(rule.table),
        check_name=rule.name,
        passed=False,
        severity=AssetCheckSeverity.WARN,
        description=str(exc),
        metadata={"error": MetadataValue.text(str(exc))},
    )


def make_table_checks(table: str, rules: list[Rule], settings: DagsterSettings) -> AssetChecksDefinition:
    """The checks of `semaphore/<table>`: the selected rules evaluated over one read-only connection."""
    by_name = {rule.name: rule for rule in rules}

    @multi_asset_check(
        name=f"semaphore__{table}_checks",
        specs=[rule.spec() for rule in rules],
        can_subset=True,
        pool=check_pool_for(settings.destination_kind),
    )
    def _checks(
        context: AssetCheckExecutionContext, destination: DestinationResource
    ) -> Iterator[AssetCheckResult]:
        selected = [by_name[key.name] for key in sorted(context.selected_asset_check_keys, key=str)]
        results: list[tuple[Rule, AssetCheckResult]] = []
        try:
            with destination.read() as reader:
                for rule in selected:
                    outcome = rule.query(reader, context)
                    severity = rule.severity(outcome) if rule.severity else AssetCheckSeverity.ERROR
                    results.append((rule, _result(rule, outcome, severity)))
        except DuckDBLockedError as exc:
            done = {rule.name for rule, _ in results}
            results += [(rule, _locked(rule, exc)) for rule in selected if rule.name not in done]
        # Blocking results last: a failed one ends the step, and every other result is recorded by then.
        for _rule, result in sorted(results, key=lambda pair: pair[0].blocking):
            yield result

    return _checks


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
    """Every rule of every table (keys, variants, nulls, references, timestamp order, enums, secrets, log
    completeness), grouped into one multi-check per table."""
    rules: dict[str, list[Rule]] = {}
    keys = primary_keys()

    def add(table: str, name: str, query: CheckQuery, description: str, **options) -> None:
        rules.setdefault(table, []).append(Rule(table, name, query, description, **options))

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
    return [make_table_checks(table, table_rules, settings) for table, table_rules in rules.items()]
