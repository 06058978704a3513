{{ config(materialized='table') }}
-- semaphore_metric_scopes: per project, the branches and pipeline files Semaphore computes and shows.
--
-- ci_branch / cd_branch: the ci_branch / cd_branch setting (dbt var, else SEMAPHORE_INSIGHTS_CI_BRANCH /
--   _CD_BRANCH), else the project's default branch. Semaphore takes the repository's default branch from
--   its own project service; the public projects API does not carry it, so here it is the default branch
--   as the data shows it (model default_branch: main or master, whichever has more pipelines, else the
--   busiest branch). Daily metrics exist for these two branches and for '' (all branches).
-- ci_pipeline_file: the ci_pipeline_file setting, else the project's pipeline file from the projects API
--   (repository.pipeline_file, Semaphore's initial pipeline file), else .semaphore/semaphore.yml.
-- cd_pipeline_file / cd_summary_branch: the CD summary Semaphore's page shows exists only when a CD
--   pipeline file is set; it reads the cd_branch setting as given ('' = all branches).
{%- set ci_branch = insights_setting('ci_branch') %}
{%- set cd_branch = insights_setting('cd_branch') %}
{%- set ci_file = insights_setting('ci_pipeline_file') %}
{%- set cd_file = insights_setting('cd_pipeline_file') %}
SELECT ids.project_id,
       coalesce({{ sql_literal(ci_branch) }}, d.branch_name, 'main') AS ci_branch,
       coalesce({{ sql_literal(cd_branch) }}, d.branch_name, 'main') AS cd_branch,
       coalesce({{ sql_literal(ci_file) }}, nullif(pr.repository__pipeline_file, ''), '.semaphore/semaphore.yml') AS ci_pipeline_file,
       CAST({{ sql_literal(cd_file) }} AS {{ contract_type('text') }}) AS cd_pipeline_file,
       CAST('{{ cd_branch | replace("'", "''") }}' AS {{ contract_type('text') }}) AS cd_summary_branch
FROM (SELECT project_id FROM {{ ref('stg_pipelines') }} WHERE project_id IS NOT NULL
      UNION SELECT id FROM {{ ref('stg_projects') }} WHERE id IS NOT NULL) ids
LEFT JOIN {{ ref('stg_projects') }} pr ON pr.id = ids.project_id
LEFT JOIN {{ ref('default_branch') }} d ON d.project_id = ids.project_id
