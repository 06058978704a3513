"""The HTML report: self-contained (Altair charts as inline SVG), its charts present in the DOM and drawn on
screen in headless Chromium, API text escaped, the same from PostgreSQL."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from semaphore_dagster.cli import main
from semaphore_dagster.insights import DbtTarget
from semaphore_dagster.insights.charts import PALETTE
from semaphore_dagster.insights.report import render_from, write_report
from semaphore_dagster_tests.insights.backends import duckdb_target
from semaphore_dagster_tests.insights.tables import job, pipeline

CHARTS = (
    "duration",
    "pass_rate",
    "queue_time",
    "stage_split",
    "flaky_jobs",
    "test_counts",
    "slowest_tests",
    "most_failing_tests",
    "dora",
    "agent_utilization",
)
TABLES = ("flaky_tests", "stale_secrets", "failure_notifications")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "headless Chromium is needed to render the report: install it with `apt-get install -y chromium`"
    )


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    cmd = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path, check=True)


@pytest.fixture(scope="module")
def report(small_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(small_db, tmp_path_factory.mktemp("report") / "semaphore_report.html")


def assert_self_contained(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html
    # the only http(s) URLs are SVG's XML namespace names, never fetched
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert_self_contained(html)
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html, chart
    for (
        table
    ) in TABLES:  # filled from the small world: flaky tests, never-used secrets, one project uncovered
        body = re.search(f'<div data-table="{table}">(.*?)</div>', html, re.DOTALL)
        assert body is not None and body.group(1).count("<tr>") >= 2, table


def test_report_renders_its_charts_in_chromium(report: Path, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert dom.count("<svg") >= 10
    figures = re.findall(r'<figure class="chart" data-chart="([a-z_]+)">(.*?)</figure>', dom, re.DOTALL)
    # Vega's SVG: lines are `mark-line` groups, bars `mark-rect`, each mark a <path>
    drawn = {
        name for name, body in figures if re.search(r'class="mark-(line|rect)[^"]*"[^>]*>\s*<path', body)
    }
    assert drawn >= set(CHARTS) - {"dora"}  # DORA is tiles, not marks
    assert dom.count('class="tile"') >= 4  # DORA tiles
    shot = tmp_path / "report.png"
    run_chromium(tmp_path, "--window-size=1440,2400", f"--screenshot={shot}", report.as_uri())
    image = Image.open(shot).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # not a blank page
    counts = {rgb: n for n, rgb in colors}
    for hex_color in PALETTE[:2]:  # the p50 (blue) and p95 (red) lines are on screen
        rgb = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
        near = sum(n for c, n in counts.items() if max(abs(a - b) for a, b in zip(c, rgb, strict=True)) <= 8)
        assert near > 200, f"{hex_color} barely drawn"


def test_report_command(small_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "r.html"
    before = (small_db.stat().st_size, small_db.stat().st_mtime_ns)
    assert main(["report", "--duckdb", str(small_db), "--out", str(out)]) == 0
    assert str(out.absolute()) in capsys.readouterr().out
    assert out.stat().st_size > 10_000
    assert (small_db.stat().st_size, small_db.stat().st_mtime_ns) == before  # opened read-only


def test_report_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    missing = tmp_path / "nope.duckdb"
    assert main(["report", "--duckdb", str(missing), "--out", str(tmp_path / "r.html")]) == 1
    assert "does not exist: load the data first" in capsys.readouterr().out
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(missing))
    monkeypatch.chdir(tmp_path)
    assert main(["report"]) == 1
    assert str(missing) in capsys.readouterr().out
    assert not (tmp_path / "semaphore_report.html").exists()
    assert os.listdir(tmp_path) == []


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def hostile_world() -> dict[str, list[dict]]:
    """Every API-provided name that reaches the report is markup."""
    pipelines = [
        pipeline(
            f"p{i}",
            created=10 * i,
            done=10 * i + 5,
            result="PASSED" if i % 2 else "FAILED",
            branch="master",
            commit="X",
        )
        for i in range(6)
    ]
    jobs = [
        job(
            f"j{i}",
            f"p{i}",
            name=HOSTILE,
            result="PASSED" if i % 2 else "FAILED",
            start=10 * i + 1,
            finish=10 * i + 2,
        )
        for i in range(6)
    ]
    jobs.append(job("s", "p0", name="x", start=1, finish=3, machine_type="s1-" + HOSTILE, agent_name=HOSTILE))
    cases = [
        {
            "job_id": f"j{i}",
            "ppl_id": f"p{i}",
            "test_id": "t1",
            "name": HOSTILE,
            "file": HOSTILE,
            "state": state,
            "duration_seconds": 1.0 + i,
        }
        for i, state in enumerate(("FAILED", "PASSED", "ERROR", "PASSED"))
    ]
    reports = [
        {
            "job_id": f"j{i}",
            "ppl_id": f"p{i}",
            "project_id": "p1",
            "outcome": "OK",
            "total": 1,
            "passed": int(c["state"] == "PASSED"),
            "failed": int(c["state"] == "FAILED"),
            "errors": int(c["state"] == "ERROR"),
            "skipped": 0,
            "disabled": 0,
            "duration_seconds": 1.0 + i,
            "finish_time": jobs[i]["finish_time"],
        }
        for i, c in enumerate(cases)
    ]
    notify = {"slack": None, "email": None, "webhook": {"status": "ACTIVE"}}
    rules = [{"name": HOSTILE, "filter": {"projects": [HOSTILE], "pipelines": ["x.yml"]}, "notify": notify}]
    return {
        "projects": [{"id": "p1", "name": HOSTILE}],
        "pipelines": pipelines,
        "jobs": jobs,
        "test_cases": cases,
        "test_reports": reports,
        "secrets": [{"id": "s1", "name": HOSTILE, "scope": "PROJECT", "project_id": "p1"}],
        "notifications": [{"id": "n1", "name": HOSTILE, "rules": rules}],
        "job_log_events": [
            {
                "job_id": "j0",
                "seq": 1,
                "event": "CMD_FINISHED",
                "directive": HOSTILE,
                "exit_code": 1,
                "started_at": pipelines[0]["created_at"],
                "finished_at": pipelines[0]["done_at"],
            }
        ],
    }


def test_api_text_is_escaped(tmp_path: Path) -> None:
    db = tmp_path / "hostile.duckdb"
    duckdb_target(hostile_world(), db)
    html = write_report(db, tmp_path / "r.html").read_text(encoding="utf-8")
    assert_self_contained(html)
    assert (
        "<script" not in html
        and "<img" not in html
        and "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    )
    assert "&lt;script&gt;" in html  # shown, as text
    for table in TABLES:  # the hostile test, secret, project and rule names reached each table, escaped
        body = re.search(f'<div data-table="{table}">(.*?)</div>', html, re.DOTALL)
        assert body is not None and "&lt;script&gt;" in body.group(1), table


@pytest.mark.slow
def test_report_from_postgres_equals_duckdb(small_world, pg_server, tmp_path: Path) -> None:
    """The report asset's path (render_from the built tables) reads the same on PostgreSQL as on DuckDB."""
    from semaphore_dagster.insights import InsightsConfig, build_insights
    from semaphore_dagster_tests.insights.backends import postgres_target
    from semaphore_dagster_tests.insights.tables import ground_truth_tables

    tables = ground_truth_tables(small_world)
    pg = postgres_target(tables, pg_server, tmp_path)
    build_insights(pg)
    duck = duckdb_target(tables, tmp_path / "same.duckdb")
    build_insights(duck)
    config = InsightsConfig()

    def body(target: DbtTarget) -> str:
        html = render_from(target, config, source_label="x")
        return re.sub(r"generated [0-9: -]+UTC", "", html)

    pg_html, duck_html = body(pg), body(duck)
    assert_self_contained(pg_html)
    assert pg_html.count("<svg") == duck_html.count("<svg") >= 10

    def marks(html: str) -> list[str]:  # every drawn mark, by kind, in order
        return re.findall(r'aria-roledescription="([a-z ]+)"', html)

    def outside_charts(html: str) -> str:  # tiles and tables: the same text to the last digit shown
        return re.sub(r"<svg.*?</svg>", "<svg/>", html, flags=re.DOTALL)

    assert marks(pg_html) == marks(duck_html) and len(marks(pg_html)) > 100
    assert outside_charts(pg_html) == outside_charts(duck_html)


def test_headline_cells_are_escaped() -> None:
    """Headline tables are markdown in the Dagster UI: API names must not become links, images or HTML."""
    from semaphore_dagster.insights.headlines import markdown_table

    table = markdown_table(["job_name"], [("![x](javascript:alert(1)) <img src=x> a|b\nc",)])
    cell = table.splitlines()[2]
    assert "<img" not in cell and "](" not in cell and "![" not in cell
    assert cell == r"| \!\[x\]\(javascript:alert\(1\)\) &lt;img src=x&gt; a\|b c |"
