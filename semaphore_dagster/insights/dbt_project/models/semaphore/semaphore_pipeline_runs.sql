{{ config(materialized='table') }}
-- semaphore_pipeline_runs: the pipelines Semaphore's Insights count, as its collector stores them.
--
-- One row per valid run: a DONE pipeline whose result is not CANCELED, whose result_reason is not
--   MALFORMED, with running_at and done_at set (Velocity's pipeline_done collector, isValidRun).
-- pipeline_file_name = Go's path.Join(working_directory, yaml_file_name): `./.semaphore` + `semaphore.yml`
--   is `.semaphore/semaphore.yml`, `..` resolves.
-- duration_seconds = done_at - running_at in whole seconds, truncated (run time: no initialization or
--   queueing). day = the UTC date of done_at.
-- state = PASSED, or FAILED for every other result (what MTTR sees: stops open an episode).
-- in_statistics = false for runs stopped with reason USER or STRATEGY: counted in frequency, left out of
--   performance and reliability.
SELECT p.ppl_id,
       p.project_id,
       p.branch_name,
       {{ go_path_join('p.working_directory', 'p.yaml_file_name') }} AS pipeline_file_name,
       p.result,
       coalesce(p.result_reason, 'TEST') AS result_reason,
       p.running_at,
       p.done_at,
       {{ utc_day('p.done_at') }} AS day,
       {{ whole_seconds_between('p.running_at', 'p.done_at') }} AS duration_seconds,
       CASE WHEN p.result = 'PASSED' THEN 'PASSED' ELSE 'FAILED' END AS state,
       coalesce(p.result_reason, 'TEST') NOT IN ('USER', 'STRATEGY') AS in_statistics
FROM {{ ref('stg_pipelines') }} p
WHERE p.state = 'DONE'
  AND coalesce(p.result, '') <> 'CANCELED'
  AND coalesce(p.result_reason, '') <> 'MALFORMED'
  AND p.running_at IS NOT NULL
  AND p.done_at IS NOT NULL
