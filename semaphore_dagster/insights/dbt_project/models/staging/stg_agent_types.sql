-- The `agent_types` rows of completed loads, every contract column typed (macros/staging.sql).
{{ staged_source('agent_types') }}
