-- dora_deployments: every deployment (a promotion to a deployment target) with its DORA facts.
--
-- project_id: from the deployment target, else from the pipelines. Deployments to every target are
--   listed, or only to the target named InsightsConfig.cd_target when it is set.
-- source pipeline = prev_pipeline_id (the pipeline the promotion was triggered from); deployed pipeline =
--   pipeline_id (the pipeline the promotion started). commit_sha = the source pipeline's commit (else the
--   deployed one's).
-- outcome: FAILED when state = FAILED or the deployed pipeline's result is FAILED; SUCCEEDED when state =
--   STARTED and the deployed pipeline PASSED; otherwise OTHER (pending, still running, stopped, canceled
--   or the deployed pipeline not loaded).
-- version_at = created_at of the source pipeline's workflow (else of the source pipeline): how new the
--   deployed code is. rollback = the deployment ships an older version_at than the previous deployment
--   to the same target (previous by triggered_at, ties by id).
-- rolled_back = the next deployment to the same target is a rollback.
-- change_failure = outcome FAILED, or rolled_back.
-- lead_time_s (SUCCEEDED deployments that are not rollbacks) = deployed pipeline's done_at - the earliest
--   workflow created_at of the commit in the project. Semaphore has no commit time: the first workflow of
--   the commit (its push) is the proxy for "committed". A rollback re-ships an old change: no lead time.
-- incident_start = a change failure whose previous deployment to the target is not a change failure.
--   restored_at (on incident starts) = done_at of the deployed pipeline of the first later deployment to
--   the target with outcome SUCCEEDED that is not a change failure; restore_s = restored_at -
--   triggered_at of the incident start (NULL while not restored).
WITH cfg AS (SELECT * FROM {{ ref('insights_config') }}),
first_push AS (
    SELECT project_id, commit_sha, min(created_at) AS first_workflow_at
    FROM {{ ref('stg_workflows') }} WHERE commit_sha IS NOT NULL GROUP BY project_id, commit_sha
),
base AS (
    SELECT dep.id AS deployment_id, dep.target_id, dep.target_name,
           coalesce(t.project_id, p.project_id, s.project_id) AS project_id,
           dep.prev_pipeline_id, dep.pipeline_id, dep.triggered_at, dep.state,
           p.result AS pipeline_result, p.done_at AS pipeline_done_at,
           coalesce(s.commit_sha, p.commit_sha) AS commit_sha,
           coalesce(sw.created_at, s.created_at) AS version_at,
           CASE WHEN dep.state = 'FAILED' OR p.result = 'FAILED' THEN 'FAILED'
                WHEN dep.state = 'STARTED' AND p.result = 'PASSED' THEN 'SUCCEEDED'
                ELSE 'OTHER' END AS outcome
    FROM {{ ref('stg_deployments') }} dep
    CROSS JOIN cfg
    LEFT JOIN {{ ref('stg_deployment_targets') }} t ON t.id = dep.target_id
    LEFT JOIN {{ ref('stg_pipelines') }} p ON p.ppl_id = dep.pipeline_id
    LEFT JOIN {{ ref('stg_pipelines') }} s ON s.ppl_id = dep.prev_pipeline_id
    LEFT JOIN {{ ref('stg_workflows') }} sw ON sw.wf_id = s.wf_id
    WHERE cfg.cd_target IS NULL OR dep.target_name = cfg.cd_target
),
seq AS (
    SELECT base.*,
           row_number() OVER w AS n,
           coalesce(version_at < lag(version_at) OVER w, false) AS rollback
    FROM base
    WINDOW w AS (PARTITION BY target_id ORDER BY triggered_at, deployment_id)
),
flagged AS (
    SELECT seq.*,
           coalesce(lead(rollback) OVER w, false) AS rolled_back,
           outcome = 'FAILED' OR coalesce(lead(rollback) OVER w, false) AS change_failure
    FROM seq
    WINDOW w AS (PARTITION BY target_id ORDER BY n)
),
incidents AS (
    SELECT flagged.*,
           change_failure AND NOT coalesce(lag(change_failure) OVER (PARTITION BY target_id ORDER BY n), false)
               AS incident_start
    FROM flagged
),
restores AS (
    SELECT i.deployment_id, min(r.n) AS restore_n
    FROM incidents i JOIN incidents r
      ON r.target_id = i.target_id AND r.n > i.n AND r.outcome = 'SUCCEEDED' AND NOT r.change_failure
    WHERE i.incident_start
    GROUP BY i.deployment_id
)
SELECT i.deployment_id, i.project_id, i.target_id, i.target_name, i.triggered_at, {{ utc_day('i.triggered_at') }} AS day,
       i.state, i.pipeline_id, i.prev_pipeline_id, i.pipeline_result, i.pipeline_done_at, i.commit_sha,
       i.version_at, i.outcome, i.rollback, i.rolled_back, i.change_failure, i.incident_start,
       CASE WHEN i.outcome = 'SUCCEEDED' AND NOT i.rollback
            THEN {{ seconds_between('f.first_workflow_at', 'i.pipeline_done_at') }} END AS lead_time_s,
       r.pipeline_done_at AS restored_at,
       {{ seconds_between('i.triggered_at', 'r.pipeline_done_at') }} AS restore_s
FROM incidents i
LEFT JOIN first_push f ON f.project_id = i.project_id AND f.commit_sha = i.commit_sha
LEFT JOIN restores x ON x.deployment_id = i.deployment_id
LEFT JOIN incidents r ON r.target_id = i.target_id AND r.n = x.restore_n
ORDER BY i.project_id, i.target_name, i.triggered_at, i.deployment_id
