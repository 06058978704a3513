-- flaky_test_summary: flaky tests at test level, one row per (project, test id), flakiest first.
--
-- flaky_commits = commits on which the test both passed and failed (see flaky_test_commits);
-- first_flaky_at / last_flaky_at = the earliest / latest run of the test on such a commit;
-- flaky_runs, flaky_failures = its runs and failed runs on those commits; runs, failures = all its runs
-- (PASSED, FAILED or ERROR) and failed runs (FAILED or ERROR) in the data, on every commit;
-- failure_rate = failures / runs, between 0 and 1; name, file, classname = the latest run's.
WITH flaky AS (
    SELECT project_id, test_id, count(*) AS flaky_commits, CAST(sum(runs) AS BIGINT) AS flaky_runs,
           CAST(sum(failed_runs) AS BIGINT) AS flaky_failures, min(first_seen) AS first_flaky_at, max(last_seen) AS last_flaky_at
    FROM {{ ref('flaky_test_commits') }}
    GROUP BY project_id, test_id
),
everything AS (
    SELECT project_id, test_id,
           {{ arg_max('name', ['run_at', 'job_id']) }} AS name,
           {{ arg_max('file', ['run_at', 'job_id']) }} AS file,
           {{ arg_max('classname', ['run_at', 'job_id']) }} AS classname,
           count(*) AS runs,
           count(*) FILTER (WHERE state IN ('FAILED', 'ERROR')) AS failures
    FROM {{ ref('test_runs') }}
    WHERE state IN ('PASSED', 'FAILED', 'ERROR')
    GROUP BY project_id, test_id
)
SELECT f.project_id, f.test_id, e.name, e.file, e.classname,
       f.flaky_commits, f.first_flaky_at, f.last_flaky_at, f.flaky_runs, f.flaky_failures,
       e.runs, e.failures, CAST(e.failures AS {{ double() }}) / e.runs AS failure_rate
FROM flaky f JOIN everything e ON e.project_id = f.project_id AND e.test_id = f.test_id
ORDER BY f.flaky_commits DESC, f.flaky_failures DESC, f.last_flaky_at DESC, f.project_id, f.test_id
