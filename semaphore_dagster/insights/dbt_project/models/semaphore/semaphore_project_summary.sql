{{ config(materialized='table') }}
-- semaphore_project_summary: the figures of Semaphore's Insights page for a date range (its summary).
--
-- Range: [semaphore_range_from, semaphore_range_to] (dbt vars, YYYY-MM-DD; default as Semaphore's page:
--   30 days before today to yesterday). One row per (project_id, scope):
--   CI  = (ci_pipeline_file, ci_branch), ALL = (ci_pipeline_file, '' = all branches),
--   CD  = (cd_pipeline_file, cd_summary_branch), only when a CD pipeline file is set (semaphore_metric_scopes).
-- From the daily rows of the scope in the range (RANGE aggregation):
--   mean_seconds / std_dev_seconds = truncated mean of the daily mean_seconds / std_dev_seconds of the days
--     that have runs (outcome all; the page labels the mean "p50"); passed_/failed_ likewise on their lists;
--   all_count, passed_count, failed_count = sums of the daily reliability; pass_rate_percent =
--     round(100 * passed_count / all_count) (NULL when all_count = 0: the page shows N/A);
--   runs = sum of the daily frequency; range_days = to - from (the page's per-day rate is runs / range_days).
-- mean_time_to_recovery_seconds = truncated mean recovery of the episodes of the pipeline file on EVERY
--   branch with passed_at from `from` 00:00 to `to` 00:00 UTC (Semaphore's query: its branch filter
--   repeats the file filter, and the page sends both days at midnight); 0 when none.
-- last_successful_run_at = done_at of the scope's latest PASSED valid run (any date); NULL for ALL
--   (Semaphore reads one branch's record, chosen by a random id) and when none (Semaphore: 1970-01-01).
{%- set lo = var('semaphore_range_from', '') or env_var('SEMAPHORE_INSIGHTS_RANGE_FROM', '') %}
{%- set hi = var('semaphore_range_to', '') or env_var('SEMAPHORE_INSIGHTS_RANGE_TO', '') %}
WITH bounds AS (
    SELECT {% if lo %}CAST('{{ lo }}' AS DATE){% else %}CAST(current_date - 30 AS DATE){% endif %} AS range_from,
           {% if hi %}CAST('{{ hi }}' AS DATE){% else %}CAST(current_date - 1 AS DATE){% endif %} AS range_to
),
scopes AS (
    SELECT project_id, 'CI' AS scope, ci_pipeline_file AS pipeline_file_name, ci_branch AS branch_name
    FROM {{ ref('semaphore_metric_scopes') }}
    UNION ALL
    SELECT project_id, 'ALL', ci_pipeline_file, '' FROM {{ ref('semaphore_metric_scopes') }}
    UNION ALL
    SELECT project_id, 'CD', cd_pipeline_file, cd_summary_branch FROM {{ ref('semaphore_metric_scopes') }}
    WHERE cd_pipeline_file IS NOT NULL
),
perf AS (
    SELECT s.project_id, s.scope, p.outcome,
           {{ go_int_div('sum(p.mean_seconds)', 'count(*)') }} AS mean_seconds,
           {{ go_int_div('sum(p.std_dev_seconds)', 'count(*)') }} AS std_dev_seconds
    FROM scopes s CROSS JOIN bounds b
    JOIN {{ ref('semaphore_pipeline_performance') }} p
      ON p.project_id = s.project_id AND p.pipeline_file_name = s.pipeline_file_name
     AND p.branch_name = s.branch_name AND p.day BETWEEN b.range_from AND b.range_to AND p.count > 0
    GROUP BY s.project_id, s.scope, p.outcome
),
rel AS (
    SELECT s.project_id, s.scope, sum(r.all_count) AS all_count, sum(r.passed_count) AS passed_count,
           sum(r.failed_count) AS failed_count
    FROM scopes s CROSS JOIN bounds b
    JOIN {{ ref('semaphore_pipeline_reliability') }} r
      ON r.project_id = s.project_id AND r.pipeline_file_name = s.pipeline_file_name
     AND r.branch_name = s.branch_name AND r.day BETWEEN b.range_from AND b.range_to
    GROUP BY s.project_id, s.scope
),
freq AS (
    SELECT s.project_id, s.scope, sum(f.all_count) AS runs
    FROM scopes s CROSS JOIN bounds b
    JOIN {{ ref('semaphore_pipeline_frequency') }} f
      ON f.project_id = s.project_id AND f.pipeline_file_name = s.pipeline_file_name
     AND f.branch_name = s.branch_name AND f.day BETWEEN b.range_from AND b.range_to
    GROUP BY s.project_id, s.scope
),
mttr AS (
    SELECT s.project_id, s.scope,
           CAST(trunc(avg(e.recovery_seconds)) AS BIGINT) AS mean_time_to_recovery_seconds
    FROM scopes s CROSS JOIN bounds b
    JOIN {{ ref('semaphore_mttr_episodes') }} e
      ON e.project_id = s.project_id AND e.pipeline_file_name = s.pipeline_file_name
     AND e.passed_at >= {{ day_start('b.range_from') }} AND e.passed_at <= {{ day_start('b.range_to') }}
    GROUP BY s.project_id, s.scope
),
last_success AS (
    SELECT s.project_id, s.scope, max(r.done_at) AS last_successful_run_at
    FROM scopes s
    JOIN {{ ref('semaphore_pipeline_runs') }} r
      ON r.project_id = s.project_id AND r.pipeline_file_name = s.pipeline_file_name
     AND r.branch_name = s.branch_name AND r.result = 'PASSED'
    WHERE s.branch_name <> ''
    GROUP BY s.project_id, s.scope
)
SELECT s.project_id, s.scope, s.pipeline_file_name, s.branch_name, b.range_from, b.range_to,
       coalesce(pa.mean_seconds, 0) AS mean_seconds,
       coalesce(pa.std_dev_seconds, 0) AS std_dev_seconds,
       coalesce(pp.mean_seconds, 0) AS passed_mean_seconds,
       coalesce(pp.std_dev_seconds, 0) AS passed_std_dev_seconds,
       coalesce(pf.mean_seconds, 0) AS failed_mean_seconds,
       coalesce(pf.std_dev_seconds, 0) AS failed_std_dev_seconds,
       coalesce(rel.all_count, 0) AS all_count,
       coalesce(rel.passed_count, 0) AS passed_count,
       coalesce(rel.failed_count, 0) AS failed_count,
       CASE WHEN coalesce(rel.all_count, 0) > 0
            THEN CAST(floor(100.0 * rel.passed_count / rel.all_count + 0.5) AS BIGINT) END AS pass_rate_percent,
       coalesce(freq.runs, 0) AS runs,
       CAST(b.range_to - b.range_from AS BIGINT) AS range_days,
       coalesce(mttr.mean_time_to_recovery_seconds, 0) AS mean_time_to_recovery_seconds,
       ls.last_successful_run_at
FROM scopes s CROSS JOIN bounds b
LEFT JOIN perf pa ON pa.project_id = s.project_id AND pa.scope = s.scope AND pa.outcome = 'all'
LEFT JOIN perf pp ON pp.project_id = s.project_id AND pp.scope = s.scope AND pp.outcome = 'passed'
LEFT JOIN perf pf ON pf.project_id = s.project_id AND pf.scope = s.scope AND pf.outcome = 'failed'
LEFT JOIN rel ON rel.project_id = s.project_id AND rel.scope = s.scope
LEFT JOIN freq ON freq.project_id = s.project_id AND freq.scope = s.scope
LEFT JOIN mttr ON mttr.project_id = s.project_id AND mttr.scope = s.scope
LEFT JOIN last_success ls ON ls.project_id = s.project_id AND ls.scope = s.scope
ORDER BY s.project_id, s.scope
