"""Maps each dlt resource of the Semaphore source to its Dagster asset spec, from the table contract."""

import inspect
from pathlib import Path

import dagster as dg
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from semaphore_dagster.dagster_layer.catalog import (
    GROUP_CI,
    TABLES,
    TableInfo,
    column_schema,
    table_key,
    table_name,
)
from semaphore_dagster.dagster_layer.settings import DagsterSettings

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # semaphore_dagster/
# The source module that produces each group's rows (a new group falls back to the source's entry point).
SOURCE_MODULES = {
    "organization": "semaphore/organization.py",
    "ci_activity": "semaphore/ci_activity.py",
    "fleet": "semaphore/fleet.py",
    "deployments": "semaphore/deployments.py",
}


def _contract_line(table: str) -> int | None:
    """The line of the table's entry in the contract (endpoints.py), for the UI's code link."""
    from semaphore_dagster.semaphore import endpoints

    lines, start = inspect.getsourcelines(endpoints)
    for number, line in enumerate(lines, start=start or 1):
        if line.strip() == f'"{table}",':
            return number - 1
    return None


def code_references(info: TableInfo) -> dg.CodeReferencesMetadataValue:
    module = (
        "semaphore/job_logs.py" if info.partitioned else SOURCE_MODULES.get(info.group, "semaphore/source.py")
    )
    references = [
        dg.LocalFileCodeReference(
            file_path=str(PACKAGE_ROOT / "semaphore" / "endpoints.py"),
            line_number=_contract_line(info.name),
            label="table contract",
        )
    ]
    if (PACKAGE_ROOT / module).exists():
        references.append(dg.LocalFileCodeReference(file_path=str(PACKAGE_ROOT / module), label="dlt source"))
    return dg.CodeReferencesMetadataValue(code_references=references)


def freshness_policy(info: TableInfo, settings: DagsterSettings) -> dg.FreshnessPolicy:
    """CI activity (and projects, loaded with it) hourly; slowly-changing tables daily; log days daily."""
    hourly = info.group == GROUP_CI and not info.partitioned or info.name == "projects"
    window = settings.ci_fresh_within if hourly else settings.daily_fresh_within
    return dg.FreshnessPolicy.time_window(fail_window=window * 2, warn_window=window)


class SemaphoreDltTranslator(DagsterDltTranslator):
    """Keys `semaphore/<table>`, groups, descriptions and column schemas from the contract, deps that
    follow the data (a row names its parent), kinds dlt + the destination, a freshness policy."""

    def __init__(self, settings: DagsterSettings) -> None:
        self.settings = settings

    def spec_of(self, name: str) -> dg.AssetSpec:
        info = TABLES.get(name)
        if info is None:
            raise KeyError(
                f"resource {name!r} of the Semaphore source is not in the table contract (endpoints.py)"
            )
        automation = (
            dg.AutomationCondition.eager()  # today's partition follows every jobs load
            if info.partitioned
            else None
        )
        return dg.AssetSpec(
            key=table_key(name),
            deps=[table_key(upstream) for upstream in info.upstream],
            description=info.description,
            group_name=info.group,
            kinds={"dlt", self.settings.destination_kind},
            freshness_policy=freshness_policy(info, self.settings),
            automation_condition=automation,
            metadata={
                "dagster/table_name": table_name(name),
                "dagster/column_schema": column_schema(info.spec),
                "dagster/code_references": code_references(info),
                "dlt_pipeline": info.pipeline,
                "primary_key": ", ".join(info.spec.primary_key),
            },
        )

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        return self.spec_of(data.resource.name)
