-- pipeline_stage_summary: the stage split of pipeline_stages summarised per project, pipeline file and day.
--
-- One row per (project_id, pipeline_file, day, stage) with stage one of initialization, pending, queue,
-- run, total (the columns <stage>_s of pipeline_stages; day = UTC date of created_at).
-- pipelines = pipelines with that stage measured (not NULL); mean_s = average; median_s and p95_s by
-- linear interpolation (quantile_cont); max_s = longest.
WITH long AS (
    UNPIVOT (SELECT project_id, pipeline_file, day, initialization_s AS "initialization", pending_s AS "pending",
                    queue_s AS "queue", run_s AS "run", total_s AS "total"
             FROM semaphore_insights.pipeline_stages)
    ON "initialization", "pending", "queue", "run", "total"
    INTO NAME stage VALUE seconds
)
SELECT project_id, pipeline_file, day, stage,
       count(*) AS pipelines,
       avg(seconds) AS mean_s,
       quantile_cont(seconds, 0.5) AS median_s,
       quantile_cont(seconds, 0.95) AS p95_s,
       max(seconds) AS max_s
FROM long
GROUP BY project_id, pipeline_file, day, stage
ORDER BY project_id, pipeline_file, day, stage
