-- pipeline_performance: how long finished pipelines take, per project, pipeline file, branch and day.
--
-- One row per (project_id, pipeline_file, branch_name, day, outcome).
-- Pipelines counted: state DONE with created_at and done_at set.
-- duration_s = done_at - created_at in seconds (wall clock from creation to the end: initialization,
--   queueing and running; see pipeline_stages for the split).
-- day = the UTC date of done_at.
-- outcome: ALL = every finished pipeline whatever its result (PASSED, FAILED, STOPPED, CANCELED);
--   PASSED and FAILED = only pipelines with that result (no row when there are none).
-- pipelines = count; mean_s = average; median_s = 50th percentile and p95_s = 95th percentile, both by
--   linear interpolation between closest ranks (quantile_cont); min_s, max_s; stddev_s = population
--   standard deviation (0 for a single pipeline).
WITH done AS (
    SELECT project_id, pipeline_file, branch_name, {{ utc_day('done_at') }} AS day, result,
           {{ seconds_between('created_at', 'done_at') }} AS duration_s
    FROM {{ ref('stg_pipelines') }}
    WHERE state = 'DONE' AND created_at IS NOT NULL AND done_at IS NOT NULL
),
tagged AS (
    SELECT project_id, pipeline_file, branch_name, day, duration_s, 'ALL' AS outcome FROM done
    UNION ALL
    SELECT project_id, pipeline_file, branch_name, day, duration_s, result AS outcome FROM done
    WHERE result IN ('PASSED', 'FAILED')
)
SELECT project_id, pipeline_file, branch_name, day, outcome,
       count(*) AS pipelines,
       avg(duration_s) AS mean_s,
       {{ median('duration_s') }} AS median_s,
       min(duration_s) AS min_s,
       max(duration_s) AS max_s,
       stddev_pop(duration_s) AS stddev_s,
       {{ percentile_cont('duration_s', 0.95) }} AS p95_s
FROM tagged
GROUP BY project_id, pipeline_file, branch_name, day, outcome
ORDER BY project_id, pipeline_file, branch_name, day, outcome
