-- One row: the CI / CD scopes the insights use (InsightsConfig; docs/insights.md, Configuration).
-- A var given with --vars wins; else the SEMAPHORE_INSIGHTS_* environment variable; '' = the default.
{%- set s = {} -%}
{%- for name in ['ci_branch', 'ci_pipeline_file', 'cd_branch', 'cd_pipeline_file', 'cd_target'] -%}
    {%- do s.update({name: ((var(name, '') or env_var('SEMAPHORE_INSIGHTS_' ~ (name | upper), '')) | string | trim)}) -%}
{%- endfor %}
SELECT CAST({{ sql_literal(s.ci_branch) }} AS {{ contract_type('text') }}) AS ci_branch,
       CAST({{ sql_literal(s.ci_pipeline_file or '.semaphore/semaphore.yml') }} AS {{ contract_type('text') }}) AS ci_pipeline_file,
       CAST({{ sql_literal(s.cd_branch) }} AS {{ contract_type('text') }}) AS cd_branch,
       CAST({{ sql_literal(s.cd_pipeline_file) }} AS {{ contract_type('text') }}) AS cd_pipeline_file,
       CAST({{ sql_literal(s.cd_target) }} AS {{ contract_type('text') }}) AS cd_target
