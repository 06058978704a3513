-- agent_utilization: how busy self-hosted agents are, per agent type and UTC day.
--
-- Jobs of a type = jobs whose machine_type is the agent type (it starts with `s1-` or is in agent_types).
-- as_of = the time the data describes: the latest of the completed loads' times, job finish times and
--   agent snapshot times. day_s = the day's elapsed seconds up to as_of (86400 for a day already over).
-- job_s = their run time (finish_time - start_time) falling within the day, per agent at most day_s (an
--   agent runs one job at a time); jobs = those started that day; job_agents = distinct agent_name among
--   the jobs running that day.
-- Agents are seen only through snapshots (the `agents` table gets one snapshot per load).
--   snapshot_agents = the type's agents in the latest snapshot taken before the day ends, else (days
--   before the first snapshot) in the earliest snapshot; NULL when the type was never in a snapshot.
-- agents = greatest(snapshot_agents, job_agents): an agent runs one job at a time, so the day had at
--   least as many agents as ran jobs. capacity_s = agents x day_s.
-- utilization = job_s / capacity_s, between 0 and 1 (NULL without capacity).
-- Observed windows: an agent (name, type, connected_at) is known to have been connected from connected_at
--   to the last snapshot that lists it. available_s = the type's observed agent time within the day;
--   busy_s = run time of jobs on those agents within their observed windows, per agent at most its
--   observed time; observed_utilization = busy_s / available_s, between 0 and 1 (NULL without observed
--   time); agents_observed = agents with observed time.
-- running_share_at_snapshots = mean over the day's snapshots of the share of the type's agents in state
--   RUNNING_JOB (NULL without a snapshot that day).
WITH self_hosted_jobs AS (
    SELECT j.machine_type AS agent_type, j.agent_name, j.start_time, j.finish_time
    FROM {{ ref('stg_jobs') }} j
    WHERE (j.machine_type LIKE 's1-%' OR j.machine_type IN (SELECT name FROM {{ ref('stg_agent_types') }}))
      AND j.start_time IS NOT NULL AND j.finish_time IS NOT NULL AND j.finish_time >= j.start_time
),
as_of AS (
    SELECT greatest((SELECT max(inserted_at) FROM {{ ref('stg_loads') }}),
                    (SELECT max(finish_time) FROM self_hosted_jobs),
                    (SELECT max(snapshot_at) FROM {{ ref('stg_agents') }})) AS as_of_at
),
job_days AS (
    SELECT s.agent_type, s.agent_name, d.day,
           {{ seconds_between('greatest(s.start_time, ' ~ day_start('d.day') ~ ')',
                              'least(s.finish_time, ' ~ day_start('d.day + 1') ~ ')') }} AS job_s,
           {{ utc_day('s.start_time') }} = d.day AS started_that_day
    FROM self_hosted_jobs s
    CROSS JOIN LATERAL {{ days_between(utc_day('s.start_time'), utc_day('s.finish_time')) }} d
),
day_length AS (
    SELECT days.day,
           greatest(least(86400.0, {{ seconds_between(day_start('days.day'), 'a.as_of_at') }}), 0) AS day_s
    FROM (SELECT DISTINCT day FROM job_days
          UNION SELECT DISTINCT {{ utc_day('snapshot_at') }} FROM {{ ref('stg_agents') }} WHERE snapshot_at IS NOT NULL
          UNION SELECT DISTINCT {{ utc_day('connected_at') }} FROM {{ ref('stg_agents') }} WHERE connected_at IS NOT NULL) days
    CROSS JOIN as_of a
),
agent_job_days AS (
    SELECT jd.agent_type, jd.agent_name, jd.day,
           least(sum(greatest(jd.job_s, 0)), max(dl.day_s)) AS job_s,
           count(*) FILTER (WHERE jd.started_that_day) AS jobs
    FROM job_days jd JOIN day_length dl ON dl.day = jd.day
    GROUP BY jd.agent_type, jd.agent_name, jd.day
),
job_totals AS (
    SELECT agent_type, day, sum(job_s) AS job_s, sum(jobs) AS jobs, count(DISTINCT agent_name) AS job_agents
    FROM agent_job_days GROUP BY agent_type, day
),
snapshots AS (
    SELECT type AS agent_type, snapshot_at, {{ utc_day('snapshot_at') }} AS day, count(DISTINCT name) AS agents,
           CAST(count(*) FILTER (WHERE state = 'RUNNING_JOB') AS {{ double() }}) / count(*) AS running_share
    FROM {{ ref('stg_agents') }} WHERE snapshot_at IS NOT NULL AND type IS NOT NULL
    GROUP BY type, snapshot_at
),
agent_windows AS (
    SELECT name, type AS agent_type, connected_at, max(snapshot_at) AS last_seen_at
    FROM {{ ref('stg_agents') }}
    WHERE connected_at IS NOT NULL AND snapshot_at IS NOT NULL AND type IS NOT NULL
    GROUP BY name, type, connected_at
    HAVING max(snapshot_at) > connected_at
),
agent_days AS (
    SELECT a.name, a.agent_type, a.connected_at, d.day,
           greatest(a.connected_at, {{ day_start('d.day') }}) AS lo,
           least(a.last_seen_at, {{ day_start('d.day + 1') }}) AS hi
    FROM agent_windows a
    CROSS JOIN LATERAL {{ days_between(utc_day('a.connected_at'), utc_day('a.last_seen_at')) }} d
),
available AS (
    SELECT agent_type, day, count(DISTINCT name) FILTER (WHERE hi > lo) AS agents_observed,
           sum(greatest({{ seconds_between('lo', 'hi') }}, 0)) AS available_s
    FROM agent_days GROUP BY agent_type, day
),
agent_busy AS (
    SELECT a.agent_type, a.day, a.name, a.connected_at,
           least(sum(greatest({{ seconds_between('greatest(j.start_time, a.lo)', 'least(j.finish_time, a.hi)') }}, 0)),
                 max(greatest({{ seconds_between('a.lo', 'a.hi') }}, 0))) AS busy_s
    FROM agent_days a
    JOIN self_hosted_jobs j ON j.agent_name = a.name AND j.agent_type = a.agent_type
    WHERE j.start_time < a.hi AND j.finish_time > a.lo
    GROUP BY a.agent_type, a.day, a.name, a.connected_at
),
busy AS (
    SELECT agent_type, day, sum(busy_s) AS busy_s FROM agent_busy GROUP BY agent_type, day
),
grid AS (
    SELECT agent_type, day FROM job_totals
    UNION SELECT agent_type, day FROM snapshots
    UNION SELECT agent_type, day FROM available
),
sized AS (
    SELECT g.agent_type, g.day,
           coalesce(
               (SELECT {{ arg_max('s.agents', 's.snapshot_at') }} FROM snapshots s
                WHERE s.agent_type = g.agent_type AND s.snapshot_at < {{ day_start('g.day + 1') }}),
               (SELECT {{ arg_min('s.agents', 's.snapshot_at') }} FROM snapshots s WHERE s.agent_type = g.agent_type)
           ) AS snapshot_agents
    FROM grid g
),
counted AS (
    SELECT z.agent_type, z.day, z.snapshot_agents,
           coalesce(jt.job_agents, 0) AS job_agents,
           greatest(coalesce(z.snapshot_agents, 0), coalesce(jt.job_agents, 0)) AS agents,
           coalesce(dl.day_s, 86400.0) AS day_s,
           coalesce(jt.job_s, 0) AS job_s,
           coalesce(jt.jobs, 0) AS jobs
    FROM sized z
    LEFT JOIN job_totals jt ON jt.agent_type = z.agent_type AND jt.day = z.day
    LEFT JOIN day_length dl ON dl.day = z.day
)
SELECT c.agent_type, c.day, c.snapshot_agents, c.job_agents, c.agents,
       CAST(c.agents * c.day_s AS {{ double() }}) AS capacity_s,
       CAST(c.job_s AS {{ double() }}) AS job_s,
       c.jobs,
       CASE WHEN c.agents * c.day_s > 0 THEN CAST(c.job_s AS {{ double() }}) / (c.agents * c.day_s) END AS utilization,
       coalesce(av.agents_observed, 0) AS agents_observed,
       CAST(coalesce(av.available_s, 0) AS {{ double() }}) AS available_s,
       CAST(coalesce(b.busy_s, 0) AS {{ double() }}) AS busy_s,
       CASE WHEN av.available_s > 0 THEN CAST(coalesce(b.busy_s, 0) AS {{ double() }}) / av.available_s END AS observed_utilization,
       sd.running_share_at_snapshots
FROM counted c
LEFT JOIN available av ON av.agent_type = c.agent_type AND av.day = c.day
LEFT JOIN busy b ON b.agent_type = c.agent_type AND b.day = c.day
LEFT JOIN (SELECT agent_type, day, avg(running_share) AS running_share_at_snapshots
           FROM snapshots GROUP BY agent_type, day) sd ON sd.agent_type = c.agent_type AND sd.day = c.day
ORDER BY c.agent_type, c.day
