"""The headline numbers of each insight table as a small markdown table (shown in the Dagster UI).

The queries are DuckDB SQL over a local copy of the insight tables (`local_copy`), so they read the same on a
DuckDB file and on PostgreSQL. Every cell is escaped: branch, job and command names come from the API and
must not become links, images or HTML in the UI.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import duckdb

from semaphore_dagster.insights.config import INSIGHTS_SCHEMA
from semaphore_dagster.insights.runner import Query

S = INSIGHTS_SCHEMA
MAX_ROWS = 10

# insight -> a query over its table returning at most a handful of rows worth reading first.
HEADLINE_SQL: dict[str, str] = {
    "pipeline_performance": f"""
        SELECT pipeline_file, branch_name, sum(pipelines) AS pipelines,
               round(sum(mean_s * pipelines) / sum(pipelines), 1) AS mean_s, round(max(p95_s), 1) AS worst_day_p95_s
        FROM {S}.pipeline_performance WHERE outcome = 'ALL'
        GROUP BY ALL ORDER BY pipelines DESC LIMIT {MAX_ROWS}""",
    "pipeline_reliability": f"""
        SELECT pipeline_file, branch_name, sum(all_count) AS finished, sum(passed_count) AS passed,
               sum(failed_count) AS failed, sum(stopped_count) AS stopped, sum(canceled_count) AS canceled,
               round(sum(passed_count) / nullif(sum(passed_count) + sum(failed_count), 0), 3) AS pass_rate
        FROM {S}.pipeline_reliability GROUP BY ALL ORDER BY finished DESC LIMIT {MAX_ROWS}""",
    "pipeline_frequency": f"""
        SELECT pipeline_file, sum(pipelines) AS pipelines, count(DISTINCT day) AS active_days,
               round(sum(pipelines) / count(DISTINCT day), 1) AS per_active_day
        FROM {S}.pipeline_frequency GROUP BY ALL ORDER BY pipelines DESC LIMIT {MAX_ROWS}""",
    "mttr": f"""
        SELECT left(project_id, 8) AS project, scope, coalesce(pipeline_file, target_name) AS what, branch_name,
               runs, recoveries,
               round(mttr_s / 60, 1) AS mttr_min, failing_since, last_success_at
        FROM {S}.mttr ORDER BY scope DESC, runs DESC LIMIT {MAX_ROWS}""",
    "pipeline_stages": f"""
        SELECT count(*) AS pipelines, round(avg(initialization_s), 1) AS initialization_s,
               round(avg(pending_s), 1) AS pending_s, round(avg(queue_s), 1) AS queue_s,
               round(avg(run_s), 1) AS run_s, round(avg(total_s), 1) AS total_s
        FROM {S}.pipeline_stages""",
    "pipeline_stage_summary": f"""
        SELECT stage, sum(pipelines) AS pipelines, round(sum(mean_s * pipelines) / sum(pipelines), 1) AS mean_s,
               round(max(p95_s), 1) AS worst_day_p95_s
        FROM {S}.pipeline_stage_summary GROUP BY stage ORDER BY mean_s DESC""",
    "job_queue_wait": f"""
        SELECT runner, machine_type, sum(jobs) AS jobs, round(sum(mean_s * jobs) / sum(jobs), 1) AS mean_wait_s,
               round(max(p95_s), 1) AS worst_day_p95_s
        FROM {S}.job_queue_wait GROUP BY ALL ORDER BY jobs DESC LIMIT {MAX_ROWS}""",
    "flaky_jobs": f"""
        SELECT job_name, left(commit_sha, 8) AS commit, runs, flips, round(flip_rate, 2) AS flip_rate, last_seen
        FROM {S}.flaky_jobs ORDER BY last_seen DESC LIMIT {MAX_ROWS}""",
    "flaky_job_summary": f"""
        SELECT job_name, pipeline_file, flaky_commits, flips, round(flip_rate, 2) AS flip_rate, last_seen
        FROM {S}.flaky_job_summary LIMIT {MAX_ROWS}""",
    "dora_deployments": f"""
        SELECT target_name, outcome, count(*) AS deployments, count(*) FILTER (WHERE rollback) AS rollbacks,
               count(*) FILTER (WHERE change_failure) AS change_failures
        FROM {S}.dora_deployments GROUP BY ALL ORDER BY target_name, outcome""",
    "dora_summary": f"""
        SELECT target_name, sum(deployments) AS deployments,
               round(sum(succeeded) / max(window_days), 2) AS deploys_per_day,
               round(median(lead_time_median_s) / 3600, 2) AS lead_time_h,
               round(sum(change_failures) / nullif(sum(succeeded) + sum(failed), 0), 3) AS change_failure_rate,
               round(median(time_to_restore_median_s) / 3600, 2) AS time_to_restore_h
        FROM {S}.dora_summary GROUP BY target_name ORDER BY deployments DESC LIMIT {MAX_ROWS}""",
    "agent_utilization": f"""
        SELECT agent_type, round(sum(job_s) / 3600, 1) AS job_h, sum(jobs) AS jobs, max(agents) AS max_agents,
               round(sum(job_s) / nullif(sum(capacity_s), 0), 3) AS utilization,
               round(sum(busy_s) / nullif(sum(available_s), 0), 3) AS observed_utilization
        FROM {S}.agent_utilization GROUP BY agent_type ORDER BY job_h DESC LIMIT {MAX_ROWS}""",
    "flaky_test_commits": f"""
        SELECT name, left(commit_sha, 8) AS commit, runs, failed_runs, last_state, last_seen
        FROM {S}.flaky_test_commits ORDER BY last_seen DESC LIMIT {MAX_ROWS}""",
    "flaky_test_summary": f"""
        SELECT name, file, flaky_commits, flaky_failures, failures, runs, last_flaky_at
        FROM {S}.flaky_test_summary LIMIT {MAX_ROWS}""",
    "test_weekly": f"""
        SELECT week, count(*) AS tests, sum(runs) AS runs, sum(failures) AS failures,
               round(max(p95_s), 2) AS slowest_p95_s
        FROM {S}.test_weekly GROUP BY week ORDER BY week DESC LIMIT {MAX_ROWS}""",
    "slowest_tests": f"""
        SELECT name, file, round(p95_s, 2) AS p95_s, round(previous_p95_s, 2) AS previous_p95_s, trend, runs
        FROM {S}.slowest_tests ORDER BY p95_s DESC LIMIT {MAX_ROWS}""",
    "most_failing_tests": f"""
        SELECT name, file, failures, runs, previous_failures, trend
        FROM {S}.most_failing_tests ORDER BY failures DESC, previous_failures DESC LIMIT {MAX_ROWS}""",
    "pipeline_test_counts": f"""
        SELECT count(*) AS pipelines, sum(total) AS tests, sum(passed) AS passed, sum(failed) AS failed,
               sum(errors) AS errors, sum(skipped) AS skipped, sum(reused_reports) AS reused_reports
        FROM {S}.pipeline_test_counts""",
    "test_counts_daily": f"""
        SELECT day, sum(pipelines) AS pipelines, sum(total) AS tests, sum(failed) + sum(errors) AS failed,
               round(sum(failed + errors) / nullif(sum(total), 0), 4) AS failed_share
        FROM {S}.test_counts_daily GROUP BY day ORDER BY day DESC LIMIT {MAX_ROWS}""",
    "stale_secrets": f"""
        SELECT name, scope, checkout_at, days_since_checkout, never_checked_out, stale_secret_days
        FROM {S}.stale_secrets LIMIT {MAX_ROWS}""",
    "projects_without_failure_notifications": f"""
        SELECT project_name, coverage, partial_rules, inactive_rules
        FROM {S}.projects_without_failure_notifications LIMIT {MAX_ROWS}""",
    "failing_commands": f"""
        SELECT directive, sum(failures) AS failures, sum(jobs) AS jobs, max(last_failed_at) AS last_failed_at
        FROM {S}.failing_commands GROUP BY directive ORDER BY failures DESC, directive LIMIT {MAX_ROWS}""",
}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return escape_markdown(str(value))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def escape_markdown(text: str) -> str:
    """Plain text for a markdown table cell: HTML-escaped, markdown punctuation backslashed, one line."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    if not rows:
        return "_no rows yet_"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def local_copy(query: Query, tables: Mapping[str, str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding, for each `local name -> SQL`, the rows the SQL reads on the destination
    (a local name may be `schema.table`). Rows are copied through Arrow, types and all."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for local, sql in tables.items():
        if "." in local:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {local.split('.')[0]}")
        data = query.arrow(sql)  # noqa: F841 (read by DuckDB's replacement scan)
        con.execute(f"CREATE TABLE {local} AS SELECT * FROM data")
    return con


def insight_tables(names: Iterable[str], schema: str = INSIGHTS_SCHEMA) -> dict[str, str]:
    return {f"{S}.{name}": f'SELECT * FROM {schema}."{name}"' for name in names}


def headline_markdown(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The headline table of insight `name` (none for an insight without a headline query)."""
    if name not in HEADLINE_SQL:
        return "_no headline for this table_"
    cursor = con.execute(HEADLINE_SQL[name])
    columns = [d[0] for d in cursor.description]
    return markdown_table(columns, cursor.fetchall())
