"""The insights as Dagster assets: the dbt project through dagster-dbt, then the HTML report.

`ci_insights_dbt` runs `dbt build` (models and their tests, the tests reported as asset checks) on the
destination of the `destination` resource (DuckDB file or PostgreSQL). Each insight's materialization
carries `dagster/row_count`, `dagster/table_name`, a `headline` markdown table and, when the insight read
tables not loaded yet, `missing_source_tables`.
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from semaphore_dagster.defs.insights.project import insights_project
from semaphore_dagster.defs.insights.translator import GROUP, InsightsTranslator, insight_key
from semaphore_dagster.defs.settings import DUCKDB_POOL
from semaphore_dagster.insights import DbtTarget, InsightsConfig, connect, target_from_destination
from semaphore_dagster.insights.headlines import headline_markdown, insight_tables, local_copy
from semaphore_dagster.insights.target import dbt_environment
from semaphore_dagster.resources.destination import DestinationResource

TRANSLATOR = InsightsTranslator()


def destination_target(destination: DestinationResource) -> DbtTarget:
    """The dbt profile target for the destination resource (the Dagster layer's only entry to it)."""
    return target_from_destination(
        destination.kind,
        destination.duckdb_path,
        destination.postgres_credentials,
        destination.dataset,
        destination.insights_schema,
    )


def _sources_read(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    """model name -> the source tables it reads, through the models it reads."""
    nodes = manifest["nodes"]
    memo: dict[str, set[str]] = {}

    def walk(unique_id: str) -> set[str]:
        if unique_id.startswith("source."):
            return {manifest["sources"][unique_id]["name"]}
        if unique_id not in memo:
            memo[unique_id] = set()
            memo[unique_id] = set().union(*(walk(p) for p in nodes[unique_id]["depends_on"]["nodes"]))
        return memo[unique_id]

    return {n["name"]: walk(uid) for uid, n in nodes.items() if n["resource_type"] == "model"}


def _insight_of(context: dg.AssetExecutionContext, event: Any, schema: str) -> str | None:
    """The insight a dbt materialization event is for (None for staging views, checks and logs)."""
    if isinstance(event, dg.Output):
        key = context.asset_key_for_output(event.output_name)
    elif isinstance(event, dg.MaterializeResult):
        key = event.asset_key
    else:
        return None
    return key.path[-1] if key is not None and len(key.path) == 2 and key.path[0] == schema else None


def _with_metadata(
    context: dg.AssetExecutionContext, events: list[Any], target: DbtTarget, manifest: Mapping[str, Any]
) -> Iterator[Any]:
    """The dbt events, insight materializations enriched with row count, headline and missing tables."""
    built = [n for n in (_insight_of(context, e, target.insights_schema) for e in events) if n]
    extra: dict[str, dict[str, Any]] = {}
    if built:
        reads = _sources_read(manifest)
        with connect(target) as query:
            present = {
                r["table_name"]
                for r in query.rows(
                    "SELECT table_name FROM information_schema.tables "
                    f"WHERE table_schema = '{target.dataset}'"
                )
            }
            local = local_copy(query, insight_tables(built, target.insights_schema))
        try:
            for name in built:
                count = local.execute(f'SELECT count(*) FROM semaphore_insights."{name}"').fetchall()[0][0]
                meta: dict[str, Any] = {
                    "dagster/row_count": dg.MetadataValue.int(count),
                    "dagster/table_name": f"{target.insights_schema}.{name}",
                    "headline": dg.MetadataValue.md(headline_markdown(local, name)),
                }
                missing = sorted(t for t in reads.get(name, set()) - present if not t.startswith("_dlt"))
                if missing:
                    meta["missing_source_tables"] = dg.MetadataValue.text(
                        ", ".join(missing) + " not loaded yet: read as empty"
                    )
                extra[name] = meta
        finally:
            local.close()
    for event in events:
        name = _insight_of(context, event, target.insights_schema)
        if name in extra:
            event = event.with_metadata({**(event.metadata or {}), **extra[name]})
        yield event


@dbt_assets(
    manifest=insights_project.manifest_path,
    project=insights_project,
    dagster_dbt_translator=TRANSLATOR,
    name="ci_insights_dbt",
    pool=DUCKDB_POOL,
)
def ci_insights_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, destination: DestinationResource):
    """`dbt build` of the selected insights (and their tests) on the configured destination."""
    target = destination_target(destination)
    variables = json.dumps(InsightsConfig.from_env().dbt_vars())
    with dbt_environment(target):
        # cautious: a test runs only when every model it reads is selected (a test comparing a selected staging
        # view with an insight not built in this run would fail on the missing table)
        args = ["build", "--vars", variables, "--indirect-selection", "cautious"]
        invocation = dbt.cli(args, context=context, raise_on_error=False)
        events = list(invocation.stream())
    yield from _with_metadata(context, events, target, invocation.manifest)
    if not invocation.is_successful():
        # A failing test is an asset check result; a model that fails to build fails the step.
        errors = [r for r in invocation.get_artifact("run_results.json")["results"] if r["status"] == "error"]
        if errors:
            raise dg.Failure(
                "dbt build failed: " + "; ".join(f"{r['unique_id']}: {r.get('message')}" for r in errors)
            )


__all__ = ["GROUP", "ci_insights_dbt", "destination_target", "insight_key"]
