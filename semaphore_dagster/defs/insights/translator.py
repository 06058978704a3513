"""How the dbt nodes become Dagster assets: one lineage graph with the loaded tables.

* a dbt source `semaphore.<table>` is the dlt asset `semaphore/<table>`; dlt's own `_dlt_loads` ledger is
  not an asset (every staging model reads it), so it is left out of the deps;
* an insight model is `semaphore_insights/<name>` in group `ci_insights`, described by its definition;
* a staging model is `semaphore_insights_staging/<name>` in group `ci_staging`;
* every model refreshes by itself when what it reads changes (`AutomationCondition.eager()`; the automation
  sensor evaluates it).
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from semaphore_dagster.insights.config import INSIGHTS_SCHEMA, SOURCE_SCHEMA

GROUP = "ci_insights"
STAGING_GROUP = "ci_staging"
LOADS_TABLE = "_dlt_loads"
LOADS_KEY = dg.AssetKey([SOURCE_SCHEMA, LOADS_TABLE])


def insight_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([INSIGHTS_SCHEMA, name])


def _is_staging(props: Mapping[str, Any]) -> bool:
    return "staging" in props.get("fqn", [])


class InsightsTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        name = dbt_resource_props["name"]
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([SOURCE_SCHEMA, name])
        if _is_staging(dbt_resource_props):
            return dg.AssetKey([f"{INSIGHTS_SCHEMA}_staging", name])
        return insight_key(name)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return STAGING_GROUP if _is_staging(dbt_resource_props) else GROUP

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        text = (dbt_resource_props.get("description") or "").strip()
        path = dbt_resource_props.get("original_file_path", "")
        where = f"dbt model `{dbt_resource_props['name']}` (`semaphore_dagster/insights/dbt_project/{path}`)"
        return f"{text}\n\n{where}" if text else where

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        return dg.AutomationCondition.eager()

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.replace_attributes(deps=[d for d in spec.deps if d.asset_key != LOADS_KEY])
