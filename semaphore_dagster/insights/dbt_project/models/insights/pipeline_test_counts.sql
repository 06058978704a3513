-- pipeline_test_counts: how many tests each pipeline ran and how they ended, one row per pipeline.
--
-- From test_reports with outcome OK, one row per pipeline (ppl_id) that has one; project_id,
--   branch_name, pipeline_file, commit_sha, done_at from the pipeline (project_id else the report's).
-- reports = OK reports of the pipeline's own jobs; total, passed, failed, errors, skipped, disabled,
--   duration_s = the sums of those reports' counts and duration_seconds.
-- A job reused by a partial re-run (source_job_id set) ran no tests in this pipeline: its report is the
--   source job's, counted in the pipeline that ran it. reused_reports, reused_total = such reports and
--   their tests, kept apart (never in total).
-- day = the UTC date of done_at (else of the latest report's finish_time).
SELECT r.ppl_id,
       coalesce(p.project_id, max(r.project_id)) AS project_id,
       p.branch_name, p.pipeline_file, p.commit_sha, p.done_at,
       coalesce({{ utc_day('p.done_at') }}, {{ utc_day('max(r.finish_time)') }}) AS day,
       count(*) FILTER (WHERE r.source_job_id IS NULL) AS reports,
       CAST(coalesce(sum(r.total) FILTER (WHERE r.source_job_id IS NULL), 0) AS BIGINT) AS total,
       CAST(coalesce(sum(r.passed) FILTER (WHERE r.source_job_id IS NULL), 0) AS BIGINT) AS passed,
       CAST(coalesce(sum(r.failed) FILTER (WHERE r.source_job_id IS NULL), 0) AS BIGINT) AS failed,
       CAST(coalesce(sum(r.errors) FILTER (WHERE r.source_job_id IS NULL), 0) AS BIGINT) AS errors,
       CAST(coalesce(sum(r.skipped) FILTER (WHERE r.source_job_id IS NULL), 0) AS BIGINT) AS skipped,
       CAST(coalesce(sum(r.disabled) FILTER (WHERE r.source_job_id IS NULL), 0) AS BIGINT) AS disabled,
       coalesce(sum(r.duration_seconds) FILTER (WHERE r.source_job_id IS NULL), 0) AS duration_s,
       count(*) FILTER (WHERE r.source_job_id IS NOT NULL) AS reused_reports,
       CAST(coalesce(sum(r.total) FILTER (WHERE r.source_job_id IS NOT NULL), 0) AS BIGINT) AS reused_total
FROM {{ ref('stg_test_reports') }} r
LEFT JOIN {{ ref('stg_pipelines') }} p ON p.ppl_id = r.ppl_id
WHERE r.outcome = 'OK' AND r.ppl_id IS NOT NULL
GROUP BY r.ppl_id, p.project_id, p.branch_name, p.pipeline_file, p.commit_sha, p.done_at
ORDER BY day, done_at, ppl_id
