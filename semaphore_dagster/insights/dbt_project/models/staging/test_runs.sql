-- One row per test run: a test case of a job's report (completed loads only), with the project, commit,
-- branch and pipeline file of the pipeline whose job ran it, and when it ran (the job's finish_time, else
-- its report's, else the pipeline's done_at).
-- A job reused by a partial re-run has no report of its own: its test_reports row names the source job
-- (source_job_id) and the loader stores the cases once, under the source job. Cases stored under a
-- reused job's own id (a copy of its source's) are left out, so a reused run is never counted twice.
SELECT c.job_id, c.ppl_id,
       coalesce(p.project_id, r.project_id, j.project_id) AS project_id,
       p.commit_sha, p.branch_name, p.pipeline_file,
       c.test_id, c.name, c.file, c.classname, c.state, c.duration_seconds,
       coalesce(j.finish_time, r.finish_time, p.done_at) AS run_at
FROM {{ ref('stg_test_cases') }} c
LEFT JOIN {{ ref('stg_pipelines') }} p ON p.ppl_id = c.ppl_id
LEFT JOIN {{ ref('stg_test_reports') }} r ON r.job_id = c.job_id
LEFT JOIN {{ ref('stg_jobs') }} j ON j.job_id = c.job_id
WHERE c.test_id IS NOT NULL
  AND (r.source_job_id IS NULL)
