{#- mttr.sql: two rows belong to the same scope (NULL branch / file / target compare equal). -#}
{%- macro mttr_same_scope(a, b) -%}
    {{ a }}.project_id = {{ b }}.project_id AND {{ a }}.scope = {{ b }}.scope
    AND {{ a }}.scope_branch IS NOT DISTINCT FROM {{ b }}.scope_branch
    AND {{ a }}.scope_file IS NOT DISTINCT FROM {{ b }}.scope_file
    AND {{ a }}.target_name IS NOT DISTINCT FROM {{ b }}.target_name
{%- endmacro %}
