-- pipeline_stages: where each pipeline's time goes, one row per pipeline.
--
-- All in seconds, NULL when either end is unset (the pipeline never reached that state, or is not there yet):
-- initialization_s = pending_at - created_at (compiling the YAML and initializing the pipeline);
-- pending_s        = queuing_at - pending_at (waiting to enter its queue);
-- queue_s          = running_at - queuing_at (waiting for earlier pipelines of the same queue);
-- run_s            = done_at - running_at (running its blocks and jobs);
-- total_s          = done_at - created_at.
-- day = the UTC date of done_at, as pipeline performance dates a pipeline (NULL while not done).
SELECT ppl_id, project_id, pipeline_file, branch_name, state, result, created_at, {{ utc_day('done_at') }} AS day,
       {{ seconds_between('created_at', 'pending_at') }} AS initialization_s,
       {{ seconds_between('pending_at', 'queuing_at') }} AS pending_s,
       {{ seconds_between('queuing_at', 'running_at') }} AS queue_s,
       {{ seconds_between('running_at', 'done_at') }} AS run_s,
       {{ seconds_between('created_at', 'done_at') }} AS total_s
FROM {{ ref('stg_pipelines') }}
ORDER BY project_id, created_at, ppl_id
