"""Checks on the insight tables: no negative durations, rates within 0..1, counts that add up.

Each check is a SQL query returning the offending rows (none = passed). They read the insight tables and,
for the counts, the typed `src_<table>` views over the raw tables (sources.py). `run_checks` takes any
`query(sql) -> rows` callable, so it works on a plain DuckDB connection and on a read-only reader.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from semaphore_dagster.insights.config import INSIGHTS_SCHEMA, InsightsConfig
from semaphore_dagster.insights.registry import INSIGHTS
from semaphore_dagster.insights.sources import prepare_sources_with

Query = Callable[[str], list[tuple]]
SAMPLE_ROWS = 5


@dataclass(frozen=True, slots=True)
class InsightCheck:
    insight: str
    name: str
    description: str
    sql: str  # returns the offending rows


@dataclass(slots=True)
class CheckOutcome:
    check: InsightCheck
    passed: bool
    offending: int
    sample: list[list[str]] = field(default_factory=list)
    note: str = ""


def _t(name: str) -> str:
    return f"{INSIGHTS_SCHEMA}.{name}"


def no_negative(insight: str, columns: list[str]) -> InsightCheck:
    where = " OR ".join(f"{c} < 0" for c in columns)
    return InsightCheck(
        insight,
        "no_negative_durations",
        f"No negative value in {', '.join(columns)} (a negative duration means timestamps out of order).",
        f"SELECT * FROM {_t(insight)} WHERE {where}",
    )


def rates_in_unit_interval(insight: str, columns: list[str]) -> InsightCheck:
    where = " OR ".join(f"{c} < 0 OR {c} > 1" for c in columns)
    return InsightCheck(
        insight,
        "rates_within_0_1",
        f"{', '.join(columns)} lie between 0 and 1 (or are NULL).",
        f"SELECT * FROM {_t(insight)} WHERE {where}",
    )


def counts(insight: str, description: str, sql: str) -> InsightCheck:
    return InsightCheck(insight, "counts_add_up", description, sql)


_DONE = "state = 'DONE' AND done_at IS NOT NULL"

CHECKS: list[InsightCheck] = [
    no_negative("pipeline_performance", ["mean_s", "median_s", "min_s", "max_s", "stddev_s", "p95_s"]),
    counts(
        "pipeline_performance",
        "Per outcome, the pipelines counted add up to the finished pipelines of the raw table with that result "
        "(ALL: every finished pipeline).",
        f"""WITH ins AS (SELECT outcome, sum(pipelines) AS n FROM {_t("pipeline_performance")} GROUP BY outcome),
        raw AS (SELECT 'ALL' AS outcome, count(*) AS n FROM src_pipelines WHERE {_DONE} AND created_at IS NOT NULL
                UNION ALL SELECT result, count(*) FROM src_pipelines
                WHERE {_DONE} AND created_at IS NOT NULL AND result IN ('PASSED', 'FAILED') GROUP BY result)
        SELECT coalesce(ins.outcome, raw.outcome) AS outcome, ins.n AS insight_count, raw.n AS raw_count
        FROM ins FULL OUTER JOIN raw USING (outcome) WHERE ins.n IS DISTINCT FROM raw.n""",
    ),
    rates_in_unit_interval("pipeline_reliability", ["pass_rate"]),
    counts(
        "pipeline_reliability",
        "all_count sums to the finished pipelines of the raw table, and on every row "
        "all_count >= passed + failed + stopped + canceled.",
        f"""SELECT 'total' AS what, (SELECT coalesce(sum(all_count), 0) FROM {_t("pipeline_reliability")}) AS insight_count,
               (SELECT count(*) FROM src_pipelines WHERE {_DONE}) AS raw_count
        WHERE insight_count IS DISTINCT FROM raw_count
        UNION ALL
        SELECT 'row ' || project_id || ' ' || pipeline_file || ' ' || branch_name || ' ' || day, all_count,
               passed_count + failed_count + stopped_count + canceled_count
        FROM {_t("pipeline_reliability")}
        WHERE all_count < passed_count + failed_count + stopped_count + canceled_count""",
    ),
    counts(
        "pipeline_frequency",
        "pipelines sums to the pipelines of the raw table (with a created_at).",
        f"""SELECT (SELECT coalesce(sum(pipelines), 0) FROM {_t("pipeline_frequency")}) AS insight_count,
               (SELECT count(*) FROM src_pipelines WHERE created_at IS NOT NULL) AS raw_count
        WHERE insight_count IS DISTINCT FROM raw_count""",
    ),
    no_negative("mttr", ["mttr_s", "median_recovery_s", "max_recovery_s"]),
    counts(
        "mttr",
        "runs = passed_runs + failed_runs and recoveries <= failure_episodes <= failed_runs on every row.",
        f"""SELECT * FROM {_t("mttr")}
        WHERE runs <> passed_runs + failed_runs OR recoveries > failure_episodes OR failure_episodes > failed_runs""",
    ),
    no_negative("pipeline_stages", ["initialization_s", "pending_s", "queue_s", "run_s", "total_s"]),
    counts(
        "pipeline_stages",
        "One row per pipeline of the raw table.",
        f"""SELECT (SELECT count(*) FROM {_t("pipeline_stages")}) AS insight_count,
               (SELECT count(*) FROM src_pipelines) AS raw_count
        WHERE insight_count <> raw_count""",
    ),
    no_negative("pipeline_stage_summary", ["mean_s", "median_s", "p95_s", "max_s"]),
    no_negative("job_queue_wait", ["mean_s", "median_s", "p95_s", "max_s"]),
    counts(
        "job_queue_wait",
        "jobs sums to the jobs of the raw table that have a create_time and a start_time.",
        f"""SELECT (SELECT coalesce(sum(jobs), 0) FROM {_t("job_queue_wait")}) AS insight_count,
               (SELECT count(*) FROM src_jobs WHERE create_time IS NOT NULL AND start_time IS NOT NULL) AS raw_count
        WHERE insight_count IS DISTINCT FROM raw_count""",
    ),
    rates_in_unit_interval("flaky_jobs", ["flip_rate"]),
    counts(
        "flaky_jobs",
        "runs = passed_runs + failed_runs, with at least one of each, and flips < runs on every row.",
        f"""SELECT * FROM {_t("flaky_jobs")}
        WHERE runs <> passed_runs + failed_runs OR passed_runs = 0 OR failed_runs = 0 OR flips >= runs""",
    ),
    rates_in_unit_interval("flaky_job_summary", ["flip_rate"]),
    no_negative("dora_deployments", ["lead_time_s", "restore_s"]),
    counts(
        "dora_deployments",
        "Every row is a deployment of the raw table, listed once.",
        f"""SELECT deployment_id, count(*) AS listed FROM {_t("dora_deployments")}
        WHERE deployment_id NOT IN (SELECT id FROM src_deployments WHERE id IS NOT NULL)
        GROUP BY deployment_id
        UNION ALL
        SELECT deployment_id, count(*) FROM {_t("dora_deployments")} GROUP BY deployment_id HAVING count(*) > 1""",
    ),
    rates_in_unit_interval("dora_summary", ["change_failure_rate"]),
    no_negative(
        "dora_summary",
        [
            "deployment_frequency_per_day",
            "lead_time_median_s",
            "lead_time_mean_s",
            "time_to_restore_median_s",
            "time_to_restore_mean_s",
        ],
    ),
    counts(
        "dora_summary",
        "deployments sums to the rows of dora_deployments; succeeded + failed <= deployments on every row.",
        f"""SELECT 'total' AS what, (SELECT coalesce(sum(deployments), 0) FROM {_t("dora_summary")}) AS insight_count,
               (SELECT count(*) FROM {_t("dora_deployments")}) AS raw_count
        WHERE insight_count IS DISTINCT FROM raw_count
        UNION ALL
        SELECT 'row ' || project_id || ' ' || target_name, deployments, succeeded + failed
        FROM {_t("dora_summary")} WHERE succeeded + failed > deployments""",
    ),
    rates_in_unit_interval(
        "agent_utilization", ["utilization", "observed_utilization", "running_share_at_snapshots"]
    ),
    no_negative("agent_utilization", ["capacity_s", "job_s", "available_s", "busy_s"]),
    counts(
        "failing_commands",
        "failures sums to the CMD_FINISHED events with a non-zero exit code in the raw log events.",
        f"""SELECT (SELECT coalesce(sum(failures), 0) FROM {_t("failing_commands")}) AS insight_count,
               (SELECT count(*) FROM src_job_log_events
                WHERE event = 'CMD_FINISHED' AND exit_code IS NOT NULL AND exit_code <> 0) AS raw_count
        WHERE insight_count IS DISTINCT FROM raw_count""",
    ),
]

assert {c.insight for c in CHECKS} <= set(INSIGHTS), "a check names an unknown insight"


def checks_for(insight: str) -> list[InsightCheck]:
    return [c for c in CHECKS if c.insight == insight]


def run_checks(query: Query, checks: list[InsightCheck] | None = None) -> list[CheckOutcome]:
    """Run `checks` (default: all). The src views are (re)created first; a missing insight table fails."""
    prepare_sources_with(query, InsightsConfig())
    built = {
        r[0]
        for r in query(
            f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{INSIGHTS_SCHEMA}' "
            "AND table_catalog = current_database()"
        )
    }
    outcomes = []
    for check in CHECKS if checks is None else checks:
        if check.insight not in built:
            outcomes.append(CheckOutcome(check, False, 0, note=f"{_t(check.insight)} is not built yet"))
            continue
        rows = query(check.sql)
        sample = [[str(v) for v in row] for row in rows[:SAMPLE_ROWS]]
        outcomes.append(CheckOutcome(check, not rows, len(rows), sample))
    return outcomes
