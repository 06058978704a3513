"""One table contract (`semaphore/endpoints.py`): the asset specs, the checks, docs/tables.md and the
emulator's ground truth all derive from it or are tested equal to it."""

from dataclasses import replace

import dagster as dg
import pytest

from semaphore_dagster.dagster_layer import tables_doc
from semaphore_dagster.dagster_layer.catalog import table_key
from semaphore_dagster.definitions import build_definitions
from semaphore_dagster.semaphore import endpoints
from semaphore_dagster.semaphore.endpoints import TABLES, TableSpec
from semaphore_dagster_tests.conftest import make_world
from semaphore_dagster_tests.defs.conftest import SETTINGS

LOAD_TIME = {"snapshot_at", "fetched_at", "attempts"}


def _specs(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetSpec]:
    return {s.key: s for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) for s in a.specs}


def _checks(defs: dg.Definitions) -> dict[tuple[str, str], dg.AssetCheckSpec]:
    graph = defs.resolve_asset_graph()
    return {(k.asset_key.path[-1], k.name): graph.get_check_spec(k) for k in graph.asset_check_keys}


def test_every_table_of_the_contract_is_complete() -> None:
    for name, spec in TABLES.items():
        assert spec.description and spec.group, name
        assert set(spec.column_descriptions) == set(spec.columns), name
        assert all(spec.column_descriptions.values()), name
        assert set(spec.enum_values) <= set(spec.columns), name
        for column, (parent, parent_column) in spec.references.items():
            assert column in spec.columns and parent_column in TABLES[parent].columns, (name, column)


def test_docs_tables_md_is_the_generated_file() -> None:
    assert tables_doc.DOC_PATH.read_text() == tables_doc.generate(), (
        "docs/tables.md differs from the contract: run "
        "`uv run python -m semaphore_dagster.dagster_layer.tables_doc --write`"
    )


def test_the_emulator_ground_truth_has_exactly_the_contract_columns() -> None:
    truth = make_world("tiny").ground_truth()
    assert set(truth) == set(TABLES)
    for name, spec in TABLES.items():
        expected = set(spec.columns) - LOAD_TIME
        for row in truth[name]:
            assert set(row) == expected, (name, set(row) ^ expected)


def test_asset_specs_carry_the_contract(code_location: dg.Definitions) -> None:
    specs = _specs(code_location)
    for name, spec in TABLES.items():
        asset = specs[table_key(name)]
        assert asset.group_name == spec.group
        assert asset.description == spec.description
        schema = asset.metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == list(spec.columns)
        assert {c.name: c.description for c in schema.columns} == spec.column_descriptions
        assert asset.freshness_policy is not None
        assert asset.metadata["dagster/code_references"].code_references
    checks = _checks(code_location)
    for name, spec in TABLES.items():
        assert (name, "primary_key_unique_not_null") in checks
        for column, (parent, _) in spec.references.items():
            assert checks[(name, f"{column}_references_{parent}")].blocking
        if spec.enum_values:
            description = checks[(name, "enum_values_documented")].description or ""
            assert all(column in description for column in spec.enum_values)


def test_a_new_column_reaches_the_column_schema_the_checks_and_the_docs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = TABLES["pipelines"]
    grown = replace(
        spec,
        columns={**spec.columns, "commit_author": "text", "runner_kind": "text"},
        column_descriptions={
            **spec.column_descriptions,
            "commit_author": "who wrote the commit",
            "runner_kind": "kind of runner",
        },
        enums=(*spec.enums, "runner_kind"),
        enum_values={**spec.enum_values, "runner_kind": ("CLOUD", "SELF_HOSTED")},
    )
    monkeypatch.setitem(endpoints.TABLES, "pipelines", grown)
    defs = build_definitions(SETTINGS)
    schema = _specs(defs)[table_key("pipelines")].metadata["dagster/column_schema"]
    described = {c.name: c.description for c in schema.columns}
    assert described["commit_author"] == "who wrote the commit"
    checks = _checks(defs)
    assert "commit_author" in checks[("pipelines", "no_column_turned_null")].metadata["watched_columns"]
    assert "runner_kind" in (checks[("pipelines", "enum_values_documented")].description or "")
    text = tables_doc.generate()
    assert "| `commit_author` | text | who wrote the commit |" in text
    assert "| `runner_kind` | text | kind of runner; one of CLOUD, SELF_HOSTED |" in text


def test_a_new_table_with_a_new_group_is_an_asset_with_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        endpoints.TABLES,
        "widgets",
        TableSpec(
            "widgets",
            ("id",),
            "GET /widgets",
            "A",
            {"id": "text", "project_id": "text", "kind": "text"},
            group="gadgets",
            description="One row per widget.",
            column_descriptions={"id": "widget id", "project_id": "its project", "kind": "its kind"},
            references={"project_id": ("projects", "id")},
            enum_values={"kind": ("A", "B")},
        ),
    )
    defs = build_definitions(SETTINGS)
    graph = defs.resolve_asset_graph()
    node = graph.get(table_key("widgets"))
    assert node.group_name == "gadgets"
    assert node.parent_keys == {table_key("projects")}
    writer = next(
        a for a in defs.assets if isinstance(a, dg.AssetsDefinition) and table_key("widgets") in a.keys
    )
    assert writer.node_def.name == "semaphore_gadgets" and writer.can_subset
    checks = _checks(defs)
    assert checks[("widgets", "project_id_references_projects")].blocking
    assert ("widgets", "enum_values_documented") in checks
    assert ("widgets", "primary_key_unique_not_null") in checks
