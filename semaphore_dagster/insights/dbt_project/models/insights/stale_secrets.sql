-- stale_secrets: secrets no job has checked out for stale_secret_days days, or ever.
--
-- N = stale_secret_days (dbt var, else SEMAPHORE_INSIGHTS_STALE_SECRET_DAYS; default 90).
-- as_of = when the secret's row was loaded (the inserted_at of its completed load; the current time for
--   a row without a load id): the API's checkout_at is the last checkout as of then.
-- One row per secret (organization and project secrets) with checkout_at NULL (never_checked_out = true)
--   or checkout_at <= as_of - N days. days_since_checkout = whole days from checkout_at to as_of (NULL when
--   never); days_since_created likewise from create_time. Names and metadata only: the loaded tables
--   hold no secret values.
SELECT s.id AS secret_id, s.name, s.scope, s.project_id,
       s.create_time, s.update_time, s.checkout_at,
       s.checkout_at IS NULL AS never_checked_out,
       coalesce(l.inserted_at, current_timestamp) AS as_of,
       CAST(floor({{ seconds_between('s.checkout_at', 'coalesce(l.inserted_at, current_timestamp)') }} / 86400) AS BIGINT) AS days_since_checkout,
       CAST(floor({{ seconds_between('s.create_time', 'coalesce(l.inserted_at, current_timestamp)') }} / 86400) AS BIGINT) AS days_since_created,
       c.stale_secret_days
FROM {{ ref('stg_secrets') }} s
CROSS JOIN {{ ref('insights_config') }} c
LEFT JOIN {{ ref('stg_loads') }} l ON l.load_id = s._dlt_load_id
WHERE s.id IS NOT NULL
  AND (s.checkout_at IS NULL
       OR s.checkout_at <= coalesce(l.inserted_at, current_timestamp) - c.stale_secret_days * INTERVAL '1 day')
ORDER BY never_checked_out DESC, s.checkout_at, s.name, s.id
