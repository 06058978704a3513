{{ config(materialized='table') }}
-- dora_deploys: every deployment to a deployment target, classified as the DORA definers do.
--
-- One row per deployment (every target, or only the target named by the cd_target setting).
-- source pipeline = prev_pipeline_id (the pipeline promoted); deployed pipeline = pipeline_id.
-- commit_sha = the source pipeline's commit (else the deployed one's): the deployed version.
-- outcome: SUCCEEDED (state STARTED and the deployed pipeline PASSED), FAILED (state FAILED or the
--   deployed pipeline FAILED: a failed deployment, reported apart, never a change failure), else OTHER.
-- deployed_at = the deployed pipeline's done_at (SUCCEEDED only): when the version went live.
-- seq = order of the target's SUCCEEDED deployments (triggered_at, then id).
-- is_rollback (Datadog's rule): a SUCCEEDED deployment whose version differs from the previous SUCCEEDED
--   deployment's and was deployed successfully to the target before.
-- is_change_failure: the first SUCCEEDED deployment after the last deployment of the version a rollback
--   returned to (the deploy that broke it, not the one just before the rollback); rolled_back_by = that
--   rollback (the first one when several return past it).
-- restored_at (change failures) = deployed_at of that rollback; recovery_seconds = restored_at -
--   the change failure's deployed_at (failed deployment recovery time).
{%- set cd_target = insights_setting('cd_target') %}
WITH deploys AS (
    SELECT d.id AS deployment_id,
           coalesce(t.project_id, dp.project_id, sp.project_id) AS project_id,
           d.target_id, coalesce(d.target_name, t.name) AS target_name,
           d.triggered_at, d.state,
           d.prev_pipeline_id AS source_ppl_id, d.pipeline_id AS deployed_ppl_id,
           coalesce(sp.commit_sha, dp.commit_sha) AS commit_sha,
           CASE WHEN d.state = 'FAILED' OR dp.result = 'FAILED' THEN 'FAILED'
                WHEN d.state = 'STARTED' AND dp.result = 'PASSED' THEN 'SUCCEEDED'
                ELSE 'OTHER' END AS outcome,
           CASE WHEN d.state = 'STARTED' AND dp.result = 'PASSED' THEN dp.done_at END AS deployed_at
    FROM {{ ref('stg_deployments') }} d
    LEFT JOIN {{ ref('stg_deployment_targets') }} t ON t.id = d.target_id
    LEFT JOIN {{ ref('stg_pipelines') }} sp ON sp.ppl_id = d.prev_pipeline_id
    LEFT JOIN {{ ref('stg_pipelines') }} dp ON dp.ppl_id = d.pipeline_id
    {%- if cd_target %}
    WHERE coalesce(d.target_name, t.name) = {{ sql_literal(cd_target) }}
    {%- endif %}
),
succeeded AS (
    SELECT deployment_id, target_id, commit_sha, deployed_at,
           row_number() OVER (PARTITION BY target_id ORDER BY triggered_at, deployment_id) AS seq
    FROM deploys WHERE outcome = 'SUCCEEDED'
),
flagged AS (
    SELECT s.*,
           lag(s.commit_sha) OVER (PARTITION BY s.target_id ORDER BY s.seq) AS prev_commit,
           (SELECT max(a.seq) FROM succeeded a
            WHERE a.target_id = s.target_id AND a.commit_sha = s.commit_sha AND a.seq < s.seq) AS back_to_seq
    FROM succeeded s
),
rollbacks AS (
    SELECT * FROM flagged
    WHERE back_to_seq IS NOT NULL AND prev_commit IS NOT NULL AND commit_sha <> prev_commit
),
failures AS (
    SELECT f.deployment_id AS failure_id,
           {{ arg_min('r.deployment_id', 'r.seq') }} AS rolled_back_by,
           min(r.deployed_at) AS restored_at
    FROM rollbacks r
    JOIN flagged f ON f.target_id = r.target_id AND f.seq = r.back_to_seq + 1 AND f.seq < r.seq
    GROUP BY f.deployment_id
)
SELECT d.project_id, d.target_id, d.target_name, d.deployment_id, d.triggered_at, d.state, d.outcome,
       d.source_ppl_id, d.deployed_ppl_id, d.commit_sha, d.deployed_at, fl.seq,
       coalesce(rb.deployment_id IS NOT NULL, false) AS is_rollback,
       coalesce(fa.failure_id IS NOT NULL, false) AS is_change_failure,
       fa.rolled_back_by, fa.restored_at,
       {{ seconds_between('d.deployed_at', 'fa.restored_at') }} AS recovery_seconds
FROM deploys d
LEFT JOIN flagged fl ON fl.deployment_id = d.deployment_id
LEFT JOIN rollbacks rb ON rb.deployment_id = d.deployment_id
LEFT JOIN failures fa ON fa.failure_id = d.deployment_id
ORDER BY d.project_id, d.target_name, d.triggered_at, d.deployment_id
