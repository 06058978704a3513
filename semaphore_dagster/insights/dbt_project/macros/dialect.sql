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
