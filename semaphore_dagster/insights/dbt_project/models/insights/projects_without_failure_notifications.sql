-- projects_without_failure_notifications: projects a failed pipeline of which notifies nobody, or only on
-- some branches or pipeline files.
--
-- Rules = every rule of every notification (notifications.rules), matched as Semaphore's notifications
--   service matches a finished pipeline (see docs/insights.md for its source):
--   project: some filter.projects entry equals the project's name, or is written /re/ and the name
--     contains a match of the regular expression re (PostgreSQL `~`: unanchored, case-sensitive).
--     An empty filter.projects matches no project (Semaphore stores no project pattern for it).
--   result: filter.results is empty or missing (every result), or an entry equals `failed` or is a /re/
--     matching `failed`.
--   target: notify.slack, notify.email or notify.webhook is set with status other than INACTIVE.
--   restricted: filter.branches, filter.pipelines or filter.tags has an entry other than /.*/: the rule
--     notifies only some of the project's failed pipelines. filter.states and filter.blocks are ignored
--     (a pipeline-finished notification does not consult them).
-- A project is covered when a rule matches its project and result, has a target and is not restricted.
-- One row per project (projects) that is not covered. coverage = PARTIAL when some matching rule with a
--   target is restricted, else NONE. partial_rules = those rules, inactive_rules = matching unrestricted
--   rules without an active target, each as `notification / rule`, comma-separated (NULL when none).
WITH rules AS (
    SELECT n.id AS notification_id, n.name AS notification_name, r.idx AS rule_idx, r.value AS rule,
           coalesce(n.name, n.id) || ' / ' || coalesce({{ json_text('r.value', ['name']) }}, '#' || CAST(r.idx AS {{ contract_type('text') }})) AS label
    FROM {{ ref('stg_notifications') }} n
    CROSS JOIN LATERAL {{ json_items('n.rules') }} r
),
terms AS (
    SELECT rules.notification_id, rules.rule_idx, t.kind, t.value AS term
    FROM rules
    CROSS JOIN LATERAL (
        {%- for kind in ['projects', 'results', 'branches', 'pipelines', 'tags'] %}
        SELECT '{{ kind }}' AS kind, e.value FROM {{ json_strings('rules.rule', ['filter', kind]) }} e
        {{- " UNION ALL" if not loop.last }}
        {%- endfor %}
    ) t
),
{%- set matches -%}
    (t.term = {value} OR (length(t.term) >= 2 AND t.term LIKE '/%/'
                          AND {{ regex_search('{value}', "substr(t.term, 2, length(t.term) - 2)") }}))
{%- endset %}
classified AS (
    SELECT rules.notification_id, rules.rule_idx, rules.label,
           NOT EXISTS (SELECT 1 FROM terms t WHERE t.notification_id = rules.notification_id
                       AND t.rule_idx = rules.rule_idx AND t.kind = 'results')
           OR EXISTS (SELECT 1 FROM terms t WHERE t.notification_id = rules.notification_id
                      AND t.rule_idx = rules.rule_idx AND t.kind = 'results'
                      AND {{ matches | replace('{value}', "'failed'") }}) AS on_failure,
           EXISTS (SELECT 1 FROM terms t WHERE t.notification_id = rules.notification_id
                   AND t.rule_idx = rules.rule_idx AND t.kind IN ('branches', 'pipelines', 'tags')
                   AND t.term <> '/.*/') AS restricted,
           {%- for target in ['slack', 'email', 'webhook'] %}
           ({{ json_is_object('rules.rule', ['notify', target]) }}
            AND coalesce({{ json_text('rules.rule', ['notify', target, 'status']) }}, '') <> 'INACTIVE'){{ " OR" if not loop.last else " AS has_target" }}
           {%- endfor %}
    FROM rules
),
project_rules AS (
    SELECT pr.id AS project_id, c.label, c.restricted, c.has_target
    FROM {{ ref('stg_projects') }} pr
    JOIN classified c ON c.on_failure
    WHERE EXISTS (SELECT 1 FROM terms t WHERE t.notification_id = c.notification_id
                  AND t.rule_idx = c.rule_idx AND t.kind = 'projects'
                  AND {{ matches | replace('{value}', 'pr.name') }})
)
SELECT pr.id AS project_id, pr.name AS project_name,
       CASE WHEN EXISTS (SELECT 1 FROM project_rules x WHERE x.project_id = pr.id AND x.has_target AND x.restricted)
            THEN 'PARTIAL' ELSE 'NONE' END AS coverage,
       (SELECT string_agg(x.label, ', ' ORDER BY x.label) FROM project_rules x
        WHERE x.project_id = pr.id AND x.has_target AND x.restricted) AS partial_rules,
       (SELECT string_agg(x.label, ', ' ORDER BY x.label) FROM project_rules x
        WHERE x.project_id = pr.id AND NOT x.has_target AND NOT x.restricted) AS inactive_rules
FROM {{ ref('stg_projects') }} pr
WHERE pr.id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM project_rules x WHERE x.project_id = pr.id AND x.has_target AND NOT x.restricted)
ORDER BY coverage, project_name, project_id
