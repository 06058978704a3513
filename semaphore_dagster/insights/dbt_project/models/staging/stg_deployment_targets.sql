-- The `deployment_targets` rows of completed loads, every contract column typed (macros/staging.sql).
{{ staged_source('deployment_targets') }}
