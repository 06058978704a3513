"""The Dagster UI, as a user sees it in a browser (slow): `dagster dev` on 127.0.0.1 driven by headless
Chromium (Debian's `chromium` through Playwright for Python; no browser download).

- the catalog lists every table of the contract and every insight asset;
- clicking Materialize on `semaphore/projects` launches a run that succeeds;
- a 2-partition backfill of the job logs, launched from the asset's Materialize dialog, succeeds;
- the resources page shows the Semaphore connection, never the token;
- no page (nor any GraphQL answer behind it) contains the token.
"""

import re
import time
from pathlib import Path

import duckdb
import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.defs.dagster_http import (
    graphql,
    launch_assets,
    wait_for_backfill,
    wait_for_run,
)
from semaphore_dagster_tests.defs.live_dagster import dagster_dev, source_env, write_dagster_home

# Longer than the suite's 600 s default: several real runs one after another on a 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

CHROMIUM = "/usr/bin/chromium"
BACKFILL_DAYS = ("2026-10-31", "2026-11-01")
CI_TABLES = ("projects", "workflows", "pipelines", "blocks", "jobs", "promotions")

ASSETS_QUERY = "{ assetNodes { assetKey { path } } }"
RUNS_QUERY = "{ runsOrError(limit: 20) { ... on Runs { results { runId } } } }"
BACKFILLS_QUERY = "{ partitionBackfillsOrError(limit: 5) { ... on PartitionBackfills { results { id } } } }"


class Browser:
    """One headless Chromium page; every page visited and every GraphQL answer is kept for the token check."""

    def __init__(self, playwright, base_url: str, shots: Path) -> None:
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        # Tall: the catalog renders only the rows in view (about 80 assets, one row each, must all be seen).
        self.page = self.browser.new_page(viewport={"width": 1400, "height": 9000})
        self.base_url = base_url
        self.shots = shots
        self.visited: dict[str, str] = {}
        self.answers: list = []
        self.page.on("response", lambda r: self.answers.append(r) if "/graphql" in r.url else None)
        # The "Join the Dagster community" dialog comes once per instance, whenever the UI gets to it: on a busy
        # machine seconds after the page settled, over the next page's buttons. Skip it whenever it stands in
        # the way of an action (Playwright checks before each one), not only at `dismiss_popups`.
        skip = self.page.get_by_role("button", name="Skip")
        self.page.add_locator_handler(
            self.page.get_by_text("Join the Dagster community"), lambda: skip.click()
        )

    def open(self, path: str, wait_for: str | None = None) -> None:
        self.page.goto(self.base_url + path, wait_until="networkidle", timeout=120_000)
        self.dismiss_popups()
        if wait_for:
            self.page.get_by_text(wait_for).first.wait_for(timeout=90_000)
        self.keep(path)

    def dismiss_popups(self) -> None:
        """The first visit shows a "Join the Dagster community" dialog: Skip it."""
        skip = self.page.get_by_role("button", name="Skip")
        try:
            skip.wait_for(timeout=2_000)
            skip.click()
        except Exception:  # not shown (it is shown once per instance)
            pass

    def keep(self, name: str) -> None:
        """Record this page's HTML (for the token check) and a screenshot."""
        self.page.wait_for_timeout(500)
        self.visited[f"{name}#{len(self.visited)}"] = self.page.content()
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "root"
        self.page.screenshot(path=str(self.shots / f"{len(self.visited):02d}_{slug}.png"), full_page=True)

    def text(self) -> str:
        return self.page.inner_text("body")

    def close(self) -> None:
        self.browser.close()


def _tables_count(duckdb_file: Path, table: str) -> int:
    con = duckdb.connect(str(duckdb_file), read_only=True)
    try:
        return con.execute(f'SELECT count(*) FROM semaphore."{table}"').fetchall()[0][0]
    finally:
        con.close()


def test_the_dagster_ui_in_a_browser(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    world = make_world("tiny")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    duckdb_file = tmp_path / "semaphore_ci.duckdb"
    home = write_dagster_home(tmp_path / "dagster_home")
    with EmulatorServer(world, token=TEST_TOKEN, host="127.0.0.1", port=0) as emulator:
        env = source_env(emulator.base_url, duckdb_file, tmp_path / "dlt", home=home)
        with dagster_dev(env, cwd=tmp_path) as server, sync_playwright() as playwright:
            browser = Browser(playwright, server.url, shots)
            try:
                _catalog_lists_every_table_and_insight(browser, server.port)
                _materialize_button_runs(browser, server.port, duckdb_file, world)
                # The job-log backfill needs the jobs loaded: the CI tables first, as the hourly job does.
                ci_run = launch_assets(server.port, server.location, [["semaphore", t] for t in CI_TABLES])
                assert wait_for_run(server.port, ci_run) == "SUCCESS"
                _backfill_two_log_days(browser, server.port, duckdb_file)
                _no_page_shows_the_token(browser)
                _resources_show_the_connection_not_the_token(browser, server.location.name, emulator.base_url)
                _no_page_shows_the_token(browser)
            finally:
                browser.close()


def _catalog_lists_every_table_and_insight(browser: Browser, port: int) -> None:
    keys = {"/".join(n["assetKey"]["path"]) for n in graphql(port, ASSETS_QUERY)["assetNodes"]}
    tables = {f"semaphore/{t}" for t in TABLES}
    insights = {k for k in keys if k.startswith("semaphore_insights/")}
    assert tables <= keys, tables - keys
    assert len(insights) >= 13, insights
    browser.open("/assets", wait_for="semaphore / projects")
    listed = browser.text()
    missing = [k for k in sorted(tables | insights) if k.replace("/", " / ") not in listed]
    assert missing == [], f"not in the catalog page: {missing}"


def _materialize_button_runs(browser: Browser, port: int, duckdb_file: Path, world) -> None:
    browser.open("/assets/semaphore/projects", wait_for="Latest materialization")
    button = browser.page.locator("button").filter(has_text=re.compile(r"^\s*Materialize\s*$")).first
    button.click()
    confirm = browser.page.get_by_role("button", name="Confirm")
    if confirm.count():  # "upstream not materialized" confirmation (projects has no upstream: not expected)
        confirm.click()
    toast = browser.page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}")).first
    toast.wait_for(timeout=60_000)
    short_id = re.search(r"Launched run ([0-9a-f]{8})", toast.inner_text()).group(1)
    runs = graphql(port, RUNS_QUERY)["runsOrError"]["results"]
    run_ids = [r["runId"] for r in runs if r["runId"].startswith(short_id)]
    assert len(run_ids) == 1, (short_id, runs)
    run_id = run_ids[0]
    assert wait_for_run(port, run_id) == "SUCCESS"
    browser.open(f"/runs/{run_id}", wait_for="Success")
    assert "semaphore/projects" in browser.text() or "projects" in browser.text()
    assert _tables_count(duckdb_file, "projects") == len(world.ground_truth()["projects"])


def _backfill_two_log_days(browser: Browser, port: int, duckdb_file: Path) -> None:
    before = {b["id"] for b in graphql(port, BACKFILLS_QUERY)["partitionBackfillsOrError"]["results"]}
    browser.open("/assets/semaphore/job_logs", wait_for="Latest materialization")
    browser.page.locator("button").filter(has_text=re.compile(r"^\s*Materialize")).first.click()
    # job_logs and job_log_events load together (one fetch writes both): the UI says so before launch
    notice = browser.page.get_by_role("dialog").filter(has_text="Additional assets will be materialized")
    notice.get_by_text("job_log_events").wait_for(timeout=60_000)
    browser.keep("job_logs_loads_with_job_log_events")
    notice.get_by_role("button", name="Confirm").click()
    dialog = browser.page.get_by_role("dialog")
    dialog.get_by_text("Partition selection").wait_for(timeout=60_000)
    selection = dialog.locator("input[type=text]").first
    selection.fill(f"[{BACKFILL_DAYS[0]}...{BACKFILL_DAYS[1]}]")
    selection.press("Enter")
    dialog.get_by_text("2 partitions").first.wait_for(timeout=30_000)
    browser.keep("job_logs_backfill_dialog")
    dialog.get_by_role("button", name="Launch backfill").click()
    deadline = time.monotonic() + 60
    new: set[str] = set()
    while not new and time.monotonic() < deadline:
        time.sleep(1)
        after = {b["id"] for b in graphql(port, BACKFILLS_QUERY)["partitionBackfillsOrError"]["results"]}
        new = after - before
    assert len(new) == 1, "the Launch backfill button created no backfill"
    backfill_id = new.pop()
    backfill = wait_for_backfill(port, backfill_id)
    assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, backfill
    assert sorted(backfill["partitionNames"]) == list(BACKFILL_DAYS)
    assert backfill["runs"] and {r["status"] for r in backfill["runs"]} == {"SUCCESS"}, backfill["runs"]
    browser.open(f"/runs/b/{backfill_id}", wait_for="Succeeded")
    browser.open("/assets/semaphore/job_logs?view=partitions", wait_for="Materialized")
    assert _tables_count(duckdb_file, "job_logs") > 0


def _resources_show_the_connection_not_the_token(browser: Browser, location: str, base_url: str) -> None:
    browser.open(f"/locations/{location}/resources", wait_for="Name")
    listed = browser.text()
    # the resource keys of the code location: semaphore (the connection), destination, dbt
    assert re.search(r"^\s*semaphore\s*$", listed, flags=re.M), f"no semaphore resource:\n{listed[-1500:]}"
    assert re.search(r"^\s*destination\s*$", listed, flags=re.M), (
        f"no destination resource:\n{listed[-1500:]}"
    )
    browser.open(f"/locations/{location}/resources/semaphore", wait_for="base_url")
    browser.keep("resource_semaphore")
    detail = browser.text()
    assert base_url in detail or "SOURCES__SEMAPHORE__BASE_URL" in detail, detail[-1500:]
    assert "api_token" in detail or "SOURCES__SEMAPHORE__API_TOKEN" in detail, detail[-1500:]


def _no_page_shows_the_token(browser: Browser) -> None:
    assert browser.visited
    leaks = [name for name, html in browser.visited.items() if TEST_TOKEN in html]
    assert leaks == [], f"the token is on these pages: {leaks}"
    answers = []
    for response in browser.answers:
        try:
            answers.append(response.text())
        except Exception:  # a response the browser already let go of (e.g. aborted by a navigation)
            continue
    assert answers
    assert not [a for a in answers if TEST_TOKEN in a], "a GraphQL answer carries the token"
    browser.answers.clear()
