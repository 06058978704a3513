-- mttr: mean time to recovery and last successful run, on the CI scope and the CD scope of each project.
--
-- Scopes (InsightsConfig; a branch left unset means the project's default branch as the data shows it:
--   `main` or `master`, whichever has more pipelines, else the busiest branch):
--   CI = pipelines of ci_branch with pipeline_file = ci_pipeline_file (default .semaphore/semaphore.yml).
--   CD = pipelines deployed to the deployment target named cd_target when it is set; otherwise pipelines of
--        cd_branch with pipeline_file = cd_pipeline_file, or, when that is unset, every pipeline file of
--        cd_branch run by a promotion (triggerer__ppl_triggered_by PROMOTION or AUTO_PROMOTION), one
--        scope per file.
-- One row per (project_id, scope, branch_name, pipeline_file, target_name) that has pipelines.
-- Runs = DONE pipelines of the scope with result PASSED or FAILED (STOPPED and CANCELED are ignored), in
--   done_at order (ties by ppl_id).
-- A failure episode starts at a FAILED run that follows a PASSED run (or is the first run seen) and
--   ends at the next PASSED run. recovery = that PASSED run's done_at - the first FAILED run's done_at.
-- mttr_s = mean recovery in seconds over ended episodes (NULL when none); median_recovery_s,
--   max_recovery_s likewise. failing_since = done_at of the first failure of an episode still open at
--   the last run (NULL when the scope is green).
-- last_success_at / last_success_ppl_id = the latest PASSED run; last_result / last_run_at = the latest run.
WITH cfg AS (SELECT * FROM {{ ref('insights_config') }}),
scoped AS (
    SELECT 'CI' AS scope, CAST(NULL AS {{ contract_type('text') }}) AS target_name,
           p.ppl_id, p.project_id, p.branch_name, p.pipeline_file, p.done_at, p.state, p.result
    FROM {{ ref('stg_pipelines') }} p JOIN {{ ref('default_branch') }} d ON d.project_id = p.project_id
    CROSS JOIN cfg
    WHERE p.pipeline_file = cfg.ci_pipeline_file AND p.branch_name = coalesce(cfg.ci_branch, d.branch_name)
    UNION ALL
    SELECT DISTINCT 'CD' AS scope, dep.target_name,
           p.ppl_id, p.project_id, p.branch_name, p.pipeline_file, p.done_at, p.state, p.result
    FROM {{ ref('stg_pipelines') }} p JOIN {{ ref('stg_deployments') }} dep ON dep.pipeline_id = p.ppl_id
    CROSS JOIN cfg
    WHERE cfg.cd_target IS NOT NULL AND dep.target_name = cfg.cd_target
    UNION ALL
    SELECT 'CD' AS scope, CAST(NULL AS {{ contract_type('text') }}) AS target_name,
           p.ppl_id, p.project_id, p.branch_name, p.pipeline_file, p.done_at, p.state, p.result
    FROM {{ ref('stg_pipelines') }} p JOIN {{ ref('default_branch') }} d ON d.project_id = p.project_id
    CROSS JOIN cfg
    WHERE cfg.cd_target IS NULL
      AND p.branch_name = coalesce(cfg.cd_branch, d.branch_name)
      AND (p.pipeline_file = cfg.cd_pipeline_file
           OR (cfg.cd_pipeline_file IS NULL AND p.triggerer__ppl_triggered_by IN ('PROMOTION', 'AUTO_PROMOTION')))
),
keyed AS (
    SELECT scoped.*,
           CASE WHEN scope = 'CD' AND target_name IS NOT NULL THEN NULL ELSE branch_name END AS scope_branch,
           CASE WHEN scope = 'CD' AND target_name IS NOT NULL THEN NULL ELSE pipeline_file END AS scope_file
    FROM scoped
),
runs AS (
    SELECT project_id, scope, scope_branch, scope_file, target_name, ppl_id, done_at, result,
           row_number() OVER w AS rn,
           lag(result) OVER w AS prev_result
    FROM keyed
    WHERE state = 'DONE' AND done_at IS NOT NULL AND result IN ('PASSED', 'FAILED')
    WINDOW w AS (PARTITION BY project_id, scope, scope_branch, scope_file, target_name ORDER BY done_at, ppl_id)
),
episodes AS (
    SELECT f.project_id, f.scope, f.scope_branch, f.scope_file, f.target_name, f.done_at AS failed_at,
           min(r.done_at) AS recovered_at
    FROM runs f
    LEFT JOIN runs r ON {{ mttr_same_scope('r', 'f') }} AND r.result = 'PASSED' AND r.rn > f.rn
    WHERE f.result = 'FAILED' AND (f.prev_result IS NULL OR f.prev_result = 'PASSED')
    GROUP BY f.project_id, f.scope, f.scope_branch, f.scope_file, f.target_name, f.done_at
),
episode_stats AS (
    SELECT project_id, scope, scope_branch, scope_file, target_name,
           count(*) AS failure_episodes,
           count(recovered_at) AS recoveries,
           avg({{ seconds_between('failed_at', 'recovered_at') }}) AS mttr_s,
           {{ median(seconds_between('failed_at', 'recovered_at')) }} AS median_recovery_s,
           max({{ seconds_between('failed_at', 'recovered_at') }}) AS max_recovery_s,
           max(failed_at) FILTER (WHERE recovered_at IS NULL) AS failing_since
    FROM episodes
    GROUP BY project_id, scope, scope_branch, scope_file, target_name
),
run_stats AS (
    SELECT project_id, scope, scope_branch, scope_file, target_name,
           count(*) AS runs,
           count(*) FILTER (WHERE result = 'PASSED') AS passed_runs,
           count(*) FILTER (WHERE result = 'FAILED') AS failed_runs,
           max(done_at) FILTER (WHERE result = 'PASSED') AS last_success_at,
           {{ arg_max('ppl_id', 'rn', where="result = 'PASSED'") }} AS last_success_ppl_id,
           {{ arg_max('result', 'rn') }} AS last_result,
           max(done_at) AS last_run_at
    FROM runs
    GROUP BY project_id, scope, scope_branch, scope_file, target_name
),
scopes AS (
    SELECT DISTINCT project_id, scope, scope_branch, scope_file, target_name FROM keyed
)
SELECT s.project_id, s.scope, s.scope_branch AS branch_name, s.scope_file AS pipeline_file, s.target_name,
       coalesce(r.runs, 0) AS runs,
       coalesce(r.passed_runs, 0) AS passed_runs,
       coalesce(r.failed_runs, 0) AS failed_runs,
       coalesce(e.failure_episodes, 0) AS failure_episodes,
       coalesce(e.recoveries, 0) AS recoveries,
       e.mttr_s, e.median_recovery_s, e.max_recovery_s, e.failing_since,
       r.last_success_at, r.last_success_ppl_id, r.last_result, r.last_run_at
FROM scopes s
LEFT JOIN run_stats r ON {{ mttr_same_scope('r', 's') }}
LEFT JOIN episode_stats e ON {{ mttr_same_scope('e', 's') }}
ORDER BY s.project_id, s.scope, s.scope_branch, s.scope_file, s.target_name
