-- One row: the CI / CD scopes the insights use (InsightsConfig; docs/insights.md, Configuration).
-- A var given with --vars wins; else the SEMAPHORE_INSIGHTS_* environment variable; '' = the default.
-- stale_secret_days: a secret not checked out for that many days is stale (stale_secrets); default 90.
{%- set s = {} -%}
{%- for name in ['ci_branch', 'ci_pipeline_file', 'cd_branch', 'cd_pipeline_file', 'cd_target'] -%}
    {%- do s.update({name: ((var(name, '') or env_var('SEMAPHORE_INSIGHTS_' ~ (name | upper), '')) | string | trim)}) -%}
{%- endfor %}
{%- set raw_stale = (var('stale_secret_days', '') or env_var('SEMAPHORE_INSIGHTS_STALE_SECRET_DAYS', '')) | string | trim or '90' %}
{%- if not (raw_stale is string and raw_stale.isdigit() and raw_stale | int > 0) %}
    {{- exceptions.raise_compiler_error("stale_secret_days must be a whole number of days > 0, got '" ~ raw_stale ~ "': set the dbt var stale_secret_days or SEMAPHORE_INSIGHTS_STALE_SECRET_DAYS") }}
{%- endif %}
SELECT CAST({{ sql_literal(s.ci_branch) }} AS {{ contract_type('text') }}) AS ci_branch,
       CAST({{ sql_literal(s.ci_pipeline_file or '.semaphore/semaphore.yml') }} AS {{ contract_type('text') }}) AS ci_pipeline_file,
       CAST({{ sql_literal(s.cd_branch) }} AS {{ contract_type('text') }}) AS cd_branch,
       CAST({{ sql_literal(s.cd_pipeline_file) }} AS {{ contract_type('text') }}) AS cd_pipeline_file,
       CAST({{ sql_literal(s.cd_target) }} AS {{ contract_type('text') }}) AS cd_target,
       CAST({{ raw_stale | int }} AS BIGINT) AS stale_secret_days
