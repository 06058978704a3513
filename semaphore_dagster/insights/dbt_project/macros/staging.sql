{#- Typed, always-present reads of the loaded tables, for the staging models.

    dlt creates a table only once a load brings rows for it, and a column only once some row has a value
    for it (docs/insights.md, "Missing tables and columns"). `staged_source(table)` selects exactly the
    contract columns of `table` (the column list and kinds of models/sources.yml, generated from
    semaphore_dagster/semaphore/endpoints.py), cast to their type, NULL for a column the table lacks; a
    missing table reads as empty. Only rows of completed loads are visible:
    `_dlt_load_id IN (SELECT load_id FROM _dlt_loads WHERE status = 0)` (docs/source.md); without
    `_dlt_loads` there is no completed load yet, so nothing. The source sets
    `normalize.parquet_normalizer.add_dlt_load_id` so Arrow-loaded tables (job_log_events) carry it too; a NULL
    `_dlt_load_id` is a row written before its table had the column, and is visible. A table without the column
    (written by an older version) cannot be
    filtered: it is read whole.

    `overrides` maps a column to an SQL expression over the typed columns (e.g. a derived fallback). -#}
{% macro staged_source(table, overrides={}) %}
{%- set src = source('semaphore', table) -%}
{%- set loads = source('semaphore', '_dlt_loads') -%}
{%- set columns = semaphore_insights.contract_columns(table) -%}
{%- set present = [] -%}
{%- set readable = false -%}
{%- set filtered = false -%}
{%- if execute -%}
    {%- set rel = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) -%}
    {%- set loads_rel = adapter.get_relation(database=loads.database, schema=loads.schema, identifier=loads.identifier) -%}
    {%- if rel is not none -%}
        {%- for col in adapter.get_columns_in_relation(rel) -%}{%- do present.append(col.name | lower) -%}{%- endfor -%}
    {%- endif -%}
    {%- set has_load_id = '_dlt_load_id' in present -%}
    {%- set readable = rel is not none and (loads_rel is not none or not has_load_id) -%}
    {%- set filtered = readable and has_load_id -%}
{%- endif -%}
SELECT
{%- for name, kind in columns %}
    {% if name in overrides %}{{ overrides[name] }}{% else %}{{ adapter.quote(name) }}{% endif %} AS {{ adapter.quote(name) }},
{%- endfor %}
    _dlt_load_id
FROM (
    SELECT
    {%- for name, kind in columns %}
        {% if readable and name in present -%}
        {{ semaphore_insights.safe_cast(adapter.quote(name), semaphore_insights.contract_type(kind)) }}
        {%- else -%}
        CAST(NULL AS {{ semaphore_insights.contract_type(kind) }})
        {%- endif %} AS {{ adapter.quote(name) }},
    {%- endfor %}
        {% if filtered %}CAST(_dlt_load_id AS {{ semaphore_insights.contract_type('text') }}){% else %}CAST(NULL AS {{ semaphore_insights.contract_type('text') }}){% endif %} AS _dlt_load_id
    {% if filtered -%}
    FROM {{ src }}
    WHERE _dlt_load_id IS NULL OR _dlt_load_id IN (SELECT load_id FROM {{ loads }} WHERE status = 0)
    {%- elif readable -%}
    FROM {{ src }}  -- no _dlt_load_id column: read whole
    {%- else -%}
    WHERE 1 = 0  -- {{ src.identifier }} {{ 'has no rows of a completed load yet' }}
    {%- endif %}
) typed
{% endmacro %}

{#- [(column, kind)] of a source table, from models/sources.yml (empty while parsing). -#}
{% macro contract_columns(table) %}
{%- set found = [] -%}
{%- if execute -%}
    {%- set node = graph.sources.get('source.semaphore_insights.semaphore.' ~ table) -%}
    {%- if node is none -%}{{ exceptions.raise_compiler_error("no source semaphore." ~ table ~ " in models/sources.yml") }}{%- endif -%}
    {%- for name, col in node.columns.items() -%}{%- do found.append((name, col.data_type)) -%}{%- endfor -%}
{%- endif -%}
{{ return(found) }}
{% endmacro %}
