{#- Generic tests of the insight tables (each returns the offending rows; none = passed). -#}

{#- No negative value: a negative duration means timestamps out of order. -#}
{% test non_negative(model, column_name) %}
SELECT * FROM {{ model }} WHERE {{ column_name }} < 0
{% endtest %}

{#- A rate lies between 0 and 1 (or is NULL). -#}
{% test rate_within_0_1(model, column_name) %}
SELECT * FROM {{ model }} WHERE {{ column_name }} < 0 OR {{ column_name }} > 1
{% endtest %}

{#- On every row, `total` <op> the sum of `parts` (op '=' or '>='). -#}
{% test counts_add_up(model, total, parts, op='=') %}
{%- if op not in ('=', '>=') %}{{ exceptions.raise_compiler_error("counts_add_up: op must be '=' or '>='") }}{% endif %}
SELECT * FROM {{ model }}
WHERE NOT ({{ total }} {{ op }} {% for p in parts %}{{ p }}{{ " + " if not loop.last }}{% endfor %})
{% endtest %}

{#- sum(`column_name`) (or `insight_expr`) over the model equals `compare_expr` over `compare_model` (rows matching
    `compare_where`): nothing lost, nothing counted twice. -#}
{% test totals_match(model, column_name, compare_model, compare_expr='count(*)', compare_where=none, insight_expr=none) %}
SELECT insight_total, compared_total
FROM (SELECT {{ insight_expr or ('coalesce(sum(' ~ column_name ~ '), 0)') }} AS insight_total FROM {{ model }}) i
CROSS JOIN (SELECT {{ compare_expr }} AS compared_total FROM {{ compare_model }}
            {% if compare_where %}WHERE {{ compare_where }}{% endif %}) c
WHERE insight_total <> compared_total
{% endtest %}

{#- No two rows share the values of `columns` (a composite key). -#}
{% test unique_together(model, columns) %}
SELECT {{ columns | join(', ') }}, count(*) AS n FROM {{ model }}
GROUP BY {{ columns | join(', ') }} HAVING count(*) > 1
{% endtest %}
