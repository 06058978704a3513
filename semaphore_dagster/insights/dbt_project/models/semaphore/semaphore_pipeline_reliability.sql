{{ config(materialized='table') }}
-- semaphore_pipeline_reliability: Semaphore's pipeline reliability, per day, as its Insights compute it.
--
-- One row per (project_id, pipeline_file_name, branch_name, day) with runs (branch_name as in
--   semaphore_pipeline_performance: CI branch, CD branch, '' = all branches).
-- Over the valid runs left after dropping USER and STRATEGY stops: all_count = those runs;
--   passed_count = PASSED; failed_count = FAILED plus STOPPED (a timeout, a fast-failing, internal or
--   deleted stop is a failure). Semaphore's page shows pass rate = round(100 * passed_count / all_count).
SELECT project_id, pipeline_file_name, branch_key AS branch_name, day,
       count(*) FILTER (WHERE in_statistics) AS all_count,
       count(*) FILTER (WHERE in_statistics AND result = 'PASSED') AS passed_count,
       count(*) FILTER (WHERE in_statistics AND result IN ('FAILED', 'STOPPED')) AS failed_count
FROM {{ ref('semaphore_metric_runs') }}
WHERE outcome = 'ALL'
GROUP BY project_id, pipeline_file_name, branch_key, day
ORDER BY project_id, pipeline_file_name, branch_name, day
