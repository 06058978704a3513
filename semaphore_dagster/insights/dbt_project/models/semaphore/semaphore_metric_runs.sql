{{ config(materialized='table') }}
-- semaphore_metric_runs: the valid runs under each branch key Semaphore computes daily metrics for.
--
-- One row per (run, branch_key): branch_key = the project's CI branch and CD branch
--   (semaphore_metric_scopes) when the run is on it, and '' (all branches) for every run. A CI branch equal
--   to the CD branch is one key. outcome ALL for every run, and PASSED or FAILED for runs with that result
--   (a STOPPED run is in ALL only), as Semaphore's aggregator splits them.
WITH keyed AS (
    SELECT r.*, k.branch_key
    FROM {{ ref('semaphore_pipeline_runs') }} r
    JOIN {{ ref('semaphore_metric_scopes') }} s ON s.project_id = r.project_id
    CROSS JOIN LATERAL (
        SELECT s.ci_branch AS branch_key UNION SELECT s.cd_branch UNION SELECT ''
    ) k
    WHERE k.branch_key = '' OR k.branch_key = r.branch_name
)
SELECT keyed.*, 'ALL' AS outcome FROM keyed
UNION ALL
SELECT keyed.*, result AS outcome FROM keyed WHERE result IN ('PASSED', 'FAILED')
