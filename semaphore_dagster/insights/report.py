"""`semaphore-dagster report`: a self-contained HTML report of the CI insights, charts drawn with Altair.

The report reads the built insight tables (and a few staging views) from the destination into an in-memory
DuckDB, so the same queries serve a DuckDB file and PostgreSQL. The command (`write_report`) first builds the
insights with dbt into a scratch DuckDB file, the loaded file ATTACHed read-only: the report reflects the
loaded data whether or not the Dagster insight assets ran, and never writes the loaded file. Charts are
rendered to inline SVG offline (charts.py): the HTML has no scripts and no external resources. Every text
that comes from the API (project, branch, job, command names) is escaped.
"""

import argparse
import tempfile
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import duckdb

from semaphore_dagster.insights.charts import (
    bar_chart,
    duration_unit,
    fmt_duration,
    fmt_percent,
    line_chart,
    sparkline,
    stacked_bar_chart,
    stacked_columns,
)
from semaphore_dagster.insights.config import InsightsConfig
from semaphore_dagster.insights.headlines import local_copy
from semaphore_dagster.insights.runner import build, connect, insight_names
from semaphore_dagster.insights.target import DbtTarget

DEFAULT_OUT = "semaphore_report.html"
DEFAULT_DUCKDB = "semaphore_ci.duckdb"  # the loader's default (semaphore_dagster.defs.settings)
MAX_PROJECT_CHARTS = 6

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1420px;color:#111827;
background:#f9fafb}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px} p.meta{color:#6b7280;margin:0 0 12px}
.grid{display:flex;flex-wrap:wrap;gap:16px} figure{margin:0;background:#fff;border:1px solid #e5e7eb;
border-radius:8px;padding:8px} figcaption{font-size:12px;color:#6b7280;max-width:640px;padding:4px 8px}
.tiles{display:flex;flex-wrap:wrap;gap:12px} .tile{background:#fff;border:1px solid #e5e7eb;border-radius:8px;
padding:12px 16px;min-width:200px} .tile .k{font-size:12px;color:#6b7280} .tile .v{font-size:26px;font-weight:600}
.tile .s{font-size:11px;color:#6b7280} table{border-collapse:collapse;background:#fff;font-size:13px}
td,th{border:1px solid #e5e7eb;padding:4px 8px;text-align:left} th{background:#f3f4f6}
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _figure(svg: str, name: str, caption: str) -> str:
    return f'<figure class="chart" data-chart="{escape(name)}">{svg}<figcaption>{escape(caption)}</figcaption></figure>'


_PROJECT_NAME = "coalesce(pr.name, x.project_id)"
_CI_SCOPE = """JOIN src_default_branch d ON d.project_id = x.project_id CROSS JOIN insights_config c
    LEFT JOIN src_projects pr ON pr.id = x.project_id
    WHERE x.pipeline_file = c.ci_pipeline_file AND x.branch_name = coalesce(c.ci_branch, d.branch_name)"""


def _duration_trends(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        f"""SELECT {_PROJECT_NAME} AS project, x.branch_name, x.day, x.median_s, x.p95_s, x.pipelines
        FROM semaphore_insights.pipeline_performance x {_CI_SCOPE} AND x.outcome = 'ALL'
        ORDER BY project, x.day""",
    )
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["project"]] = totals.get(r["project"], 0) + r["pipelines"]
    projects = sorted(totals, key=lambda p: (-totals[p], p))[:MAX_PROJECT_CHARTS]
    if not projects:
        return _figure(
            line_chart("Pipeline duration (p50 / p95)", [], "duration"), "duration", "No data yet."
        )
    figures = []
    for project in projects:
        mine = [r for r in rows if r["project"] == project]
        unit, unit_name = duration_unit([r["p95_s"] for r in mine])
        points = [
            {"day": r["day"], "series": series, "value": r[column] / unit}
            for r in mine
            for series, column in (("p50", "median_s"), ("p95", "p95_s"))
            if r[column] is not None
        ]
        title = f"{project} ({mine[0]['branch_name']}): pipeline duration"
        figures.append(
            _figure(
                line_chart(title, points, unit_name),
                "duration",
                "Daily median and 95th percentile of done_at - created_at of finished CI pipelines (CI branch "
                "and pipeline file), by day of done_at.",
            )
        )
    return "".join(figures)


def _pass_rate(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        f"""SELECT {_PROJECT_NAME} AS project, x.day, x.pass_rate
        FROM semaphore_insights.pipeline_reliability x {_CI_SCOPE} AND x.pass_rate IS NOT NULL
        ORDER BY project, x.day""",
    )
    points = [{"day": r["day"], "series": r["project"], "value": r["pass_rate"]} for r in rows]
    return _figure(
        line_chart("Pass rate of CI pipelines", points, "pass rate", percent=True),
        "pass_rate",
        "passed / (passed + failed) per day on the CI branch and pipeline file; stopped and canceled "
        "pipelines are out of the rate.",
    )


def _queue_time(con: duckdb.DuckDBPyConnection) -> str:
    waits = _rows(
        con,
        """SELECT runner, coalesce(machine_type, '?') AS machine_type, sum(jobs) AS jobs,
               sum(mean_s * jobs) / sum(jobs) AS mean_s, max(p95_s) AS worst_p95_s
        FROM semaphore_insights.job_queue_wait GROUP BY ALL ORDER BY jobs DESC LIMIT 12""",
    )
    bars = [
        {
            "label": f"{w['machine_type']} ({w['runner'].lower()})",
            "value": w["mean_s"],
            "note": f"{fmt_duration(w['mean_s'])}, {w['jobs']} jobs",
        }
        for w in waits
    ]
    stages = _rows(
        con,
        """SELECT coalesce(pr.name, s.project_id) AS label, avg(initialization_s) AS initialization,
               avg(pending_s) AS pending, avg(queue_s) AS queue, avg(run_s) AS run
        FROM semaphore_insights.pipeline_stages s LEFT JOIN src_projects pr ON pr.id = s.project_id
        WHERE s.state = 'DONE' AND s.run_s IS NOT NULL
        GROUP BY ALL ORDER BY label LIMIT 12""",
    )
    return _figure(
        bar_chart("Job queue wait by machine type (mean)", bars, "seconds"),
        "queue_time",
        "start_time - create_time of jobs; self-hosted jobs show their agent type as machine type.",
    ) + _figure(
        stacked_bar_chart(
            "Pipeline stage split (mean)", stages, ["initialization", "pending", "queue", "run"], "seconds"
        ),
        "stage_split",
        "Mean of pending_at - created_at, queuing_at - pending_at, running_at - queuing_at and "
        "done_at - running_at of finished pipelines that ran.",
    )


def _flaky(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        f"""SELECT x.job_name, {_PROJECT_NAME} AS project, x.pipeline_file, x.flaky_commits, x.flip_rate,
               x.last_seen
        FROM semaphore_insights.flaky_job_summary x LEFT JOIN src_projects pr ON pr.id = x.project_id
        ORDER BY x.flaky_commits DESC, x.flips DESC, x.last_seen DESC LIMIT 12""",
    )
    bars = [
        {
            "label": f"{r['job_name']} · {r['project']}",
            "value": r["flaky_commits"],
            "note": f"flip rate {fmt_percent(r['flip_rate'])}, last {r['last_seen']:%m-%d}",
        }
        for r in rows
    ]
    return _figure(
        bar_chart("Flaky jobs (commits with both passed and failed runs)", bars, "flaky commits"),
        "flaky_jobs",
        "Same project, pipeline file, commit and job name with both PASSED and FAILED runs; flip rate = "
        "result changes per consecutive pair of runs.",
    )


def _test_charts(con: duckdb.DuckDBPyConnection) -> str:
    daily = _rows(
        con,
        """SELECT day, sum(passed) AS passed, sum(failed) + sum(errors) AS failed,
               sum(skipped) + sum(disabled) AS skipped
        FROM semaphore_insights.test_counts_daily GROUP BY day ORDER BY day""",
    )
    parts = ("passed", "failed", "skipped")
    points = [{"day": r["day"], "part": part, "value": r[part]} for r in daily for part in parts]
    slow = _rows(
        con,
        f"""SELECT x.name, {_PROJECT_NAME} AS project, x.p95_s, x.runs, x.trend, x.p95_change_s, x.week
        FROM semaphore_insights.slowest_tests x LEFT JOIN src_projects pr ON pr.id = x.project_id
        ORDER BY x.p95_s DESC, x.test_id LIMIT 12""",
    )
    slow_bars = [
        {
            "label": f"{r['name']} · {r['project']}",
            "value": r["p95_s"],
            "note": f"{fmt_duration(r['p95_s'])} {r['trend'].lower()}"
            + ("" if r["p95_change_s"] is None else f" {r['p95_change_s']:+.1f}s"),
        }
        for r in slow
    ]
    failing = _rows(
        con,
        f"""SELECT x.name, {_PROJECT_NAME} AS project, x.failures, x.runs, x.previous_failures, x.trend
        FROM semaphore_insights.most_failing_tests x LEFT JOIN src_projects pr ON pr.id = x.project_id
        WHERE x.failures > 0 ORDER BY x.failures DESC, x.failure_rate DESC, x.test_id LIMIT 12""",
    )
    failing_bars = [
        {
            "label": f"{r['name']} · {r['project']}",
            "value": r["failures"],
            "note": f"{r['failures']}/{r['runs']} runs, {r['trend'].lower()} (before: {r['previous_failures']})",
        }
        for r in failing
    ]
    week = slow[0]["week"].isoformat() if slow else "–"
    return (
        _figure(
            stacked_columns("Tests run per day", points, parts, "tests", ("#16a34a", "#dc2626", "#9ca3af")),
            "test_counts",
            "Sums of the test reports of each day's pipelines (UTC day of done_at): passed, failed (failed or "
            "errored) and skipped (skipped or disabled). A job reused by a partial re-run counts once, in the "
            "pipeline that ran it.",
        )
        + _figure(
            bar_chart(f"Slowest tests, week of {week} (p95)", slow_bars, "seconds"),
            "slowest_tests",
            "95th percentile of the test's duration over its runs in the latest week; trend against the week "
            "before (slower / faster: p95 changed by more than 10 %; new: did not run then).",
        )
        + _figure(
            bar_chart(f"Most failing tests, week of {week}", failing_bars, "failed runs"),
            "most_failing_tests",
            "Runs that failed or errored in the latest week; trend: the failure rate against the week before.",
        )
    )


def _flaky_tests(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        f"""SELECT x.name, x.file, {_PROJECT_NAME} AS project, x.flaky_commits, x.flaky_failures, x.flaky_runs,
               x.failures, x.runs, x.last_flaky_at
        FROM semaphore_insights.flaky_test_summary x LEFT JOIN src_projects pr ON pr.id = x.project_id
        ORDER BY x.flaky_commits DESC, x.flaky_failures DESC, x.last_flaky_at DESC, x.test_id LIMIT 15""",
    )
    return (
        '<div data-table="flaky_tests">'
        + _table(
            rows,
            [
                ("name", "test"),
                ("file", "file"),
                ("project", "project"),
                ("flaky_commits", "flaky commits"),
                ("flaky_failures", "failed runs on them"),
                ("flaky_runs", "runs on them"),
                ("failures", "failed runs, all"),
                ("runs", "runs, all"),
                ("last_flaky_at", "last flaky"),
            ],
        )
        + "</div>"
    )


def _access(con: duckdb.DuckDBPyConnection) -> str:
    days = _rows(con, "SELECT stale_secret_days AS n FROM insights_config")[0]["n"]
    secrets = _rows(
        con,
        f"""SELECT x.name, x.scope, CASE WHEN x.project_id IS NULL THEN '' ELSE {_PROJECT_NAME} END AS project,
               x.checkout_at, CASE WHEN x.never_checked_out THEN 'never' ELSE CAST(x.days_since_checkout AS VARCHAR)
               END AS days, x.create_time
        FROM semaphore_insights.stale_secrets x LEFT JOIN src_projects pr ON pr.id = x.project_id
        ORDER BY x.never_checked_out DESC, x.checkout_at, x.name""",
    )
    gaps = _rows(
        con,
        """SELECT project_name, coverage, partial_rules, inactive_rules
        FROM semaphore_insights.projects_without_failure_notifications ORDER BY coverage, project_name""",
    )
    return (
        f"<h2>Secrets not checked out for {days} days</h2>"
        + '<div data-table="stale_secrets">'
        + _table(
            secrets,
            [
                ("name", "secret"),
                ("scope", "scope"),
                ("project", "project"),
                ("checkout_at", "last checkout"),
                ("days", "days since"),
                ("create_time", "created"),
            ],
        )
        + "</div><h2>Projects without failure notifications</h2>"
        + "<p class='meta'>No notification rule with an active target fires when a pipeline of these projects "
        "fails (NONE), or only for some branches or pipeline files (PARTIAL).</p>"
        + '<div data-table="failure_notifications">'
        + _table(
            gaps,
            [
                ("project_name", "project"),
                ("coverage", "coverage"),
                ("partial_rules", "rules for some pipelines"),
                ("inactive_rules", "matching rules without an active target"),
            ],
        )
        + "</div>"
    )


def _dora(con: duckdb.DuckDBPyConnection) -> str:
    window = (
        _rows(con, "SELECT max(window_days) AS days FROM semaphore_insights.dora_summary")[0]["days"] or 1
    )
    targets = _rows(
        con,
        """SELECT target_name, count(*) AS deployments,
               count(*) FILTER (WHERE outcome = 'SUCCEEDED') AS succeeded,
               quantile_cont(lead_time_s, 0.5) AS lead_time_s,
               (count(*) FILTER (WHERE change_failure AND outcome IN ('SUCCEEDED', 'FAILED')))::DOUBLE
                 / nullif(count(*) FILTER (WHERE outcome IN ('SUCCEEDED', 'FAILED')), 0) AS cfr,
               quantile_cont(restore_s, 0.5) AS restore_s,
               count(*) FILTER (WHERE incident_start) AS incidents, count(restore_s) AS restored
        FROM semaphore_insights.dora_deployments GROUP BY target_name ORDER BY deployments DESC""",
    )
    if not targets:
        return (
            '<div class="tiles" data-chart="dora"><div class="tile"><div class="k">DORA</div>'
            '<div class="v">–</div><div class="s">no deployments loaded yet</div></div></div>'
        )
    daily = _rows(
        con,
        """SELECT target_name, day, count(*) FILTER (WHERE outcome = 'SUCCEEDED') AS n
        FROM semaphore_insights.dora_deployments GROUP BY ALL ORDER BY day""",
    )
    parts = []
    for t in targets:
        mine = [d for d in daily if d["target_name"] == t["target_name"]]
        spark = sparkline([d["day"] for d in mine], [d["n"] for d in mine])
        tiles = [
            (
                "Deployment frequency",
                f"{t['succeeded'] / window:.2f}/day",
                f"{t['succeeded']} successful of {t['deployments']} in {window} days",
                spark,
            ),
            ("Lead time (median)", fmt_duration(t["lead_time_s"]), "commit's first workflow → deployed", ""),
            ("Change failure rate", fmt_percent(t["cfr"]), "failed or rolled back", ""),
            (
                "Time to restore (median)",
                fmt_duration(t["restore_s"]),
                f"{t['restored']} of {t['incidents']} incidents restored",
                "",
            ),
        ]
        cells = "".join(
            f'<div class="tile"><div class="k">{escape(t["target_name"] or "?")} · {escape(k)}</div>'
            f'<div class="v">{escape(v)}</div><div class="s">{escape(s)}</div>{svg}</div>'
            for k, v, s, svg in tiles
        )
        parts.append(f'<div class="tiles" data-chart="dora">{cells}</div>')
    return "".join(parts)


def _agents(con: duckdb.DuckDBPyConnection) -> str:
    rows = _rows(
        con,
        """SELECT agent_type, sum(job_s) AS job_s, sum(capacity_s) AS capacity_s, sum(jobs) AS jobs,
               max(agents) AS max_agents, sum(busy_s) AS busy_s, sum(available_s) AS available_s
        FROM semaphore_insights.agent_utilization GROUP BY agent_type ORDER BY job_s DESC""",
    )
    util = [
        {
            "label": r["agent_type"],
            "value": r["job_s"] / r["capacity_s"],
            "note": f"{r['job_s'] / 3600:.1f}h of jobs, up to {r['max_agents']} agents",
        }
        for r in rows
        if r["capacity_s"]
    ]
    observed = [
        {
            "label": r["agent_type"],
            "value": r["busy_s"] / r["available_s"],
            "note": f"{r['busy_s'] / 3600:.1f}h of {r['available_s'] / 3600:.1f}h",
        }
        for r in rows
        if r["available_s"]
    ]
    return _figure(
        bar_chart("Self-hosted agent utilization", util, "utilization", percent=True),
        "agent_utilization",
        "Job run time on the agent type / (agents x the elapsed day) per day, agents = the larger of the "
        "latest agent snapshot's count and the agents that ran jobs that day; summed over the days.",
    ) + _figure(
        bar_chart("Utilization while observed in snapshots", observed, "utilization", percent=True),
        "agent_observed_utilization",
        "Job time on agents listed in snapshots / their known connected time (connected_at to the last "
        "snapshot listing them).",
    )


def _table(rows: list[dict], columns: list[tuple[str, str]], formats: dict | None = None) -> str:
    if not rows:
        return "<p class='meta'>No rows yet.</p>"
    formats = formats or {}
    head = "".join(f"<th>{escape(title)}</th>" for _, title in columns)
    body = ""
    for r in rows:
        cells = []
        for key, _ in columns:
            v = r[key]
            text = formats[key](v) if key in formats and v is not None else ("" if v is None else str(v))
            if isinstance(v, datetime):
                text = v.strftime("%Y-%m-%d %H:%M")
            cells.append(f"<td>{escape(text)}</td>")
        body += "<tr>" + "".join(cells) + "</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def _tables(con: duckdb.DuckDBPyConnection) -> str:
    mttr = _rows(
        con,
        f"""SELECT {_PROJECT_NAME} AS project, x.scope, coalesce(x.pipeline_file, x.target_name) AS what,
               x.branch_name, x.runs, x.recoveries, x.mttr_s, x.failing_since, x.last_success_at
        FROM semaphore_insights.mttr x LEFT JOIN src_projects pr ON pr.id = x.project_id
        ORDER BY project, x.scope DESC, what""",
    )
    commands = _rows(
        con,
        f"""SELECT {_PROJECT_NAME} AS project, x.directive, x.failures, x.jobs, x.exit_codes, x.last_failed_at
        FROM semaphore_insights.failing_commands x LEFT JOIN src_projects pr ON pr.id = x.project_id
        ORDER BY x.failures DESC, project, x.directive LIMIT 15""",
    )
    return (
        "<h2>Mean time to recovery and last success</h2>"
        + _table(
            mttr,
            [
                ("project", "project"),
                ("scope", "scope"),
                ("what", "pipeline file / target"),
                ("branch_name", "branch"),
                ("runs", "runs"),
                ("recoveries", "recoveries"),
                ("mttr_s", "MTTR"),
                ("failing_since", "failing since"),
                ("last_success_at", "last success"),
            ],
            {"mttr_s": fmt_duration},
        )
        + "<h2>Top failing commands</h2>"
        + _table(
            commands,
            [
                ("project", "project"),
                ("directive", "command"),
                ("failures", "failures"),
                ("jobs", "jobs"),
                ("exit_codes", "exit codes"),
                ("last_failed_at", "last failed"),
            ],
        )
    )


def _summary(con: duckdb.DuckDBPyConnection) -> str:
    s = _rows(con, "SELECT * FROM report_summary")[0]
    return (
        f"{s['projects']} projects, {s['pipelines']} pipelines, {s['jobs']} jobs, {s['deployments']} deployments; "
        f"pipelines created {s['first_day'] or '–'} to {s['last_day'] or '–'} (UTC)"
    )


def render_report(con: duckdb.DuckDBPyConnection, source: str, config: InsightsConfig) -> str:
    """The HTML of the report; `con` holds the src views and the built insight tables."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    scope = f"CI scope: {config.ci_branch or 'default branch'} + {config.ci_pipeline_file}"
    sections = [
        f"<h1>Semaphore CI insights</h1><p class='meta'>{escape(_summary(con))}<br>{escape(scope)} · "
        f"source {escape(source)} · generated {generated}</p>",
        "<h2>Pipeline duration trend</h2><div class='grid'>" + _duration_trends(con) + "</div>",
        "<h2>Pass rate</h2><div class='grid'>" + _pass_rate(con) + "</div>",
        "<h2>Queue time</h2><div class='grid'>" + _queue_time(con) + "</div>",
        "<h2>Flaky jobs</h2><div class='grid'>" + _flaky(con) + "</div>",
        "<h2>Tests</h2><div class='grid'>" + _test_charts(con) + "</div>",
        "<h2>Flaky tests (passed and failed on the same commit)</h2>" + _flaky_tests(con),
        "<h2>DORA</h2>" + _dora(con),
        "<h2>Self-hosted agents</h2><div class='grid'>" + _agents(con) + "</div>",
        _tables(con),
        _access(con),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Semaphore CI insights</title><style>{CSS}</style></head><body>"
        + "".join(sections)
        + "</body></html>"
    )


def report_tables(target: DbtTarget) -> dict[str, str]:
    """local table -> the SQL reading it from the destination (insight tables, names, scopes, counts)."""
    stg = target.staging_schema
    tables = {
        f"semaphore_insights.{name}": f'SELECT * FROM {target.insights_schema}."{name}"'
        for name in insight_names()
    }
    tables["src_projects"] = f"SELECT id, name FROM {stg}.stg_projects"
    tables["src_default_branch"] = f"SELECT project_id, branch_name FROM {stg}.default_branch"
    tables["insights_config"] = f"SELECT * FROM {stg}.insights_config"
    tables["report_summary"] = f"""SELECT (SELECT count(*) FROM {stg}.stg_projects) AS projects,
        (SELECT count(*) FROM {stg}.stg_pipelines) AS pipelines, (SELECT count(*) FROM {stg}.stg_jobs) AS jobs,
        (SELECT count(*) FROM {stg}.stg_deployments) AS deployments,
        (SELECT min(day) FROM {target.insights_schema}.pipeline_stages) AS first_day,
        (SELECT max(day) FROM {target.insights_schema}.pipeline_stages) AS last_day"""
    return tables


def render_from(target: DbtTarget, config: InsightsConfig, source_label: str | None = None) -> str:
    """The report's HTML from the insight tables already built on `target`."""
    with connect(target) as query:
        local = local_copy(query, report_tables(target))
    try:
        return render_report(local, source_label or _label(target), config)
    finally:
        local.close()


def _label(target: DbtTarget) -> str:
    if target.kind == "postgres":
        from urllib.parse import urlsplit

        parts = urlsplit(target.postgres_credentials or "")
        return f"postgresql://{parts.hostname}:{parts.port}{parts.path}"  # never the password
    return target.source_duckdb_path or target.duckdb_path


def write_html(html: str, out_path: str | Path) -> Path:
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out


def write_report(duckdb_path: str | Path, out_path: str | Path, config: InsightsConfig | None = None) -> Path:
    """Build the insights from the DuckDB file (opened read-only) in a scratch file, write the HTML report
    to `out_path`; returns its path."""
    config = config or InsightsConfig.from_env()
    source = Path(duckdb_path).expanduser().absolute()
    if not source.exists():
        raise FileNotFoundError(
            f"DuckDB file {source} does not exist: load the data first (semaphore-dagster load)"
        )
    _check_not_locked(source)
    with tempfile.TemporaryDirectory(prefix="semaphore-report-") as scratch:
        target = DbtTarget(
            kind="duckdb_scratch",
            duckdb_path=str(Path(scratch) / "insights.duckdb"),
            source_duckdb_path=str(source),
        )
        build(target, config)
        html = render_from(target, config, str(source))
    return write_html(html, out_path)


def _check_not_locked(source: Path) -> None:
    """Fail with one line when another process holds the file (a load writing it)."""
    try:
        duckdb.connect(str(source), read_only=True).close()
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise RuntimeError(
                f"{source} is locked by another process (a load is writing it): retry when it has finished"
            ) from None
        raise


def default_duckdb_path() -> str:
    """The loader's DuckDB path, resolved as dlt does: DESTINATION__DUCKDB__CREDENTIALS, else
    `[destination.duckdb] credentials` in .dlt/config.toml, else semaphore_ci.duckdb (in the current directory)."""
    import dlt  # only here: `report --duckdb PATH` never pays for importing dlt

    value = dlt.config.get("destination.duckdb.credentials")
    return str(value or DEFAULT_DUCKDB).removeprefix("duckdb:///")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.description = "Write the self-contained HTML CI-insights report from the DuckDB file."
    parser.add_argument(
        "--duckdb", default=None, help=f"the DuckDB file (default: the loader's, else {DEFAULT_DUCKDB})"
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"the HTML file to write (default: {DEFAULT_OUT})")
    parser.add_argument("--ci-branch", default=None, help="CI branch (default: the project's main/master)")
    parser.add_argument(
        "--ci-pipeline-file", default=None, help="CI pipeline file (default .semaphore/semaphore.yml)"
    )


def run(args: argparse.Namespace) -> int:
    try:
        env = InsightsConfig.from_env()
        config = InsightsConfig(
            ci_branch=args.ci_branch or env.ci_branch,
            ci_pipeline_file=args.ci_pipeline_file or env.ci_pipeline_file,
            cd_branch=env.cd_branch,
            cd_pipeline_file=env.cd_pipeline_file,
            cd_target=env.cd_target,
            stale_secret_days=env.stale_secret_days,
        )
        out = write_report(args.duckdb or default_duckdb_path(), args.out, config)
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    print(f"report written to {out.absolute()}")
    return 0
