"""What the UI shows: per-partition figures, row count and table name first, no dlt internals, named
columns in check samples, API text escaped; checks see completed loads only and notice a column turned NULL."""

import dagster as dg
import duckdb
import pytest

from semaphore_dagster.dagster_layer.catalog import table_key
from semaphore_dagster.dagster_layer.escape import md_text, plain_text
from semaphore_dagster_tests.defs.conftest import LoadedWorld, run_sql

HOSTILE = '<img src="https://evil.example/x.png" onerror=alert(1)>](javascript:alert(1)) | pipe\nsecond line'


def _run_checks(defs: dg.Definitions, table: str, *names: str) -> dict[str, dg.AssetCheckEvaluation]:
    selection = dg.AssetSelection.checks(*[dg.AssetCheckKey(table_key(table), n) for n in names])
    job = dg.define_asset_job(f"checks_{table}", selection=selection)
    merged = dg.Definitions.merge(defs, dg.Definitions(jobs=[job]))
    with dg.instance_for_test() as instance:
        result = merged.resolve_job_def(job.name).execute_in_process(instance=instance, raise_on_error=False)
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_each_log_partition_carries_its_own_day_figures(loaded: LoadedWorld) -> None:
    con = duckdb.connect(str(loaded.duckdb_file), read_only=True)
    per_day = dict(
        con.execute(
            "SELECT CAST(CAST(finish_time AS DATE) AS VARCHAR), count(*) FROM semaphore.job_logs GROUP BY 1"
        ).fetchall()
    )
    con.close()
    seen = {}
    for day in ("2026-10-29", "2026-10-30", "2026-10-31"):
        records = loaded.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=table_key("job_logs"), asset_partitions=[day]), limit=1
        ).records
        metadata = records[0].asset_materialization.metadata
        seen[day] = metadata["log_rows_this_day"].value
        assert seen[day] == per_day.get(day, 0)
        assert metadata["jobs_fetched_this_day"].value == per_day.get(day, 0)  # first load: every job fetched
    assert len(set(seen.values())) > 1, seen  # not the run's totals three times


def test_materializations_lead_with_row_count_and_table_name_and_hide_dlt_internals(
    loaded: LoadedWorld,
) -> None:
    event = loaded.instance.get_latest_materialization_event(table_key("pipelines"))
    assert event is not None and event.asset_materialization is not None
    metadata = event.asset_materialization.metadata
    assert list(metadata)[:2] == ["dagster/row_count", "dagster/table_name"]
    assert "rows_loaded" in metadata and metadata["dlt"].value.startswith("dlt pipeline semaphore_ci:")
    text = str({k: v.value for k, v in metadata.items()})
    for internal in ("DltSource", "unserializable", ".parquet", "load_packages", "jobs"):
        assert internal not in text.replace("rows_loaded", ""), internal


def test_escaping_for_markdown_and_plain_text() -> None:
    md = md_text(HOSTILE)
    assert "<" not in md and "\n" not in md and "javascript:" not in md and "https:" not in md
    assert "\\|" in md and "\\]" in md and "\\(" in md
    plain = plain_text(HOSTILE)
    assert "\n" not in plain and plain.startswith("<img")  # shown as text by the UI, one line


def test_a_failed_check_shows_named_columns_and_escaped_api_text(
    copy_defs: dg.Definitions, loaded_copy
) -> None:
    run_sql(
        loaded_copy,
        f"UPDATE semaphore.agent_types SET name = '{HOSTILE.replace(chr(39), chr(39) * 2)}' "
        "WHERE name IN (SELECT name FROM semaphore.agent_types LIMIT 2)",
    )
    evaluation = _run_checks(copy_defs, "agent_types", "primary_key_unique_not_null")[
        "primary_key_unique_not_null"
    ]
    assert not evaluation.passed
    table = evaluation.metadata["offending_sample"].value
    assert [c.name for c in table.schema.columns] == ["name", "rows"]
    (record,) = table.records
    assert (
        record.data["rows"] == "2"
        and "\n" not in record.data["name"]
        and "second line" in record.data["name"]
    )


def test_checks_read_only_completed_loads(copy_defs: dg.Definitions, loaded_copy) -> None:
    # rows of a load that never completed (no _dlt_loads row with status 0): invisible to the checks
    run_sql(
        loaded_copy,
        "INSERT INTO semaphore.projects SELECT * REPLACE ('half-load' AS _dlt_load_id) FROM semaphore.projects",
    )
    assert _run_checks(copy_defs, "projects", "primary_key_unique_not_null")[
        "primary_key_unique_not_null"
    ].passed
    run_sql(
        loaded_copy,
        "INSERT INTO semaphore._dlt_loads (load_id, schema_name, status, inserted_at) "
        "VALUES ('half-load', 'semaphore_org', 0, now())",
    )
    assert not _run_checks(copy_defs, "projects", "primary_key_unique_not_null")[
        "primary_key_unique_not_null"
    ].passed


@pytest.mark.parametrize("rows", [8])
def test_a_column_turned_null_for_new_rows_warns(rows: int, copy_defs: dg.Definitions, loaded_copy) -> None:
    before = _run_checks(copy_defs, "pipelines", "no_column_turned_null")["no_column_turned_null"]
    assert before.passed
    # a newer completed load whose rows have no commit_message (the API stopped sending it)
    run_sql(
        loaded_copy,
        "INSERT INTO semaphore._dlt_loads (load_id, schema_name, status, inserted_at) "
        "VALUES ('9999999999.1', 'semaphore_ci', 0, now())",
        f"UPDATE semaphore.pipelines SET commit_message = NULL, _dlt_load_id = '9999999999.1' "
        f"WHERE ppl_id IN (SELECT ppl_id FROM semaphore.pipelines ORDER BY ppl_id LIMIT {rows})",
    )
    after = _run_checks(copy_defs, "pipelines", "no_column_turned_null")["no_column_turned_null"]
    assert not after.passed and after.severity == dg.AssetCheckSeverity.WARN
    columns = [r.data["column"] for r in after.metadata["offending_sample"].value.records]
    assert columns == ["commit_message"]
