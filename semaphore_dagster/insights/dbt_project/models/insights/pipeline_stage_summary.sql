-- pipeline_stage_summary: the stage split of pipeline_stages summarised per project, pipeline file and day.
--
-- One row per (project_id, pipeline_file, day, stage) with stage one of initialization, pending, queue,
-- run, total (the columns <stage>_s of pipeline_stages; day = UTC date of done_at, as performance: pipelines
-- not done yet are not summarised).
-- pipelines = pipelines with that stage measured (not NULL); mean_s = average; median_s and p95_s by
-- linear interpolation (quantile_cont); max_s = longest.
WITH long AS (
{%- for stage in ['initialization', 'pending', 'queue', 'run', 'total'] %}
    SELECT project_id, pipeline_file, day, '{{ stage }}' AS stage, {{ stage }}_s AS seconds
    FROM {{ ref('pipeline_stages') }} WHERE {{ stage }}_s IS NOT NULL AND day IS NOT NULL
    {{ "UNION ALL" if not loop.last }}
{%- endfor %}
)
SELECT project_id, pipeline_file, day, stage,
       count(*) AS pipelines,
       avg(seconds) AS mean_s,
       {{ median('seconds') }} AS median_s,
       {{ percentile_cont('seconds', 0.95) }} AS p95_s,
       max(seconds) AS max_s
FROM long
GROUP BY project_id, pipeline_file, day, stage
ORDER BY project_id, pipeline_file, day, stage
