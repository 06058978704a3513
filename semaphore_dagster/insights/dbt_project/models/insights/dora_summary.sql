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
{%- set decided = "outcome IN ('SUCCEEDED', 'FAILED')" %}
WITH win AS (
    SELECT greatest(coalesce({{ dbt.datediff('min(' ~ utc_day('created_at') ~ ')', 'max(' ~ utc_day('created_at') ~ ')', 'day') }} + 1, 1), 1)
           AS window_days
    FROM {{ ref('stg_pipelines') }}
)
SELECT d.project_id, d.target_name,
       max(win.window_days) AS window_days,
       count(*) AS deployments,
       count(*) FILTER (WHERE outcome = 'SUCCEEDED') AS succeeded,
       count(*) FILTER (WHERE outcome = 'FAILED') AS failed,
       count(*) FILTER (WHERE rollback) AS rollbacks,
       CAST(count(*) FILTER (WHERE outcome = 'SUCCEEDED') AS {{ double() }}) / max(win.window_days)
           AS deployment_frequency_per_day,
       7.0 * CAST(count(*) FILTER (WHERE outcome = 'SUCCEEDED') AS {{ double() }}) / max(win.window_days)
           AS deployment_frequency_per_week,
       {{ median('lead_time_s') }} AS lead_time_median_s,
       avg(lead_time_s) AS lead_time_mean_s,
       count(*) FILTER (WHERE change_failure AND {{ decided }}) AS change_failures,
       CASE WHEN count(*) FILTER (WHERE {{ decided }}) > 0
            THEN CAST(count(*) FILTER (WHERE change_failure AND {{ decided }}) AS {{ double() }})
                 / count(*) FILTER (WHERE {{ decided }})
       END AS change_failure_rate,
       count(*) FILTER (WHERE incident_start) AS incidents,
       count(restore_s) AS restored,
       {{ median('restore_s') }} AS time_to_restore_median_s,
       avg(restore_s) AS time_to_restore_mean_s
FROM {{ ref('dora_deployments') }} d CROSS JOIN win
GROUP BY d.project_id, d.target_name
ORDER BY d.project_id, d.target_name
