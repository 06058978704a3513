-- The `job_log_events` rows of completed loads, every contract column typed (macros/staging.sql).
{{ staged_source('job_log_events') }}
