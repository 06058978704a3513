"""models/sources.yml of the dbt project, generated from the table contract (semaphore/endpoints.py TABLES).

The insights room imports nothing of the source room, so the contract reaches dbt as this generated file;
test_dbt_project.py keeps it equal to the contract. Rewrite it after a contract change:

    uv run python -m semaphore_dagster_tests.insights.contract_sources
"""

import sys

import yaml

from semaphore_dagster.insights.dbt_project import DBT_PROJECT_DIR
from semaphore_dagster.semaphore.endpoints import TABLES

SOURCES_YML = DBT_PROJECT_DIR / "models" / "sources.yml"
HEADER = (
    "# GENERATED from semaphore_dagster/semaphore/endpoints.py (TABLES): do not edit by hand. Rewrite with\n"
    "#   uv run python -m semaphore_dagster_tests.insights.contract_sources\n"
    "# data_type is the contract kind (text, bool, bigint, timestamp, json); macros/dialect.sql maps it.\n"
)
LOADS_COLUMNS = {"load_id": "text", "schema_name": "text", "status": "bigint", "inserted_at": "timestamp"}


def _table(name: str, description: str, columns: dict[str, str], descriptions: dict[str, str]) -> dict:
    return {
        "name": name,
        "description": description or f"The `{name}` table loaded by dlt (docs/tables.md).",
        "columns": [
            {"name": c, "data_type": kind, **({"description": descriptions[c]} if c in descriptions else {})}
            for c, kind in columns.items()
        ],
    }


def render() -> str:
    tables = [
        _table(spec.name, spec.description, spec.columns, spec.column_descriptions)
        for spec in TABLES.values()
    ]
    tables.append(
        _table(
            "_dlt_loads",
            "dlt's load ledger: a load's rows are complete once its row has status 0.",
            LOADS_COLUMNS,
            {},
        )
    )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "semaphore",
                "description": "The dataset the dlt source loads (docs/tables.md).",
                "database": "{{ env_var('SEMAPHORE_DBT_SOURCE_DATABASE', '') or target.database }}",
                "schema": "{{ env_var('SEMAPHORE_DBT_SOURCE_SCHEMA', 'semaphore') }}",
                "tables": tables,
            }
        ],
    }
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=110, allow_unicode=True)


if __name__ == "__main__":
    SOURCES_YML.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {SOURCES_YML}\n")
