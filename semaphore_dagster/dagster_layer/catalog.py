"""The Semaphore tables as Dagster sees them, derived from the table contract (`semaphore/endpoints.py`):
asset key, group, the dlt pipeline (and multi-asset) that loads each, upstream tables, column schema.

Groups come from `TableSpec.group`: a table appended to the contract with a new group becomes a new
multi-asset (and dlt pipeline `semaphore_<group>`) with its checks, without editing this layer. Upstream
tables are the contract's `references` (a row names a parent row). The partitioned log tables are the one
explicit exception: they are loaded by their own partitioned multi-assets (`LOG_TABLES`, and the tables the
contract marks `partitioned`, `TEST_RESULT_TABLES`).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dagster import AssetKey, TableColumn, TableColumnConstraints, TableSchema

from semaphore_dagster.dagster_layer.settings import DATASET_NAME, PIPELINE_LOGS, pipeline_of_group
from semaphore_dagster.semaphore.endpoints import TABLES as CONTRACT
from semaphore_dagster.semaphore.endpoints import TableSpec

KEY_PREFIX = "semaphore"
GROUP_CI = "ci_activity"
LOG_TABLES = ("job_logs", "job_log_events")
# Day-partitioned by the contract (`extra={"partitioned": "finish_time"}`): loaded per UTC day of job finish by
# their own partitioned multi-asset (defs/test_results), not by the group multi-assets.
TEST_RESULT_TABLES = tuple(name for name, spec in CONTRACT.items() if spec.extra.get("partitioned"))

# Groups whose tables share state in the source (one planner, one dlt state): they load only together,
# as one non-subsettable multi-asset. Every other group's tables keep their own dlt resource state.
SHARED_STATE_GROUPS = frozenset({GROUP_CI})

# dlt column types -> the names shown in the column schema.
_TYPE_NAMES = {
    "text": "text",
    "bool": "boolean",
    "bigint": "bigint",
    "timestamp": "timestamptz",
    "json": "json",
}


@dataclass(frozen=True)
class TableInfo:
    name: str
    group: str
    pipeline: str  # the dlt pipeline (and Dagster multi-asset) that loads it
    upstream: tuple[str, ...]
    description: str
    spec: TableSpec

    @property
    def key(self) -> AssetKey:
        return table_key(self.name)

    @property
    def partitioned(self) -> bool:
        return self.name in LOG_TABLES or bool(self.spec.extra.get("partitioned"))


def table_key(table: str) -> AssetKey:
    return AssetKey([KEY_PREFIX, table])


def table_name(table: str) -> str:
    return f"{DATASET_NAME}.{table}"


def column_schema(spec: TableSpec) -> TableSchema:
    """The contract's columns with type, description and key constraint (the UI's Columns tab)."""
    return TableSchema(
        columns=[
            TableColumn(
                name=name,
                type=_TYPE_NAMES.get(kind, kind),
                description=spec.column_descriptions.get(name),
                constraints=TableColumnConstraints(
                    nullable=name not in spec.primary_key,
                    other=["primary key"] if name in spec.primary_key else [],
                ),
            )
            for name, kind in spec.columns.items()
        ]
    )


def _info(spec: TableSpec) -> TableInfo:
    group = spec.group or "semaphore"
    pipeline = PIPELINE_LOGS if spec.name in LOG_TABLES else pipeline_of_group(group)
    upstream = tuple(dict.fromkeys(parent for parent, _ in spec.references.values() if parent != spec.name))
    return TableInfo(spec.name, group, pipeline, upstream, spec.description or spec.name, spec)


class _Catalog(Mapping[str, TableInfo]):
    """A live view of the contract: what the definitions are built from is the contract as it is when
    they are built (a table or column added to `TABLES` is there without editing this layer)."""

    def __getitem__(self, name: str) -> TableInfo:
        return _info(CONTRACT[name])

    def __iter__(self) -> Iterator[str]:
        return iter(list(CONTRACT))

    def __len__(self) -> int:
        return len(CONTRACT)


TABLES: Mapping[str, TableInfo] = _Catalog()


def tables_of_pipeline(pipeline_name: str) -> list[str]:
    return [t.name for t in TABLES.values() if t.pipeline == pipeline_name]


def group_pipelines() -> list[str]:
    """The unpartitioned multi-assets (one per group), in contract order."""
    return list(dict.fromkeys(t.pipeline for t in TABLES.values() if not t.partitioned))


def ci_activity_tables() -> list[str]:
    return [t.name for t in TABLES.values() if t.group == GROUP_CI and not t.partitioned]


def slowly_changing_tables() -> list[str]:
    """Loaded daily: every unpartitioned table outside CI activity. Projects also ride along hourly with
    CI activity so a new project's workflows never arrive before it (the reference checks are blocking)."""
    return [t.name for t in TABLES.values() if t.group != GROUP_CI and not t.partitioned]


CI_ACTIVITY_TABLES = ci_activity_tables()
SLOWLY_CHANGING_TABLES = slowly_changing_tables()
