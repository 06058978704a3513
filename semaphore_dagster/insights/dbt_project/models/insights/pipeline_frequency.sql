-- pipeline_frequency: how many pipelines start, per project, pipeline file, branch and day.
--
-- One row per (project_id, pipeline_file, branch_name, day).
-- pipelines = every pipeline created that UTC day (by created_at), whatever its state or result, promoted
--   and re-run pipelines included; done_count = those of them already DONE.
SELECT project_id, pipeline_file, branch_name, {{ utc_day('created_at') }} AS day,
       count(*) AS pipelines,
       count(*) FILTER (WHERE state = 'DONE') AS done_count
FROM {{ ref('stg_pipelines') }}
WHERE created_at IS NOT NULL
GROUP BY project_id, pipeline_file, branch_name, {{ utc_day('created_at') }}
ORDER BY project_id, pipeline_file, branch_name, day
