-- dora_summary: the four DORA keys per project and deployment target, over the observed window.
--
-- Built from dora_deployments (read its definitions). window_days = days from the first to the last UTC
-- day that has any pipeline created in the whole dataset, inclusive (at least 1).
-- deployments = every deployment; succeeded, failed = outcome SUCCEEDED / FAILED; rollbacks = rollback
--   deployments.
-- deployment_frequency_per_day = succeeded / window_days (per_week = x 7).
-- lead_time_median_s, lead_time_mean_s = over the lead_time_s of dora_deployments (SUCCEEDED, not
--   rollbacks: commit's first workflow -> deployed pipeline done).
-- change_failure_rate = change failures (FAILED, or rolled back by the next deployment) / deployments
--   with outcome SUCCEEDED or FAILED; between 0 and 1, NULL when there are none.
-- incidents = incident starts; restored = those restored; time_to_restore_median_s / _mean_s = over the
--   restored incidents (incident start triggered_at -> restoring deployment's pipeline done).
WITH win AS (
    SELECT greatest(coalesce(date_diff('day', min(utc_day(created_at)), max(utc_day(created_at))) + 1, 1), 1)
           AS window_days
    FROM src_pipelines
)
SELECT d.project_id, d.target_name,
       any_value(win.window_days) AS window_days,
       count(*) AS deployments,
       count(*) FILTER (WHERE outcome = 'SUCCEEDED') AS succeeded,
       count(*) FILTER (WHERE outcome = 'FAILED') AS failed,
       count(*) FILTER (WHERE rollback) AS rollbacks,
       (count(*) FILTER (WHERE outcome = 'SUCCEEDED'))::DOUBLE / any_value(win.window_days)
           AS deployment_frequency_per_day,
       7.0 * (count(*) FILTER (WHERE outcome = 'SUCCEEDED')) / any_value(win.window_days)
           AS deployment_frequency_per_week,
       quantile_cont(lead_time_s, 0.5) AS lead_time_median_s,
       avg(lead_time_s) AS lead_time_mean_s,
       count(*) FILTER (WHERE change_failure AND outcome IN ('SUCCEEDED', 'FAILED')) AS change_failures,
       CASE WHEN count(*) FILTER (WHERE outcome IN ('SUCCEEDED', 'FAILED')) > 0
            THEN (count(*) FILTER (WHERE change_failure AND outcome IN ('SUCCEEDED', 'FAILED')))::DOUBLE
                 / count(*) FILTER (WHERE outcome IN ('SUCCEEDED', 'FAILED'))
       END AS change_failure_rate,
       count(*) FILTER (WHERE incident_start) AS incidents,
       count(restore_s) AS restored,
       quantile_cont(restore_s, 0.5) AS time_to_restore_median_s,
       avg(restore_s) AS time_to_restore_mean_s
FROM semaphore_insights.dora_deployments d CROSS JOIN win
GROUP BY d.project_id, d.target_name
ORDER BY d.project_id, d.target_name
