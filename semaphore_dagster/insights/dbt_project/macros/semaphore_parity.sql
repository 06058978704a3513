{#- Semaphore's own arithmetic (its Insights service, Velocity), for the semaphore_* models
    (docs/insights.md, "Semaphore parity"). Written once for DuckDB and PostgreSQL alike. -#}

{#- Go's path.Join(a, b): empty elements ignored, then path.Clean (repeated slashes collapsed, `.` segments
    dropped, `x/..` resolved lexically, `..` at the root dropped; '' when both are empty). `x/..` pairs are
    resolved up to four levels deep (regular expressions without look-ahead, applied four times). -#}
{% macro go_path_join(a, b) -%}
{%- set joined -%}
(CASE WHEN coalesce({{ a }}, '') = '' THEN coalesce({{ b }}, '')
      WHEN coalesce({{ b }}, '') = '' THEN {{ a }}
      ELSE {{ a }} || '/' || {{ b }} END)
{%- endset -%}
{%- set seg = "([^./][^/]*|[.][^./][^/]*|[.][.][^/]+)" -%}
{%- set ns = namespace(t="regexp_replace(regexp_replace('/' || " ~ joined ~ " || '/', '/+', '/', 'g'), '/([.]/)+', '/', 'g')") -%}
{%- for _ in range(4) -%}
{%- set ns.t = "regexp_replace(" ~ ns.t ~ ", '/" ~ seg ~ "/[.][.]/', '/', 'g')" -%}
{%- endfor -%}
{%- set t = ns.t -%}
(CASE WHEN {{ joined }} = '' THEN ''
      ELSE (CASE WHEN {{ joined }} LIKE '/%'
                 THEN coalesce(nullif(rtrim(regexp_replace({{ t }}, '^/([.][.]/)+', '/'), '/'), ''), '/')
                 ELSE coalesce(nullif(trim(BOTH '/' FROM {{ t }}), ''), '.') END) END)
{%- endmacro %}

{#- Go's int32(d.Seconds()) of the duration from a to b: whole seconds, truncated toward zero. -#}
{% macro whole_seconds_between(a, b) -%}
CAST(trunc({{ seconds_between(a, b) }}) AS BIGINT)
{%- endmacro %}

{#- Go's integer division a / b (truncates toward zero), b > 0. -#}
{% macro go_int_div(a, b) -%}
CAST(trunc(CAST({{ a }} AS {{ double() }}) / ({{ b }})) AS BIGINT)
{%- endmacro %}

{#- A dbt var or its SEMAPHORE_INSIGHTS_* environment variable, trimmed; '' when neither is set. -#}
{% macro insights_setting(name) -%}
{{ return((var(name, '') or env_var('SEMAPHORE_INSIGHTS_' ~ (name | upper), '')) | string | trim) }}
{%- endmacro %}
