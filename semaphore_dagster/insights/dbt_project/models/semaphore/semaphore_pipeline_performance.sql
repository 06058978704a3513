{{ config(materialized='table') }}
-- semaphore_pipeline_performance: Semaphore's pipeline performance, per day, as its Insights compute it.
--
-- One row per (project_id, pipeline_file_name, branch_name, day, outcome) with runs, for branch_name
--   = the CI branch, the CD branch and '' (all branches) (semaphore_metric_runs). Semaphore computes a day
--   once it is over: today's row is not in Semaphore yet.
-- outcome: all | passed | failed (the API's lists; passed/failed rows exist for every day that has runs,
--   with count 0 when none had that result).
-- count = valid runs (USER/STRATEGY stops included); the statistics are over duration_seconds (run time,
--   whole seconds) of the runs left after dropping USER and STRATEGY stops, 0 when none is left:
--   mean_seconds = sum / n truncated; median_seconds = the middle value, or the truncated mean of the two
--   middle ones; p95_seconds = nearest rank, the value at rank ceil(0.95 n) (the maximum below 20 runs);
--   min_seconds, max_seconds; std_dev_seconds = population standard deviation, truncated.
-- Percentiles are computed from the runs of the day, never from other rows.
WITH days AS (
    SELECT DISTINCT project_id, pipeline_file_name, branch_key, day FROM {{ ref('semaphore_metric_runs') }}
),
groups AS (
    SELECT d.project_id, d.pipeline_file_name, d.branch_key, d.day, o.outcome
    FROM days d
    CROSS JOIN (SELECT 'ALL' AS outcome UNION ALL SELECT 'PASSED' UNION ALL SELECT 'FAILED') o
),
counted AS (
    SELECT project_id, pipeline_file_name, branch_key, day, outcome, count(*) AS n_all
    FROM {{ ref('semaphore_metric_runs') }}
    GROUP BY project_id, pipeline_file_name, branch_key, day, outcome
),
ranked AS (
    SELECT project_id, pipeline_file_name, branch_key, day, outcome, duration_seconds,
           row_number() OVER w AS rn,
           count(*) OVER (PARTITION BY project_id, pipeline_file_name, branch_key, day, outcome) AS n,
           avg(CAST(duration_seconds AS {{ double() }})) OVER (PARTITION BY project_id, pipeline_file_name, branch_key, day, outcome) AS avg_s
    FROM {{ ref('semaphore_metric_runs') }}
    WHERE in_statistics
    WINDOW w AS (PARTITION BY project_id, pipeline_file_name, branch_key, day, outcome ORDER BY duration_seconds)
),
stats AS (
    SELECT project_id, pipeline_file_name, branch_key, day, outcome,
           max(n) AS n,
           {{ go_int_div('sum(duration_seconds)', 'max(n)') }} AS mean_seconds,
           CASE WHEN max(n) % 2 = 1
                THEN max(CASE WHEN rn = (n + 1) / 2 THEN duration_seconds END)
                ELSE {{ go_int_div('sum(CASE WHEN rn = n / 2 OR rn = n / 2 + 1 THEN duration_seconds END)', '2') }}
           END AS median_seconds,
           min(duration_seconds) AS min_seconds,
           max(duration_seconds) AS max_seconds,
           CAST(trunc(sqrt(sum((duration_seconds - avg_s) * (duration_seconds - avg_s)) / max(n))) AS BIGINT) AS std_dev_seconds,
           max(CASE WHEN rn = CAST(ceil(n * 0.95) AS BIGINT) THEN duration_seconds END) AS p95_seconds
    FROM ranked
    GROUP BY project_id, pipeline_file_name, branch_key, day, outcome
)
SELECT g.project_id, g.pipeline_file_name, g.branch_key AS branch_name, g.day, lower(g.outcome) AS outcome,
       coalesce(c.n_all, 0) AS count,
       coalesce(s.mean_seconds, 0) AS mean_seconds,
       coalesce(s.median_seconds, 0) AS median_seconds,
       coalesce(s.min_seconds, 0) AS min_seconds,
       coalesce(s.max_seconds, 0) AS max_seconds,
       coalesce(s.std_dev_seconds, 0) AS std_dev_seconds,
       coalesce(s.p95_seconds, 0) AS p95_seconds
FROM groups g
LEFT JOIN counted c USING (project_id, pipeline_file_name, branch_key, day, outcome)
LEFT JOIN stats s USING (project_id, pipeline_file_name, branch_key, day, outcome)
ORDER BY g.project_id, g.pipeline_file_name, branch_name, g.day, outcome
