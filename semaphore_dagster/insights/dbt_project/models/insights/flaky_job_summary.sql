-- flaky_job_summary: flaky_jobs rolled up per (project, pipeline file, job name), flakiest first.
--
-- flaky_commits = commits on which the job was flaky (see flaky_jobs); runs, flips = sums over those
-- commits; flip_rate = flips / (runs - flaky_commits), i.e. flips per consecutive pair of runs, between
-- 0 and 1; last_seen = the latest run of the job on a flaky commit.
SELECT project_id, pipeline_file, job_name,
       count(*) AS flaky_commits,
       sum(runs) AS runs,
       sum(flips) AS flips,
       CAST(sum(flips) AS {{ double() }}) / (sum(runs) - count(*)) AS flip_rate,
       max(last_seen) AS last_seen
FROM {{ ref('flaky_jobs') }}
GROUP BY project_id, pipeline_file, job_name
ORDER BY flaky_commits DESC, flips DESC, last_seen DESC, project_id, pipeline_file, job_name
