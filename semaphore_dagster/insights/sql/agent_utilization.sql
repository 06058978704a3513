-- agent_utilization: how busy self-hosted agents are, per agent type and UTC day.
--
-- Jobs of a type = jobs whose machine_type is the agent type (it starts with `s1-` or is in agent_types).
-- job_s = their run time (finish_time - start_time) falling within the day; jobs = those started that day;
--   job_agents = distinct agent_name among the jobs running that day.
-- Agents are seen only through snapshots (the `agents` table gets one snapshot per load).
--   snapshot_agents = the type's agents in the latest snapshot taken before the day ends, else (days
--   before the first snapshot) in the earliest snapshot; NULL when the type was never in a snapshot.
-- agents = greatest(snapshot_agents, job_agents): an agent runs one job at a time, so the day had at
--   least as many agents as ran jobs. capacity_s = agents x 86400.
-- utilization = job_s / capacity_s, between 0 and 1 (NULL without capacity).
-- Observed windows: an agent (name, type, connected_at) is known to have been connected from connected_at
--   to the last snapshot that lists it. available_s = the type's observed agent time within the day;
--   busy_s = run time of jobs on those agents within their observed windows; observed_utilization =
--   busy_s / available_s (NULL without observed time); agents_observed = agents with observed time.
-- running_share_at_snapshots = mean over the day's snapshots of the share of the type's agents in state
--   RUNNING_JOB (NULL without a snapshot that day).
WITH self_hosted_jobs AS (
    SELECT j.machine_type AS agent_type, j.agent_name, j.start_time, j.finish_time
    FROM src_jobs j
    WHERE (j.machine_type LIKE 's1-%' OR j.machine_type IN (SELECT name FROM src_agent_types))
      AND j.start_time IS NOT NULL AND j.finish_time IS NOT NULL AND j.finish_time >= j.start_time
),
job_days AS (
    SELECT s.agent_type, s.agent_name, d.day,
           seconds_between(greatest(s.start_time, d.day::TIMESTAMPTZ),
                           least(s.finish_time, (d.day + 1)::TIMESTAMPTZ)) AS job_s,
           utc_day(s.start_time) = d.day AS started_that_day
    FROM self_hosted_jobs s,
         LATERAL (SELECT unnest(generate_series(utc_day(s.start_time), utc_day(s.finish_time), INTERVAL 1 DAY))::DATE
                  AS day) d
),
job_totals AS (
    SELECT agent_type, day, sum(greatest(job_s, 0)) AS job_s, count(*) FILTER (WHERE started_that_day) AS jobs,
           count(DISTINCT agent_name) AS job_agents
    FROM job_days GROUP BY agent_type, day
),
snapshots AS (
    SELECT type AS agent_type, snapshot_at, utc_day(snapshot_at) AS day, count(DISTINCT name) AS agents,
           (count(*) FILTER (WHERE state = 'RUNNING_JOB'))::DOUBLE / count(*) AS running_share
    FROM src_agents WHERE snapshot_at IS NOT NULL AND type IS NOT NULL
    GROUP BY type, snapshot_at
),
agent_windows AS (
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
         LATERAL (SELECT unnest(generate_series(utc_day(a.connected_at), utc_day(a.last_seen_at), INTERVAL 1 DAY))::DATE
                  AS day) d
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
    JOIN self_hosted_jobs j ON j.agent_name = a.name AND j.agent_type = a.agent_type
    WHERE j.start_time < a.hi AND j.finish_time > a.lo
    GROUP BY a.agent_type, a.day
),
grid AS (
    SELECT agent_type, day FROM job_totals
    UNION SELECT agent_type, day FROM snapshots
    UNION SELECT agent_type, day FROM available
),
sized AS (
    SELECT g.agent_type, g.day,
           coalesce(
               (SELECT arg_max(s.agents, s.snapshot_at) FROM snapshots s
                WHERE s.agent_type = g.agent_type AND s.snapshot_at < (g.day + 1)::TIMESTAMPTZ),
               (SELECT arg_min(s.agents, s.snapshot_at) FROM snapshots s WHERE s.agent_type = g.agent_type)
           ) AS snapshot_agents
    FROM grid g
)
SELECT z.agent_type, z.day, z.snapshot_agents,
       coalesce(jt.job_agents, 0) AS job_agents,
       greatest(coalesce(z.snapshot_agents, 0), coalesce(jt.job_agents, 0)) AS agents,
       86400.0::DOUBLE * greatest(coalesce(z.snapshot_agents, 0), coalesce(jt.job_agents, 0)) AS capacity_s,
       coalesce(jt.job_s, 0) AS job_s,
       coalesce(jt.jobs, 0) AS jobs,
       CASE WHEN greatest(coalesce(z.snapshot_agents, 0), coalesce(jt.job_agents, 0)) > 0
            THEN coalesce(jt.job_s, 0) / (86400.0::DOUBLE * greatest(coalesce(z.snapshot_agents, 0), coalesce(jt.job_agents, 0)))
       END AS utilization,
       coalesce(av.agents_observed, 0) AS agents_observed,
       coalesce(av.available_s, 0) AS available_s,
       coalesce(b.busy_s, 0) AS busy_s,
       CASE WHEN av.available_s > 0 THEN coalesce(b.busy_s, 0) / av.available_s END AS observed_utilization,
       sd.running_share_at_snapshots
FROM sized z
LEFT JOIN job_totals jt USING (agent_type, day)
LEFT JOIN available av USING (agent_type, day)
LEFT JOIN busy b USING (agent_type, day)
LEFT JOIN (SELECT agent_type, day, avg(running_share) AS running_share_at_snapshots FROM snapshots GROUP BY ALL) sd
    USING (agent_type, day)
ORDER BY z.agent_type, z.day
