"""One Dagster asset per insight table (`semaphore_insights/<name>`), built by its SQL in DuckDB."""

import dagster as dg

from semaphore_dagster.dagster_layer.settings import DUCKDB_POOL
from semaphore_dagster.insights import INSIGHTS, INSIGHTS_SCHEMA, Insight, InsightsConfig
from semaphore_dagster.insights.headlines import headline_markdown
from semaphore_dagster.insights.runner import build_insight, connect
from semaphore_dagster.insights.sources import prepare_sources
from semaphore_dagster.resources import DestinationResource

GROUP = "ci_insights"
SOURCE_PREFIX = "semaphore"


def insight_key(name: str) -> dg.AssetKey:
    return dg.AssetKey([INSIGHTS_SCHEMA, name])


def _description(insight: Insight) -> str:
    return (
        f"{insight.definition}\n\nTable `{INSIGHTS_SCHEMA}.{insight.name}` in the DuckDB file; SQL in "
        f"`semaphore_dagster/insights/sql/{insight.name}.sql`. Scopes come from InsightsConfig.from_env() "
        "(SEMAPHORE_INSIGHTS_* variables)."
    )


def build_insight_asset(insight: Insight) -> dg.AssetsDefinition:
    deps = [dg.AssetKey([SOURCE_PREFIX, t]) for t in insight.reads] + [insight_key(n) for n in insight.needs]

    @dg.asset(
        key=insight_key(insight.name),
        group_name=GROUP,
        deps=deps,
        pool=DUCKDB_POOL,
        description=_description(insight),
        kinds={"duckdb", "sql"},
        automation_condition=dg.AutomationCondition.eager(),  # refresh when the upstream tables change
    )
    def _insight(destination: DestinationResource) -> dg.MaterializeResult:
        config = InsightsConfig.from_env()
        path = destination.path()
        with connect(path) as con:
            present = prepare_sources(con, config)
            rows = build_insight(con, insight.name)
            headline = headline_markdown(con, insight.name)
        missing = [t for t in insight.reads if not present[t]]
        metadata: dict[str, object] = {
            "dagster/row_count": rows,
            "dagster/table_name": f"{INSIGHTS_SCHEMA}.{insight.name}",
            "headline": dg.MetadataValue.md(headline),
            "duckdb_path": dg.MetadataValue.path(str(path)),
        }
        if missing:
            metadata["missing_source_tables"] = dg.MetadataValue.text(
                ", ".join(missing) + " not loaded yet: read as empty"
            )
        return dg.MaterializeResult(metadata=metadata)

    return _insight


def build_insight_assets() -> list[dg.AssetsDefinition]:
    return [build_insight_asset(i) for i in INSIGHTS.values()]
