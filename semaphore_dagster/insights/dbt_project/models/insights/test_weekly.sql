-- test_weekly: how long each test takes and how often it fails, per project, test id and UTC week.
--
-- Runs = test runs (staging test_runs: one per job that ran the test, a reused job once) with state
--   PASSED, FAILED or ERROR; week = the Monday of the UTC week of the run time (the job's finish_time).
-- One row per (project_id, test_id, week) with runs. runs; failures = runs with state FAILED or ERROR;
--   failure_rate = failures / runs, between 0 and 1; mean_s, p95_s (linear interpolation,
--   quantile_cont), max_s = over the runs' duration_seconds; name, file, classname = the latest run's.
SELECT project_id, test_id, {{ utc_week('run_at') }} AS week,
       {{ arg_max('name', ['run_at', 'job_id']) }} AS name,
       {{ arg_max('file', ['run_at', 'job_id']) }} AS file,
       {{ arg_max('classname', ['run_at', 'job_id']) }} AS classname,
       count(*) AS runs,
       count(*) FILTER (WHERE state IN ('FAILED', 'ERROR')) AS failures,
       CAST(count(*) FILTER (WHERE state IN ('FAILED', 'ERROR')) AS {{ double() }}) / count(*) AS failure_rate,
       avg(duration_seconds) AS mean_s,
       {{ percentile_cont('duration_seconds', 0.95) }} AS p95_s,
       max(duration_seconds) AS max_s
FROM {{ ref('test_runs') }}
WHERE state IN ('PASSED', 'FAILED', 'ERROR') AND project_id IS NOT NULL AND run_at IS NOT NULL
GROUP BY project_id, test_id, {{ utc_week('run_at') }}
ORDER BY week, project_id, test_id
