-- pipeline_reliability: how often finished pipelines pass, per project, pipeline file, branch and day.
--
-- One row per (project_id, pipeline_file, branch_name, day).
-- Pipelines counted: state DONE with done_at set; day = the UTC date of done_at.
-- all_count = every finished pipeline; passed_count, failed_count, stopped_count, canceled_count = those
--   with result PASSED, FAILED, STOPPED, CANCELED (kept apart: a stopped or canceled pipeline is neither a
--   pass nor a failure).
-- pass_rate = passed_count / (passed_count + failed_count), between 0 and 1; NULL when the day has no
--   passed or failed pipeline. Stopped and canceled pipelines are out of the rate.
SELECT project_id, pipeline_file, branch_name, {{ utc_day('done_at') }} AS day,
       count(*) AS all_count,
       count(*) FILTER (WHERE result = 'PASSED') AS passed_count,
       count(*) FILTER (WHERE result = 'FAILED') AS failed_count,
       count(*) FILTER (WHERE result = 'STOPPED') AS stopped_count,
       count(*) FILTER (WHERE result = 'CANCELED') AS canceled_count,
       CASE WHEN count(*) FILTER (WHERE result IN ('PASSED', 'FAILED')) > 0
            THEN CAST(count(*) FILTER (WHERE result = 'PASSED') AS {{ double() }})
                 / count(*) FILTER (WHERE result IN ('PASSED', 'FAILED'))
       END AS pass_rate
FROM {{ ref('stg_pipelines') }}
WHERE state = 'DONE' AND done_at IS NOT NULL
GROUP BY project_id, pipeline_file, branch_name, {{ utc_day('done_at') }}
ORDER BY project_id, pipeline_file, branch_name, day
