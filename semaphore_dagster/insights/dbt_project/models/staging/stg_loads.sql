-- The completed dlt loads (status 0) and when they were stored; no rows before the first load.
{%- set loads = source('semaphore', '_dlt_loads') %}
{%- set rel = adapter.get_relation(database=loads.database, schema=loads.schema, identifier=loads.identifier) if execute else none %}
{%- if rel is not none %}
SELECT CAST(load_id AS {{ contract_type('text') }}) AS load_id,
       CAST(inserted_at AS {{ contract_type('timestamp') }}) AS inserted_at
FROM {{ loads }}
WHERE status = 0
{%- else %}
SELECT CAST(NULL AS {{ contract_type('text') }}) AS load_id, CAST(NULL AS {{ contract_type('timestamp') }}) AS inserted_at
WHERE 1 = 0
{%- endif %}
