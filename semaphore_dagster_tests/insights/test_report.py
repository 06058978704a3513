"""The HTML report: self-contained, its charts present in the DOM and drawn on screen in headless Chromium."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from PIL import Image
from semaphore_dagster.insights.svg import PALETTE

from semaphore_dagster.cli import main
from semaphore_dagster.insights.report import write_report

CHARTS = ("duration", "pass_rate", "queue_time", "stage_split", "flaky_jobs", "dora", "agent_utilization")
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


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html
    for chart in CHARTS:
        assert f'data-chart="{chart}"' in html, chart


def test_report_renders_its_charts_in_chromium(report: Path, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert dom.count("<svg") >= 10
    figures = re.findall(r'<figure class="chart" data-chart="([a-z_]+)">(.*?)</figure>', dom, re.DOTALL)
    drawn = {name for name, body in figures if 'class="series"' in body or 'class="bar"' in body}
    assert drawn >= {"duration", "pass_rate", "queue_time", "stage_split", "flaky_jobs", "agent_utilization"}
    assert dom.count('class="tile"') >= 4  # DORA tiles
    shot = tmp_path / "report.png"
    run_chromium(tmp_path, "--window-size=1440,2400", f"--screenshot={shot}", report.as_uri())
    image = Image.open(shot).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # not a blank page
    counts = {rgb: n for n, rgb in colors}
    for hex_color in PALETTE[:2]:  # the p50 (blue) and p95 (red) lines are on screen
        rgb = tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
        assert counts.get(rgb, 0) > 200, f"{hex_color} barely drawn"


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


def test_report_while_this_process_holds_the_file(small_db: Path, tmp_path: Path) -> None:
    """The demo writes the report in the process that just ran Dagster: DuckDB refuses a second attachment
    of an open file, so the report shares the open instance and still writes nothing to the file."""
    db = tmp_path / "held.duckdb"
    shutil.copy(small_db, db)
    held = duckdb.connect(str(db))
    try:
        held.execute("DELETE FROM semaphore_insights.flaky_job_summary")
        for _ in range(2):  # twice: nothing is left behind in the shared instance
            html = write_report(db, tmp_path / "r.html").read_text(encoding="utf-8")
            assert html.count('class="bar" data-label=') > 10  # flaky jobs recomputed, not read from the file
        assert held.execute("SELECT count(*) FROM semaphore_insights.flaky_job_summary").fetchall() == [(0,)]
        databases = {r[0] for r in held.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
        assert databases == {"held", "system", "temp"}
    finally:
        held.close()
