{{ config(meta={'dagster': {'ref': {'name': 'pipeline_performance'}}}) }}
-- Per outcome, the pipelines counted add up to the finished pipelines of the raw table with that result
-- (ALL: every finished pipeline).
{%- set done = "state = 'DONE' AND done_at IS NOT NULL AND created_at IS NOT NULL" %}
WITH ins AS (
    SELECT outcome, sum(pipelines) AS n FROM {{ ref('pipeline_performance') }} GROUP BY outcome
),
raw AS (
    SELECT 'ALL' AS outcome, count(*) AS n FROM {{ ref('stg_pipelines') }} WHERE {{ done }}
    UNION ALL
    SELECT result, count(*) FROM {{ ref('stg_pipelines') }}
    WHERE {{ done }} AND result IN ('PASSED', 'FAILED') GROUP BY result
)
SELECT coalesce(ins.outcome, raw.outcome) AS outcome, ins.n AS insight_count, raw.n AS raw_count
FROM ins FULL OUTER JOIN raw ON raw.outcome = ins.outcome
WHERE coalesce(ins.n, 0) <> coalesce(raw.n, 0)
