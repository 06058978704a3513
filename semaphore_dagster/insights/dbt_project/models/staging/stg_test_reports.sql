-- The `test_reports` rows of completed loads, every contract column typed (macros/staging.sql).
{{ staged_source('test_reports') }}
