-- The `pipelines` rows of completed loads, every contract column typed (macros/staging.sql).
-- pipeline_file is derived by the loader; derived here too when a load lacks it.
{{ staged_source('pipelines', overrides={
    'pipeline_file': "coalesce(pipeline_file, working_directory || '/' || yaml_file_name)"
}) }}
