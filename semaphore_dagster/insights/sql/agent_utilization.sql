-- agent_utilization: how busy self-hosted agents are, per agent type and UTC day.
--
-- Agents are only seen through snapshots (the `agents` table gets one snapshot per load). An agent
-- (name, type, connected_at) is known to have been connected from connected_at to the last snapshot_at
-- that lists it: its observed window.
-- available_s = the sum over the type's agents of their observed window within the day.
-- busy_s = the sum of job run time (finish_time - start_time, cut to the day and to the agent's observed
--   window) of jobs whose agent_name is one of those agents. utilization = busy_s / available_s (between 0
--   and 1 as an agent runs one job at a time; NULL without available time).
-- job_s = the run time within the day of every job whose machine_type is the agent type, whatever agent
--   ran it (agents gone before any snapshot included); jobs = those jobs started that day.
-- agents_observed = agents with observed time that day. running_share_at_snapshots = the mean, over the
--   snapshots taken that day, of the share of the type's agents in state RUNNING_JOB (NULL without one).
WITH agent_windows AS (
    SELECT name, type AS agent_type, connected_at, max(snapshot_at) AS last_seen_at
    FROM src_agents
    WHERE connected_at IS NOT NULL AND snapshot_at IS NOT NULL AND type IS NOT NULL
    GROUP BY name, type, connected_at
    HAVING max(snapshot_at) > connected_at
),
agent_days AS (
    SELECT a.*, d.day,
           greatest(a.connected_at, d.day::TIMESTAMPTZ) AS lo,
           least(a.last_seen_at, (d.day + 1)::TIMESTAMPTZ) AS hi
    FROM agent_windows a,
         LATERAL (SELECT unnest(generate_series(utc_day(a.connected_at), utc_day(a.last_seen_at), INTERVAL 1 DAY))::DATE AS day) d
),
available AS (
    SELECT agent_type, day, count(DISTINCT name) FILTER (WHERE hi > lo) AS agents_observed,
           sum(greatest(seconds_between(lo, hi), 0)) AS available_s
    FROM agent_days GROUP BY agent_type, day
),
busy AS (
    SELECT a.agent_type, a.day,
           sum(greatest(seconds_between(greatest(j.start_time, a.lo), least(j.finish_time, a.hi)), 0)) AS busy_s
    FROM agent_days a
    JOIN src_jobs j ON j.agent_name = a.name AND j.machine_type = a.agent_type
    WHERE j.start_time IS NOT NULL AND j.finish_time IS NOT NULL AND j.start_time < a.hi AND j.finish_time > a.lo
    GROUP BY a.agent_type, a.day
),
self_hosted_jobs AS (
    SELECT j.machine_type AS agent_type, j.start_time, j.finish_time
    FROM src_jobs j
    WHERE (j.machine_type LIKE 's1-%' OR j.machine_type IN (SELECT name FROM src_agent_types))
      AND j.start_time IS NOT NULL AND j.finish_time IS NOT NULL AND j.finish_time >= j.start_time
),
job_days AS (
    SELECT s.agent_type, d.day,
           seconds_between(greatest(s.start_time, d.day::TIMESTAMPTZ), least(s.finish_time, (d.day + 1)::TIMESTAMPTZ)) AS job_s,
           utc_day(s.start_time) = d.day AS started_that_day
    FROM self_hosted_jobs s,
         LATERAL (SELECT unnest(generate_series(utc_day(s.start_time), utc_day(s.finish_time), INTERVAL 1 DAY))::DATE AS day) d
),
job_totals AS (
    SELECT agent_type, day, sum(greatest(job_s, 0)) AS job_s, count(*) FILTER (WHERE started_that_day) AS jobs
    FROM job_days GROUP BY agent_type, day
),
snapshots AS (
    SELECT type AS agent_type, snapshot_at, utc_day(snapshot_at) AS day,
           (count(*) FILTER (WHERE state = 'RUNNING_JOB'))::DOUBLE / count(*) AS running_share
    FROM src_agents WHERE snapshot_at IS NOT NULL AND type IS NOT NULL
    GROUP BY type, snapshot_at
),
snapshot_days AS (
    SELECT agent_type, day, avg(running_share) AS running_share_at_snapshots FROM snapshots GROUP BY ALL
),
grid AS (
    SELECT agent_type, day FROM available
    UNION SELECT agent_type, day FROM job_totals
    UNION SELECT agent_type, day FROM snapshot_days
)
SELECT g.agent_type, g.day,
       coalesce(av.agents_observed, 0) AS agents_observed,
       coalesce(av.available_s, 0) AS available_s,
       coalesce(b.busy_s, 0) AS busy_s,
       CASE WHEN av.available_s > 0 THEN coalesce(b.busy_s, 0) / av.available_s END AS utilization,
       coalesce(jt.job_s, 0) AS job_s,
       coalesce(jt.jobs, 0) AS jobs,
       sd.running_share_at_snapshots
FROM grid g
LEFT JOIN available av USING (agent_type, day)
LEFT JOIN busy b USING (agent_type, day)
LEFT JOIN job_totals jt USING (agent_type, day)
LEFT JOIN snapshot_days sd USING (agent_type, day)
ORDER BY g.agent_type, g.day
