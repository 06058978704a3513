-- test_counts_daily: tests run per project and UTC day, summed from pipeline_test_counts.
--
-- One row per (project_id, day) of pipeline_test_counts (day = the UTC date of the pipeline's done_at).
-- pipelines = pipelines with a test report of their own jobs (reports > 0); reports, total, passed,
-- failed, errors, skipped, disabled = sums (reused jobs' reports excluded, as there);
-- failed_share = (failed + errors) / total, between 0 and 1 (NULL when total is 0).
SELECT project_id, day,
       count(*) FILTER (WHERE reports > 0) AS pipelines,
       CAST(sum(reports) AS BIGINT) AS reports,
       CAST(sum(total) AS BIGINT) AS total,
       CAST(sum(passed) AS BIGINT) AS passed,
       CAST(sum(failed) AS BIGINT) AS failed,
       CAST(sum(errors) AS BIGINT) AS errors,
       CAST(sum(skipped) AS BIGINT) AS skipped,
       CAST(sum(disabled) AS BIGINT) AS disabled,
       CAST(sum(failed) + sum(errors) AS {{ double() }}) / nullif(sum(total), 0) AS failed_share
FROM {{ ref('pipeline_test_counts') }}
GROUP BY project_id, day
ORDER BY day, project_id
