"""Maps each dlt resource of the Semaphore source to its Dagster asset spec."""

from dagster import AssetSpec
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

from semaphore_dagster.defs.ingestion.tables import TABLES, table_key
from semaphore_dagster.defs.settings import DATASET_NAME


class SemaphoreDltTranslator(DagsterDltTranslator):
    """Keys `semaphore/<table>`, groups by domain, deps that follow the data, kinds dlt + duckdb."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        name = data.resource.name
        info = TABLES.get(name)
        if info is None:
            raise KeyError(f"resource {name!r} of the Semaphore source is not in docs/tables.md")
        return AssetSpec(
            key=table_key(name),
            deps=[table_key(upstream) for upstream in info.upstream],
            description=info.description,
            group_name=info.group,
            kinds={"dlt", "duckdb"},
            metadata={"dagster/table_name": f"{DATASET_NAME}.{name}", "dlt_pipeline": info.pipeline},
        )
