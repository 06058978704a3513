{#- Where DuckDB and PostgreSQL differ: one macro each, dispatched on the adapter (duckdb__ / postgres__).
    dbt-core's cross-database macros (dbt.datediff, dbt.type_*, ...) cover the rest. -#}

{#- Seconds from timestamp a to timestamp b, as a double (NULL when either is NULL). -#}
{% macro seconds_between(a, b) %}{{ return(adapter.dispatch('seconds_between', 'semaphore_insights')(a, b)) }}{% endmacro %}
{% macro duckdb__seconds_between(a, b) %}(CAST(epoch_us({{ b }}) - epoch_us({{ a }}) AS DOUBLE) / 1e6){% endmacro %}
{% macro postgres__seconds_between(a, b) %}CAST(EXTRACT(EPOCH FROM ({{ b }}) - ({{ a }})) AS DOUBLE PRECISION){% endmacro %}

{#- Seconds since the Unix epoch of a timestamp, as a double. -#}
{% macro epoch_seconds(ts) %}{{ return(adapter.dispatch('epoch_seconds', 'semaphore_insights')(ts)) }}{% endmacro %}
{% macro duckdb__epoch_seconds(ts) %}(CAST(epoch_us({{ ts }}) AS DOUBLE) / 1e6){% endmacro %}
{% macro postgres__epoch_seconds(ts) %}CAST(EXTRACT(EPOCH FROM {{ ts }}) AS DOUBLE PRECISION){% endmacro %}

{#- The UTC calendar date of a timestamp with time zone (whatever the session time zone). -#}
{% macro utc_day(ts) %}{{ return(adapter.dispatch('utc_day', 'semaphore_insights')(ts)) }}{% endmacro %}
{% macro default__utc_day(ts) %}CAST(({{ ts }}) AT TIME ZONE 'UTC' AS DATE){% endmacro %}

{#- The instant a UTC day starts (a timestamp with time zone). -#}
{% macro day_start(day) %}{{ return(adapter.dispatch('day_start', 'semaphore_insights')(day)) }}{% endmacro %}
{% macro default__day_start(day) %}(CAST({{ day }} AS TIMESTAMP) AT TIME ZONE 'UTC'){% endmacro %}

{#- Percentile by linear interpolation between closest ranks (numpy's default), as an aggregate. -#}
{% macro percentile_cont(expr, fraction) %}{{ return(adapter.dispatch('percentile_cont', 'semaphore_insights')(expr, fraction)) }}{% endmacro %}
{% macro duckdb__percentile_cont(expr, fraction) %}quantile_cont({{ expr }}, {{ fraction }}){% endmacro %}
{% macro postgres__percentile_cont(expr, fraction) %}CAST(percentile_cont({{ fraction }}) WITHIN GROUP (ORDER BY {{ expr }}) AS DOUBLE PRECISION){% endmacro %}

{% macro median(expr) %}{{ return(semaphore_insights.percentile_cont(expr, 0.5)) }}{% endmacro %}

{#- The value of `expr` on the row with the greatest `order_by` (a sort key, or a list of them compared
    left to right), as an aggregate over the rows matching `where` (all when none). -#}
{% macro arg_max(expr, order_by, where=none) %}{{ return(adapter.dispatch('arg_max', 'semaphore_insights')(expr, order_by, where, 'DESC')) }}{% endmacro %}
{#- Likewise on the row with the least `order_by`. -#}
{% macro arg_min(expr, order_by, where=none) %}{{ return(adapter.dispatch('arg_max', 'semaphore_insights')(expr, order_by, where, 'ASC')) }}{% endmacro %}
{% macro _sort_keys(order_by) %}{{ return([order_by] if order_by is string else order_by) }}{% endmacro %}
{% macro duckdb__arg_max(expr, order_by, where, direction) -%}
{{ 'arg_max' if direction == 'DESC' else 'arg_min' }}({{ expr }}, ({{ semaphore_insights._sort_keys(order_by) | join(', ') }})){% if where %} FILTER (WHERE {{ where }}){% endif %}
{%- endmacro %}
{% macro postgres__arg_max(expr, order_by, where, direction) -%}
(array_agg({{ expr }} ORDER BY {% for key in semaphore_insights._sort_keys(order_by) %}{{ key }} {{ direction }} NULLS LAST{{ ", " if not loop.last }}{% endfor %}){% if where %} FILTER (WHERE {{ where }}){% endif %})[1]
{%- endmacro %}

{#- A subquery yielding one row per UTC date from date `lo` to date `hi` inclusive (column `day`), for a
    LATERAL join. -#}
{% macro days_between(lo, hi) %}{{ return(adapter.dispatch('days_between', 'semaphore_insights')(lo, hi)) }}{% endmacro %}
{% macro duckdb__days_between(lo, hi) %}(SELECT CAST(unnest(generate_series(CAST({{ lo }} AS DATE), CAST({{ hi }} AS DATE), INTERVAL 1 DAY)) AS DATE) AS day){% endmacro %}
{% macro postgres__days_between(lo, hi) %}(SELECT CAST(generate_series(CAST({{ lo }} AS TIMESTAMP), CAST({{ hi }} AS TIMESTAMP), INTERVAL '1 day') AS DATE) AS day){% endmacro %}

{#- A cast that yields NULL instead of failing on a value that does not convert (DuckDB); PostgreSQL has
    no TRY_CAST, and dlt already typed the column, so a plain cast. -#}
{% macro safe_cast(expr, type) %}{{ return(adapter.dispatch('safe_cast', 'semaphore_insights')(expr, type)) }}{% endmacro %}
{% macro duckdb__safe_cast(expr, type) %}TRY_CAST({{ expr }} AS {{ type }}){% endmacro %}
{% macro postgres__safe_cast(expr, type) %}CAST({{ expr }} AS {{ type }}){% endmacro %}

{#- The SQL type of a contract column kind (semaphore_dagster/semaphore/endpoints.py: text, bool, bigint,
    timestamp, json). JSON is read as text: the insights never look inside it. -#}
{% macro contract_type(kind) %}{{ return(adapter.dispatch('contract_type', 'semaphore_insights')(kind)) }}{% endmacro %}
{% macro duckdb__contract_type(kind) -%}
{{ {'text': 'VARCHAR', 'bool': 'BOOLEAN', 'bigint': 'BIGINT', 'timestamp': 'TIMESTAMPTZ', 'json': 'VARCHAR', 'double': 'DOUBLE'}[kind] }}
{%- endmacro %}
{% macro postgres__contract_type(kind) -%}
{{ {'text': 'TEXT', 'bool': 'BOOLEAN', 'bigint': 'BIGINT', 'timestamp': 'TIMESTAMPTZ', 'json': 'TEXT', 'double': 'DOUBLE PRECISION'}[kind] }}
{%- endmacro %}

{#- A double-precision float (counts divided by counts must not be integer division). -#}
{% macro double() %}{{ return(semaphore_insights.contract_type('double')) }}{% endmacro %}

{#- A SQL string literal (or NULL for none / empty). -#}
{% macro sql_literal(value) -%}
{%- if value is none or value == '' -%}NULL{%- else -%}'{{ value | replace("'", "''") }}'{%- endif -%}
{%- endmacro %}

{#- The Monday (UTC) of the ISO week a timestamp falls in, as a date. -#}
{% macro utc_week(ts) %}CAST(date_trunc('week', CAST({{ semaphore_insights.utc_day(ts) }} AS TIMESTAMP)) AS DATE){% endmacro %}

{#- JSON read from a text column (the staging views read JSON columns as text). A path is a list of object
    keys, e.g. ['filter', 'projects']. -#}

{#- A subquery yielding one row per element of the JSON array `expr` (columns `idx`, 0-based, and `value`, a
    JSON value), for a LATERAL join; nothing for NULL or a non-array. -#}
{% macro json_items(expr) %}{{ return(adapter.dispatch('json_items', 'semaphore_insights')(expr)) }}{% endmacro %}
{% macro duckdb__json_items(expr) -%}
(SELECT unnest(json_extract(CAST({{ expr }} AS JSON), '$[*]')) AS value,
        unnest(range(CAST(coalesce(json_array_length(CAST({{ expr }} AS JSON)), 0) AS BIGINT))) AS idx)
{%- endmacro %}
{% macro postgres__json_items(expr) -%}
(SELECT CAST(e.ordinality - 1 AS BIGINT) AS idx, e.value
 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(CAST({{ expr }} AS jsonb)) = 'array' THEN CAST({{ expr }} AS jsonb)
                                ELSE CAST('[]' AS jsonb) END) WITH ORDINALITY AS e(value, ordinality))
{%- endmacro %}

{#- A subquery yielding one row (column `value`, text) per string of the JSON array at `path` in `expr`, for a
    LATERAL join; nothing when the path is missing or not an array. -#}
{% macro json_strings(expr, path) %}{{ return(adapter.dispatch('json_strings', 'semaphore_insights')(expr, path)) }}{% endmacro %}
{% macro duckdb__json_strings(expr, path) -%}
(SELECT unnest(json_extract_string(CAST({{ expr }} AS JSON), '$.{{ path | join(".") }}[*]')) AS value)
{%- endmacro %}
{% macro postgres__json_strings(expr, path) -%}
(SELECT e.value FROM jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(CAST({{ expr }} AS jsonb) #> '{ {{- path | join(",") -}} }') = 'array'
         THEN CAST({{ expr }} AS jsonb) #> '{ {{- path | join(",") -}} }' ELSE CAST('[]' AS jsonb) END) AS e(value))
{%- endmacro %}

{#- The text at `path` in the JSON `expr` (NULL when missing or JSON null). -#}
{% macro json_text(expr, path) %}{{ return(adapter.dispatch('json_text', 'semaphore_insights')(expr, path)) }}{% endmacro %}
{% macro duckdb__json_text(expr, path) %}json_extract_string(CAST({{ expr }} AS JSON), '$.{{ path | join(".") }}'){% endmacro %}
{% macro postgres__json_text(expr, path) %}(CAST({{ expr }} AS jsonb) #>> '{ {{- path | join(",") -}} }'){% endmacro %}

{#- The value at `path` in the JSON `expr` is an object (not missing, not null). -#}
{% macro json_is_object(expr, path) %}{{ return(adapter.dispatch('json_is_object', 'semaphore_insights')(expr, path)) }}{% endmacro %}
{% macro duckdb__json_is_object(expr, path) %}coalesce(json_type(json_extract(CAST({{ expr }} AS JSON), '$.{{ path | join(".") }}')) = 'OBJECT', false){% endmacro %}
{% macro postgres__json_is_object(expr, path) %}coalesce(jsonb_typeof(CAST({{ expr }} AS jsonb) #> '{ {{- path | join(",") -}} }') = 'object', false){% endmacro %}

{#- `value` contains a match of the regular expression `pattern` (unanchored, case-sensitive, as
    PostgreSQL's `~`). On DuckDB a pattern its engine cannot compile matches nothing. -#}
{% macro regex_search(value, pattern) %}{{ return(adapter.dispatch('regex_search', 'semaphore_insights')(value, pattern)) }}{% endmacro %}
{% macro duckdb__regex_search(value, pattern) %}coalesce(TRY(regexp_matches({{ value }}, {{ pattern }})), false){% endmacro %}
{% macro postgres__regex_search(value, pattern) %}coalesce(({{ value }}) ~ ({{ pattern }}), false){% endmacro %}
