-- failing_commands: the commands that fail most, from the job logs, per project.
--
-- A failure = a job log event CMD_FINISHED with a non-zero exit_code. project_id comes from the job.
-- One row per (project_id, directive): failures = such events; jobs = distinct jobs; job_names =
-- distinct job names; exit_codes = the distinct non-zero codes, comma-separated; last_failed_at = the
-- latest finished_at (else the event timestamp); mean_duration_s = mean finished_at - started_at;
-- rank = 1 for the project's most frequent failing command (ties share a rank).
SELECT j.project_id, e.directive,
       count(*) AS failures,
       count(DISTINCT e.job_id) AS jobs,
       count(DISTINCT j.name) AS job_names,
       string_agg(DISTINCT CAST(e.exit_code AS {{ contract_type('text') }}), ','
                  ORDER BY CAST(e.exit_code AS {{ contract_type('text') }})) AS exit_codes,
       max(coalesce(e.finished_at, e.timestamp)) AS last_failed_at,
       avg({{ seconds_between('e.started_at', 'e.finished_at') }}) AS mean_duration_s,
       rank() OVER (PARTITION BY j.project_id ORDER BY count(*) DESC) AS rank
FROM {{ ref('stg_job_log_events') }} e
LEFT JOIN {{ ref('stg_jobs') }} j ON j.job_id = e.job_id
WHERE e.event = 'CMD_FINISHED' AND e.exit_code IS NOT NULL AND e.exit_code <> 0
GROUP BY j.project_id, e.directive
ORDER BY j.project_id, rank, e.directive
