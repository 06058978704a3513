"""docs/tables.md, generated from the table contract (`semaphore_dagster/semaphore/endpoints.py`).

    uv run python -m semaphore_dagster.dagster_layer.tables_doc --write   # rewrite docs/tables.md
    uv run python -m semaphore_dagster.dagster_layer.tables_doc           # print it

A test keeps the committed file equal to what this module generates. Descriptions hold no backquotes: in
each table's section only column names are quoted (the emulator's ground-truth test reads them).
"""

import sys
from pathlib import Path

from semaphore_dagster.semaphore.endpoints import TABLES, TableSpec

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "tables.md"

_TYPES = {
    "text": "text",
    "bool": "bool",
    "bigint": "bigint",
    "timestamp": "timestamptz (UTC)",
    "json": "json",
}

PROSE = """# The `semaphore` dataset: tables, keys and columns (the contract)

Every table below is written by the dlt source (`semaphore_dagster/semaphore/`) into the dataset `semaphore`
and exported in exactly the same shape by the emulator's ground truth
(`semaphore_dagster.emulator.World.ground_truth()`), so tests compare one with the other column by column.
The insights SQL and the Dagster asset checks rely on these names.

This file is generated from the table contract, `semaphore_dagster/semaphore/endpoints.py` (`TABLES`):
change the contract, then run `uv run python -m semaphore_dagster.dagster_layer.tables_doc --write`
(a test fails while this file and the contract disagree). The Dagster asset specs (description, group,
column schema), the asset checks (keys, references, enum domains) derive from the same contract.

General rules

* Wrappers `metadata` / `spec` / `status` are hoisted: their fields become top-level columns with the API's
  field names. Other nested objects are flattened with `__` (dlt's convention): `queue.type` -> `queue__type`.
* Lists (rules, env var names, parameters, tasks, policies) are stored as JSON columns (dlt `json` type), never
  as child tables.
* Timestamps are `timestamp with time zone` in UTC, at microsecond precision, whatever the endpoint's format
  (`{seconds,nanos}` truncated to the microsecond, `"YYYY-MM-DD HH:MM:SS.ffffffZ"`, unix-second strings,
  integers, ISO-8601). Epoch zero, `"0"`, `""`, `null` become NULL.
* Enums are UPPERCASE in every column, whether the API gave lowercase strings, uppercase strings or integer
  codes (integer codes are mapped to their names: workflow `triggered_by` 0 HOOK, 1 SCHEDULE, 2 API,
  3 MANUAL_RUN; `ppl_triggered_by` 0 WORKFLOW, 1 PROMOTION, 2 AUTO_PROMOTION, 3 PARTIAL_RE_RUN; `queue.type`
  0 IMPLICIT, 1 USER_GENERATED).
* Empty-string ID references (`rerun_of: ""`, `promotion_of: ""`, `switch_id: ""`, ...) become NULL.
* Secrets are never stored in the clear: agent-type registration tokens are dropped; deployment `env_vars`
  keep names only (`value` replaced by `"<redacted>"`) unless `store_deployment_parameter_values` is set;
  job `env_vars` keep names only; secret values are never requested.
* dlt's own columns (`_dlt_load_id`, `_dlt_id`) are added by dlt and ignored by ground-truth comparisons, and so
  are the load-time columns `snapshot_at` (agents, agent_types), `fetched_at` and `attempts` (job_logs), which
  the ground truth leaves out.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def column_notes(spec: TableSpec, column: str) -> str:
    """The column's description plus what the contract says about it (domain, reference, NULL rule)."""
    parts = [spec.column_descriptions.get(column, "")]
    if column in spec.enum_values:
        parts.append("one of " + ", ".join(spec.enum_values[column]))
    elif column in spec.enums:
        parts.append("UPPERCASE")
    if column in spec.references:
        parent, parent_column = spec.references[column]
        parts.append(f"references {parent}.{parent_column}")
    if column in spec.empty_is_null:
        parts.append("empty string stored as NULL")
    return "; ".join(p for p in parts if p)


def table_section(spec: TableSpec) -> str:
    key = ", ".join(f"`{c}`" for c in spec.primary_key)
    lines = [
        f"## {spec.name} ({key})",
        "",
        f"{spec.description} Group {spec.group or 'none'}; source {spec.endpoint}; "
        f"write disposition {spec.write_disposition}.",
        "",
        "| column | type | description |",
        "|---|---|---|",
    ]
    for column, kind in spec.columns.items():
        lines.append(f"| `{column}` | {_TYPES.get(kind, kind)} | {_cell(column_notes(spec, column))} |")
    return "\n".join(lines) + "\n"


def generate() -> str:
    summary = [
        "| table | primary key | group | source endpoint(s) | one row is |",
        "|---|---|---|---|---|",
    ]
    for spec in TABLES.values():
        key = ", ".join(f"`{c}`" for c in spec.primary_key)
        summary.append(
            f"| `{spec.name}` | {key} | {spec.group} | {_cell(spec.endpoint)} | {_cell(spec.description)} |"
        )
    sections = [table_section(spec) for spec in TABLES.values()]
    return PROSE.rstrip() + "\n\n" + "\n".join(summary) + "\n\n" + "\n".join(sections)


def main(argv: list[str]) -> int:
    text = generate()
    if "--write" in argv:
        DOC_PATH.write_text(text)
        print(f"wrote {DOC_PATH}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
