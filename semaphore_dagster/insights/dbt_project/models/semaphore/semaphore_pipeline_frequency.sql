{{ config(materialized='table') }}
-- semaphore_pipeline_frequency: Semaphore's pipeline frequency, per day, as its Insights compute it.
--
-- One row per (project_id, pipeline_file_name, branch_name, day) with runs (branch_name as in
--   semaphore_pipeline_performance). all_count = valid runs finished that UTC day (by done_at), USER and
--   STRATEGY stops included; canceled, malformed and never-started pipelines are not runs.
SELECT project_id, pipeline_file_name, branch_key AS branch_name, day, count(*) AS all_count
FROM {{ ref('semaphore_metric_runs') }}
WHERE outcome = 'ALL'
GROUP BY project_id, pipeline_file_name, branch_key, day
ORDER BY project_id, pipeline_file_name, branch_name, day
