-- flaky_test_commits: tests that both passed and failed on the same commit, one row per (project, commit, test).
--
-- Runs = test cases (staging test_runs: one per job that ran the test; a job reused by a partial re-run
--   counts once, in the pipeline that ran it) with state PASSED, FAILED or ERROR (SKIPPED and DISABLED
--   are ignored), joined through their job's pipeline (ppl_id) for project_id, commit_sha and branch.
--   A failed run = state FAILED or ERROR. Every pipeline file counts together: the same test id on the
--   same commit is the same code.
-- A (project_id, commit_sha, test_id) is flaky when it has at least one PASSED and one failed run.
-- runs, passed_runs, failed_runs = counts; first_seen / last_seen = the earliest / latest run time (the
--   job's finish_time); last_state = the latest run's state (ties by job_id); name, file, classname = the
--   latest run's; branches = the distinct branches, comma-separated.
WITH runs AS (
    SELECT * FROM {{ ref('test_runs') }}
    WHERE state IN ('PASSED', 'FAILED', 'ERROR') AND commit_sha IS NOT NULL AND project_id IS NOT NULL
)
SELECT project_id, commit_sha, test_id,
       {{ arg_max('name', ['run_at', 'job_id']) }} AS name,
       {{ arg_max('file', ['run_at', 'job_id']) }} AS file,
       {{ arg_max('classname', ['run_at', 'job_id']) }} AS classname,
       count(*) AS runs,
       count(*) FILTER (WHERE state = 'PASSED') AS passed_runs,
       count(*) FILTER (WHERE state IN ('FAILED', 'ERROR')) AS failed_runs,
       min(run_at) AS first_seen,
       max(run_at) AS last_seen,
       {{ arg_max('state', ['run_at', 'job_id']) }} AS last_state,
       string_agg(DISTINCT branch_name, ',' ORDER BY branch_name) AS branches
FROM runs
GROUP BY project_id, commit_sha, test_id
HAVING count(*) FILTER (WHERE state = 'PASSED') > 0 AND count(*) FILTER (WHERE state IN ('FAILED', 'ERROR')) > 0
ORDER BY last_seen DESC, project_id, commit_sha, test_id
