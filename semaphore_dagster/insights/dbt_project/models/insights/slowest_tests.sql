-- slowest_tests: the slowest tests of the latest week, with the change from the week before.
--
-- Built from test_weekly. week = the latest week in test_weekly (the whole dataset); previous_week =
--   the week before it. One row per (project_id, test_id) with runs in week.
-- runs, mean_s, p95_s, max_s = that week's; previous_runs, previous_p95_s = the previous week's (NULL
--   when it did not run then); p95_change_s = p95_s - previous_p95_s.
-- trend: NEW when the test did not run the previous week; SLOWER when p95_s > 1.1 x previous_p95_s;
--   FASTER when p95_s < 0.9 x previous_p95_s; otherwise STEADY.
-- rank = 1 for the project's slowest test by p95_s (ties share a rank).
WITH latest AS (
    SELECT max(week) AS week FROM {{ ref('test_weekly') }}
),
this_week AS (
    SELECT w.* FROM {{ ref('test_weekly') }} w JOIN latest l ON w.week = l.week
),
previous AS (
    SELECT w.* FROM {{ ref('test_weekly') }} w JOIN latest l ON w.week = l.week - 7
)
SELECT t.project_id, t.test_id, t.name, t.file, t.classname,
       t.week, t.week - 7 AS previous_week,
       t.runs, t.mean_s, t.p95_s, t.max_s,
       p.runs AS previous_runs, p.p95_s AS previous_p95_s,
       t.p95_s - p.p95_s AS p95_change_s,
       CASE WHEN p.test_id IS NULL THEN 'NEW'
            WHEN t.p95_s > 1.1 * p.p95_s THEN 'SLOWER'
            WHEN t.p95_s < 0.9 * p.p95_s THEN 'FASTER'
            ELSE 'STEADY' END AS trend,
       rank() OVER (PARTITION BY t.project_id ORDER BY t.p95_s DESC) AS rank
FROM this_week t
LEFT JOIN previous p ON p.project_id = t.project_id AND p.test_id = t.test_id
ORDER BY t.p95_s DESC, t.project_id, t.test_id
