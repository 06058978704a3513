-- most_failing_tests: the tests that failed in the latest week or the week before, with the trend.
--
-- Built from test_weekly. week = the latest week in test_weekly (the whole dataset); previous_week =
--   the week before it. One row per (project_id, test_id) with a failure (state FAILED or ERROR) in
--   week or previous_week.
-- runs, failures, failure_rate = that week's (0 runs and NULL rate when it did not run); previous_runs,
--   previous_failures, previous_failure_rate likewise for the previous week; total_runs, total_failures
--   = every week of the data.
-- trend: NEW when the test did not run the previous week; WORSE when failure_rate > previous_failure_rate;
--   BETTER when it is lower (or the test did not run in week); otherwise STEADY.
-- rank = 1 for the project's test with the most failures in week (ties share a rank).
WITH latest AS (
    SELECT max(week) AS week FROM {{ ref('test_weekly') }}
),
per_test AS (
    SELECT w.project_id, w.test_id, max(l.week) AS week,
           {{ arg_max('w.name', 'w.week') }} AS name,
           {{ arg_max('w.file', 'w.week') }} AS file,
           {{ arg_max('w.classname', 'w.week') }} AS classname,
           CAST(coalesce(sum(w.runs) FILTER (WHERE w.week = l.week), 0) AS BIGINT) AS runs,
           CAST(coalesce(sum(w.failures) FILTER (WHERE w.week = l.week), 0) AS BIGINT) AS failures,
           CAST(coalesce(sum(w.runs) FILTER (WHERE w.week = l.week - 7), 0) AS BIGINT) AS previous_runs,
           CAST(coalesce(sum(w.failures) FILTER (WHERE w.week = l.week - 7), 0) AS BIGINT) AS previous_failures,
           CAST(sum(w.runs) AS BIGINT) AS total_runs,
           CAST(sum(w.failures) AS BIGINT) AS total_failures
    FROM {{ ref('test_weekly') }} w CROSS JOIN latest l
    GROUP BY w.project_id, w.test_id
),
rated AS (
    SELECT per_test.*,
           CAST(failures AS {{ double() }}) / nullif(runs, 0) AS failure_rate,
           CAST(previous_failures AS {{ double() }}) / nullif(previous_runs, 0) AS previous_failure_rate
    FROM per_test
    WHERE failures > 0 OR previous_failures > 0
)
SELECT project_id, test_id, name, file, classname, week, week - 7 AS previous_week,
       runs, failures, failure_rate, previous_runs, previous_failures, previous_failure_rate,
       total_runs, total_failures,
       CASE WHEN previous_runs = 0 THEN 'NEW'
            WHEN runs = 0 THEN 'BETTER'
            WHEN failure_rate > previous_failure_rate THEN 'WORSE'
            WHEN failure_rate < previous_failure_rate THEN 'BETTER'
            ELSE 'STEADY' END AS trend,
       rank() OVER (PARTITION BY project_id ORDER BY failures DESC) AS rank
FROM rated
ORDER BY failures DESC, previous_failures DESC, project_id, test_id
