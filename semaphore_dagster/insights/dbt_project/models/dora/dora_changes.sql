{{ config(materialized='table') }}
-- dora_changes: the commits each deployment delivered, with their push-to-deploy time (Four Keys).
--
-- Semaphore has no commit time: a commit's push_at = the created_at of its first workflow on the CD branch
--   of the project (the cd_branch setting, else the default branch as the data shows it).
-- For each SUCCEEDED deployment that is not a rollback (dora_deploys), in the target's order: the changes
--   are every commit seen on the CD branch after the newest version the target had received before
--   (push_at above the greatest push_at among the target's earlier SUCCEEDED deployments' commits) up to
--   the deployed commit's push_at, and the deployed commit itself. Each change is counted once per
--   target, on the deployment that first delivered it; a rollback delivers none.
-- push_to_deploy_seconds = deployed_at - push_at; NULL when not positive (dropped, as Four Keys drops
--   non-positive times). Named for what it measures: from push, not from the commit.
{%- set cd_branch = insights_setting('cd_branch') %}
WITH pushes AS (
    SELECT w.project_id, w.commit_sha, min(w.created_at) AS push_at
    FROM {{ ref('stg_workflows') }} w
    LEFT JOIN {{ ref('default_branch') }} db ON db.project_id = w.project_id
    WHERE w.branch_name = coalesce({{ sql_literal(cd_branch) }}, db.branch_name)
      AND w.commit_sha IS NOT NULL AND w.created_at IS NOT NULL
    GROUP BY w.project_id, w.commit_sha
),
any_push AS (
    SELECT project_id, commit_sha, min(created_at) AS push_at
    FROM {{ ref('stg_workflows') }} GROUP BY project_id, commit_sha
),
versions AS (
    SELECT d.*, coalesce(p.push_at, a.push_at) AS version_push_at
    FROM {{ ref('dora_deploys') }} d
    LEFT JOIN pushes p ON p.project_id = d.project_id AND p.commit_sha = d.commit_sha
    LEFT JOIN any_push a ON a.project_id = d.project_id AND a.commit_sha = d.commit_sha
    WHERE d.outcome = 'SUCCEEDED'
),
delivering AS (
    SELECT v.*,
           (SELECT max(e.version_push_at) FROM versions e WHERE e.target_id = v.target_id AND e.seq < v.seq) AS watermark
    FROM versions v WHERE NOT v.is_rollback
),
changes AS (
    SELECT d.project_id, d.target_id, d.target_name, d.deployment_id, d.deployed_at, p.commit_sha, p.push_at
    FROM delivering d
    JOIN pushes p ON p.project_id = d.project_id AND p.push_at <= d.version_push_at
     AND (d.watermark IS NULL OR p.push_at > d.watermark)
    UNION
    SELECT d.project_id, d.target_id, d.target_name, d.deployment_id, d.deployed_at, d.commit_sha, d.version_push_at
    FROM delivering d
    WHERE d.watermark IS NULL OR d.version_push_at > d.watermark
)
SELECT project_id, target_id, target_name, deployment_id, commit_sha, push_at, deployed_at,
       CASE WHEN deployed_at > push_at THEN {{ seconds_between('push_at', 'deployed_at') }} END AS push_to_deploy_seconds
FROM changes
ORDER BY project_id, target_name, deployed_at, push_at, commit_sha
