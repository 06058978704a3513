-- flaky_jobs: jobs that both passed and failed on the same code, one row per (project, pipeline file, commit, job name).
--
-- Runs = jobs with result PASSED or FAILED (STOPPED and unfinished jobs are ignored), joined to their
--   pipeline for project_id, pipeline_file, commit_sha and branch; ordered by finish_time (else start_time,
--   else create_time), ties by job_id. Only runs of the rolling window: the flaky_window_days (dbt var, else
--   SEMAPHORE_INSIGHTS_FLAKY_WINDOW_DAYS; default 14; 0 = all history) days up to the latest run in the data.
-- A group (project_id, pipeline_file, commit_sha, job_name) is flaky when it has at least one PASSED and
--   one FAILED run.
-- runs, passed_runs, failed_runs = counts; flips = consecutive runs (in that order) whose results differ;
--   flip_rate = flips / (runs - 1), between 0 and 1; first_seen / last_seen = the earliest / latest run
--   time; last_result = the latest run's result; branches = the distinct branches, comma-separated.
WITH runs AS (
    SELECT coalesce(p.project_id, j.project_id) AS project_id, p.pipeline_file, p.commit_sha, p.branch_name,
           j.name AS job_name, j.job_id, j.result,
           coalesce(j.finish_time, j.start_time, j.create_time) AS seen_at
    FROM {{ ref('stg_jobs') }} j JOIN {{ ref('stg_pipelines') }} p ON p.ppl_id = j.ppl_id
    WHERE j.result IN ('PASSED', 'FAILED') AND p.commit_sha IS NOT NULL AND j.name IS NOT NULL
),
{%- set raw_window = var('flaky_window_days', '') | string | trim %}
{%- if raw_window == '' %}{% set raw_window = env_var('SEMAPHORE_INSIGHTS_FLAKY_WINDOW_DAYS', '14') | trim or '14' %}{% endif %}
{%- set window_days = raw_window | int %}
windowed AS (
    SELECT runs.* FROM runs
    {%- if window_days > 0 %}
    WHERE seen_at > (SELECT max(seen_at) FROM runs) - INTERVAL '{{ window_days }} days'
    {%- endif %}
),
ordered AS (
    SELECT runs.*, lag(result) OVER (PARTITION BY project_id, pipeline_file, commit_sha, job_name
                                     ORDER BY seen_at, job_id) AS prev_result
    FROM windowed runs
)
SELECT project_id, pipeline_file, commit_sha, job_name,
       count(*) AS runs,
       count(*) FILTER (WHERE result = 'PASSED') AS passed_runs,
       count(*) FILTER (WHERE result = 'FAILED') AS failed_runs,
       count(*) FILTER (WHERE prev_result IS NOT NULL AND prev_result <> result) AS flips,
       CAST(count(*) FILTER (WHERE prev_result IS NOT NULL AND prev_result <> result) AS {{ double() }})
           / (count(*) - 1) AS flip_rate,
       min(seen_at) AS first_seen,
       max(seen_at) AS last_seen,
       {{ arg_max('result', ['seen_at', 'job_id']) }} AS last_result,
       string_agg(DISTINCT branch_name, ',' ORDER BY branch_name) AS branches
FROM ordered
GROUP BY project_id, pipeline_file, commit_sha, job_name
HAVING count(*) FILTER (WHERE result = 'PASSED') > 0 AND count(*) FILTER (WHERE result = 'FAILED') > 0
ORDER BY last_seen DESC, project_id, pipeline_file, commit_sha, job_name
