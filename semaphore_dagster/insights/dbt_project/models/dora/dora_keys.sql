{{ config(materialized='table') }}
-- dora_keys: the four DORA keys per deployment target and per project, recomputed from the rows.
--
-- level = 'target' (one row per project and target) or 'project' (target_name NULL: every target of the
--   project together; its medians are over the project's rows, never medians of the targets' medians).
-- window: from the UTC day of the first deployment (of the target, or of the project) to the last UTC day
--   the data reaches (the latest pipeline created_at/done_at or deployment triggered_at loaded), inclusive.
-- deployments = every deployment; succeeded = SUCCEEDED ones (rollbacks included: they are deploys);
--   failed_deployments = FAILED ones (the deploy pipeline failed; apart from change failures);
--   rollbacks = is_rollback ones.
-- deployment_frequency_per_day = succeeded / window_days (per_week = x 7).
-- changes = dora_changes rows; push_to_deploy_median_seconds (first) and _mean_seconds over their
--   positive push_to_deploy_seconds (median: linear interpolation between closest ranks).
-- change_failures = is_change_failure deployments; change_failure_rate = change_failures / (succeeded -
--   rollbacks): rollbacks are out of the denominator, failed deployments too.
-- recoveries = change failures restored; failed_deployment_recovery_median_seconds / _mean_seconds over
--   their recovery_seconds (change failure live -> rollback live).
WITH data_end AS (
    SELECT max(d) AS last_day FROM (
        SELECT max({{ utc_day('created_at') }}) AS d FROM {{ ref('stg_pipelines') }}
        UNION ALL SELECT max({{ utc_day('done_at') }}) FROM {{ ref('stg_pipelines') }}
        UNION ALL SELECT max({{ utc_day('triggered_at') }}) FROM {{ ref('stg_deployments') }}
    ) days
),
dep AS (
    SELECT 'target' AS level, project_id, target_name, deployment_id, triggered_at, outcome, is_rollback,
           is_change_failure, recovery_seconds
    FROM {{ ref('dora_deploys') }}
    UNION ALL
    SELECT 'project', project_id, NULL, deployment_id, triggered_at, outcome, is_rollback,
           is_change_failure, recovery_seconds
    FROM {{ ref('dora_deploys') }}
),
chg AS (
    SELECT 'target' AS level, project_id, target_name, push_to_deploy_seconds FROM {{ ref('dora_changes') }}
    UNION ALL
    SELECT 'project', project_id, NULL, push_to_deploy_seconds FROM {{ ref('dora_changes') }}
),
dep_keys AS (
    SELECT level, project_id, target_name,
           min({{ utc_day('triggered_at') }}) AS window_start,
           count(*) AS deployments,
           count(*) FILTER (WHERE outcome = 'SUCCEEDED') AS succeeded,
           count(*) FILTER (WHERE outcome = 'FAILED') AS failed_deployments,
           count(*) FILTER (WHERE is_rollback) AS rollbacks,
           count(*) FILTER (WHERE is_change_failure) AS change_failures,
           count(recovery_seconds) AS recoveries,
           {{ median('recovery_seconds') }} AS failed_deployment_recovery_median_seconds,
           avg(recovery_seconds) AS failed_deployment_recovery_mean_seconds
    FROM dep
    GROUP BY level, project_id, target_name
),
chg_keys AS (
    SELECT level, project_id, target_name, count(*) AS changes,
           {{ median('push_to_deploy_seconds') }} AS push_to_deploy_median_seconds,
           avg(push_to_deploy_seconds) AS push_to_deploy_mean_seconds
    FROM chg
    GROUP BY level, project_id, target_name
)
SELECT k.level, k.project_id, k.target_name, k.window_start, e.last_day AS window_end,
       CAST(e.last_day - k.window_start + 1 AS BIGINT) AS window_days,
       k.deployments, k.succeeded, k.failed_deployments, k.rollbacks,
       CAST(k.succeeded AS {{ double() }}) / (e.last_day - k.window_start + 1) AS deployment_frequency_per_day,
       7.0 * k.succeeded / (e.last_day - k.window_start + 1) AS deployment_frequency_per_week,
       coalesce(c.changes, 0) AS changes,
       c.push_to_deploy_median_seconds, c.push_to_deploy_mean_seconds,
       k.change_failures,
       CASE WHEN k.succeeded - k.rollbacks > 0
            THEN CAST(k.change_failures AS {{ double() }}) / (k.succeeded - k.rollbacks) END AS change_failure_rate,
       k.recoveries, k.failed_deployment_recovery_median_seconds, k.failed_deployment_recovery_mean_seconds
FROM dep_keys k
CROSS JOIN data_end e
LEFT JOIN chg_keys c ON c.level = k.level AND c.project_id = k.project_id
 AND coalesce(c.target_name, '') = coalesce(k.target_name, '')
ORDER BY k.project_id, k.level DESC, k.target_name
