{{ config(materialized='table') }}
-- semaphore_mttr_episodes: Semaphore's MTTR records (project_mttr), one per failure episode.
--
-- Per (project_id, pipeline_file_name, branch_name), the valid runs in done_at order (ties by ppl_id):
--   a run whose state is FAILED (any result but PASSED: stops of every reason included) opens an episode
--   when none is open (failed_at, failed_ppl_id); the next PASSED run closes it (passed_at,
--   passed_ppl_id). recovery_seconds = passed_at - failed_at (NULL while open).
-- Semaphore's MTTR figure averages the episodes of a pipeline file closed inside the range over EVERY
--   branch (semaphore_project_summary); our per-branch MTTR is the model mttr.
WITH ordered AS (
    SELECT project_id, pipeline_file_name, branch_name, ppl_id, done_at, state,
           lag(state) OVER w AS prev_state,
           sum(CASE WHEN state = 'PASSED' THEN 1 ELSE 0 END) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS passes_so_far
    FROM {{ ref('semaphore_pipeline_runs') }}
    WINDOW w AS (PARTITION BY project_id, pipeline_file_name, branch_name ORDER BY done_at, ppl_id)
),
opened AS (
    SELECT * FROM ordered WHERE state = 'FAILED' AND (prev_state IS NULL OR prev_state = 'PASSED')
)
SELECT o.project_id, o.pipeline_file_name, o.branch_name,
       o.ppl_id AS failed_ppl_id, o.done_at AS failed_at,
       c.ppl_id AS passed_ppl_id, c.done_at AS passed_at,
       {{ seconds_between('o.done_at', 'c.done_at') }} AS recovery_seconds
FROM opened o
LEFT JOIN ordered c
  ON c.project_id = o.project_id AND c.pipeline_file_name = o.pipeline_file_name
 AND c.branch_name = o.branch_name AND c.state = 'PASSED' AND c.passes_so_far = o.passes_so_far + 1
ORDER BY o.project_id, o.pipeline_file_name, o.branch_name, o.done_at
