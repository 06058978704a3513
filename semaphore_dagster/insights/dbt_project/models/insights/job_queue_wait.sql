-- job_queue_wait: how long jobs wait for a machine, per runner kind, machine type, OS image and day.
--
-- wait_s = start_time - create_time of a job (Jobs API times), for jobs with both set.
-- runner = SELF_HOSTED when machine_type is a self-hosted agent type (it starts with `s1-` or is listed in
--   agent_types), else CLOUD; for a self-hosted job machine_type is the agent type's name.
-- day = the UTC date of the job's pipeline's done_at (as performance dates it; else the job's finish_time,
--   else its create_time). jobs = count; mean_s; median_s and p95_s by linear interpolation
--   (quantile_cont); max_s.
WITH jobs AS (
    SELECT j.machine_type, j.os_image, coalesce(p.done_at, j.finish_time, j.create_time) AS dated_at,
           {{ seconds_between('j.create_time', 'j.start_time') }} AS wait_s,
           CASE WHEN j.machine_type LIKE 's1-%' OR t.name IS NOT NULL THEN 'SELF_HOSTED' ELSE 'CLOUD' END AS runner
    FROM {{ ref('stg_jobs') }} j
    LEFT JOIN (SELECT DISTINCT name FROM {{ ref('stg_agent_types') }}) t ON t.name = j.machine_type
    LEFT JOIN {{ ref('stg_pipelines') }} p ON p.ppl_id = j.ppl_id
    WHERE j.create_time IS NOT NULL AND j.start_time IS NOT NULL
)
SELECT runner, machine_type, os_image, {{ utc_day('dated_at') }} AS day,
       count(*) AS jobs,
       avg(wait_s) AS mean_s,
       {{ median('wait_s') }} AS median_s,
       {{ percentile_cont('wait_s', 0.95) }} AS p95_s,
       max(wait_s) AS max_s
FROM jobs
GROUP BY runner, machine_type, os_image, {{ utc_day('dated_at') }}
ORDER BY runner, machine_type, os_image, day
