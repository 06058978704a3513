-- The project's default branch as the data shows it: `main` or `master` (the one with more pipelines),
-- else the branch with the most pipelines; ties broken by name.
SELECT project_id,
       {{ arg_max('branch_name', ["CASE WHEN branch_name IN ('main', 'master') THEN 1 ELSE 0 END", 'n', 'branch_name']) }} AS branch_name
FROM (SELECT project_id, branch_name, count(*) AS n
      FROM {{ ref('stg_pipelines') }} WHERE branch_name IS NOT NULL GROUP BY project_id, branch_name) counted
GROUP BY project_id
