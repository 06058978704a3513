-- The `notifications` rows of completed loads, every contract column typed (macros/staging.sql).
{{ staged_source('notifications') }}
