"""`semaphore-dagster demo`: the whole thing, end to end, on a local emulated Semaphore organization.

Without `--ui`: start the emulator (small world, free loopback port, in this process), point the code
location's resources at it (`SemaphoreResource`, `DestinationResource`), materialize every table, the day
partitions (job logs, test results) of every day as one single-run backfill, the dbt insights and the report,
with every check, through Dagster into `./semaphore_ci.duckdb` (or PostgreSQL with `--destination postgres`),
print a summary, exit 0 (1 when a run or a check failed).

With `--ui`: the same first load, then the emulator keeps producing pipelines (live mode) and `dagster dev`
serves the code location on 127.0.0.1 with schedules and the sensor on. Ctrl-C stops what it started.
"""

import argparse
import contextlib
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

DEFAULT_DUCKDB_PATH = "semaphore_ci.duckdb"  # = semaphore_dagster.resources.destination.DEFAULT_DUCKDB_PATH
DEMO_MARKER_SCHEMA = "semaphore_demo"
LIVE_PIPELINES_PER_DAY = 1440.0  # --ui: about one new pipeline a minute
PROJECT_DAGSTER_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"
CODE_LOCATION = "semaphore_dagster"  # the one code-location name (workspace.yaml, [tool.dg], the demo)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ui", action="store_true", help="keep running: live emulator + `dagster dev` on 127.0.0.1"
    )
    parser.add_argument(
        "--scale", default="small", help="emulated organization size: tiny, small, medium (default small)"
    )
    parser.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    parser.add_argument(
        "--duckdb",
        default=DEFAULT_DUCKDB_PATH,
        help=f"DuckDB file to write (default ./{DEFAULT_DUCKDB_PATH})",
    )
    parser.add_argument(
        "--report", default="semaphore_report.html", help="insights report path (when available)"
    )
    parser.add_argument("--port", type=int, default=0, help="--ui: dagster dev port (default: a free one)")
    parser.add_argument(
        "--destination",
        choices=("duckdb", "postgres"),
        default="duckdb",
        help="duckdb (default, the --duckdb file) or postgres (DESTINATION__POSTGRES__CREDENTIALS)",
    )


def run(args: argparse.Namespace) -> int:
    from semaphore_dagster.emulator import WorldConfig
    from semaphore_dagster.resources.destination import DestinationError, check_duckdb_name

    duckdb_file = Path(args.duckdb).expanduser().absolute()
    try:
        WorldConfig.preset(args.scale)
        if getattr(args, "destination", "duckdb") == "postgres":
            _postgres_url()
        else:
            check_duckdb_name(duckdb_file)
            _claim_duckdb_file(duckdb_file)
    except (ValueError, DestinationError) as exc:
        print(f"semaphore-dagster demo: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, duckdb_file)
    except KeyboardInterrupt:
        print("\nsemaphore-dagster demo: interrupted", file=sys.stderr)
        return 130


def _postgres_url() -> str:
    url = os.environ.get("DESTINATION__POSTGRES__CREDENTIALS", "").strip()
    if not url:
        raise ValueError(
            "--destination postgres needs DESTINATION__POSTGRES__CREDENTIALS=postgresql://user:password@host:port/db"
        )
    return url


def _destination(args: argparse.Namespace, duckdb_file: Path, dlt_dir: str) -> Any:
    from semaphore_dagster.resources import DestinationResource

    if getattr(args, "destination", "duckdb") == "postgres":
        return DestinationResource(
            kind="postgres", postgres_credentials=_postgres_url(), pipelines_dir=dlt_dir
        )
    return DestinationResource(duckdb_path=str(duckdb_file), pipelines_dir=dlt_dir)


def _demo_dlt_dir(duckdb_file: Path) -> Path:
    """dlt's working folder of the demo's pipelines, kept after the demo (so `dlt pipeline
    --pipelines-dir .dlt_data/demo semaphore_ci info` / `show` can look at them) and emptied at its start: the
    demo starts from an empty destination, and a previous demo's local state would make dlt skip data."""
    path = duckdb_file.parent / ".dlt_data" / "demo"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _run(args: argparse.Namespace, duckdb_file: Path) -> int:
    from semaphore_dagster.resources import SemaphoreResource

    token = f"demo-{secrets.token_hex(12)}"
    dlt_dir = str(_demo_dlt_dir(duckdb_file))
    with (
        _restored_environment(),
        _emulator(args, token, live=args.ui) as server,
    ):
        first_day, last_day = _log_days(server)
        os.environ.update(_runtime_env())  # dlt's own runtime knobs only: quiet, no telemetry
        semaphore = SemaphoreResource(
            base_url=server.base_url, api_token=token, auth_scheme="Token", start_date=first_day.isoformat()
        )
        destination = _destination(args, duckdb_file, dlt_dir)
        print(f"Emulated Semaphore organization ({args.scale}) at {server.base_url}")
        home = _fresh_dagster_home(duckdb_file) if args.ui else None
        report = Path(args.report).expanduser().absolute()
        report.unlink(missing_ok=True)  # the demo's own output: a report shown below is this run's
        os.environ["SEMAPHORE_REPORT_PATH"] = str(report)  # where the report asset writes (restored after)
        ok = _load_everything(semaphore, destination, first_day, last_day, home)
        if report.exists():
            print(f"\nInsights report: {report}")
        if not args.ui:
            return 0 if ok else 1
        assert home is not None
        return _serve_ui(args.port, home, _demo_env(server, token, destination, dlt_dir, first_day))


# --- the DuckDB file ------------------------------------------------------------------------------------


def _claim_duckdb_file(path: Path) -> None:
    """Start from an empty file: replace a previous demo's file, refuse to touch anything else."""
    if not path.exists():
        return
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise ValueError(
            f"cannot open {path} ({str(exc).splitlines()[0]}); close what holds it or pass --duckdb"
        ) from None
    try:
        schemas = {
            r[0] for r in con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()
        }
    finally:
        con.close()
    if DEMO_MARKER_SCHEMA not in schemas:
        raise ValueError(
            f"{path} exists and was not written by the demo: move it away or pass --duckdb OTHER_PATH"
        )
    path.unlink()
    Path(f"{path}.wal").unlink(missing_ok=True)


def _mark_duckdb_file(path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {DEMO_MARKER_SCHEMA}")
        con.execute(
            f"CREATE OR REPLACE TABLE {DEMO_MARKER_SCHEMA}.written_by AS SELECT 'semaphore-dagster demo' AS tool"
        )
    finally:
        con.close()


# --- environment and emulator --------------------------------------------------------------------------


@contextmanager
def _restored_environment() -> Iterator[None]:
    """The demo's settings live in this process's environment only, restored on exit."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _runtime_env() -> dict[str, str]:
    return {
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "RUNTIME__LOG_LEVEL": "ERROR",
        "DAGSTER_TELEMETRY_DISABLED": "1",
    }


def _demo_env(server: Any, token: str, destination: Any, dlt_dir: str, first_day: date) -> dict[str, str]:
    """The environment of the `dagster dev` child (its code location builds its resources from it)."""
    env = {
        **_runtime_env(),
        "SOURCES__SEMAPHORE__BASE_URL": server.base_url,
        "SOURCES__SEMAPHORE__API_TOKEN": token,
        "SOURCES__SEMAPHORE__AUTH_SCHEME": "Token",
        "SOURCES__SEMAPHORE__START_DATE": first_day.isoformat(),
        "SEMAPHORE_DAGSTER_LOGS_START_DATE": first_day.isoformat(),
        "SEMAPHORE_DAGSTER_DESTINATION": destination.kind,
        "DLT_DATA_DIR": dlt_dir,
    }
    if destination.kind == "postgres":
        env["DESTINATION__POSTGRES__CREDENTIALS"] = destination.postgres_url()
    else:
        env["DESTINATION__DUCKDB__CREDENTIALS"] = str(destination.path())
    return env


def _log_days(server: Any) -> tuple[date, date]:
    """From the day before the world's first day to today (UTC)."""
    config = server.world.config
    now = config.now or datetime.now(UTC)
    return (now - timedelta(days=config.days + 1)).date(), datetime.now(UTC).date()


@contextmanager
def _emulator(args: argparse.Namespace, token: str, live: bool) -> Iterator[Any]:
    from semaphore_dagster.emulator import EmulatorServer, World, WorldConfig

    config = WorldConfig.preset(args.scale, seed=args.seed)
    if live:
        # Live: the emulator's clock runs at wall-clock speed (the source windows its listings by the wall
        # clock, so emulated time must not run ahead of it), a day of history, about one new pipeline
        # a minute across the organization.
        config = WorldConfig.preset(
            args.scale, seed=args.seed, days=1, pipelines_per_day=LIVE_PIPELINES_PER_DAY / config.projects
        )
    world = World.generate(config)
    with EmulatorServer(world, token=token, host="127.0.0.1", port=0, live=live, live_speed=1.0) as server:
        yield server


# --- loading through Dagster ---------------------------------------------------------------------------


def _load_everything(
    semaphore: Any, destination: Any, first_day: date, last_day: date, home: Path | None
) -> bool:
    """Materialize everything into the destination, then print the summary. True when all went well."""
    import dagster as dg

    from semaphore_dagster.dagster_layer.materialize_all import materialize_all
    from semaphore_dagster.dagster_layer.settings import DagsterSettings
    from semaphore_dagster.definitions import build_definitions

    settings = DagsterSettings(logs_start_date=first_day, destination_kind=destination.kind)
    defs = build_definitions(settings, {"semaphore": semaphore, "destination": destination})
    started = time.monotonic()
    # dagster-dbt re-prints every line of dbt's log on stdout (in `dagster dev` that is the step's compute
    # log); in the demo's terminal it would bury the summary, so it goes to a file beside dlt's folder.
    dbt_log = Path(destination.pipelines_dir or ".").parent / "dbt_output.log"
    with open(dbt_log, "w", encoding="utf-8") as captured, contextlib.redirect_stdout(captured):
        if home is None:
            with dg.DagsterInstance.ephemeral() as instance:
                outcomes = materialize_all(defs, instance, first_day, last_day, "ERROR")
        else:
            with dg.DagsterInstance.from_config(str(home)) as instance:
                outcomes = materialize_all(defs, instance, first_day, last_day, "ERROR")
    elapsed = time.monotonic() - started
    if destination.kind == "duckdb" and destination.path().exists():
        _mark_duckdb_file(destination.path())
    ok = _print_summary(destination, outcomes, elapsed)
    print(f"\ndbt's own log of the insights build: {dbt_log}")
    return ok


def _print_summary(destination: Any, outcomes: list[Any], elapsed: float) -> bool:
    from semaphore_dagster.dagster_layer.summary import summarize

    print(f"\nLoaded through Dagster in {elapsed:.1f} s into {destination.describe()}")
    for outcome in outcomes:
        status = "ok" if outcome.success else f"FAILED: {outcome.error}"
        print(f"  run {outcome.name}: {len(outcome.materialized)} asset(s) materialized, {status}")
    counts, numbers = summarize(destination)
    print("\nTables (rows):")
    for table, count in counts.items():
        print(f"  semaphore.{table:<30} {count:>8}")
    checks = [c for o in outcomes for c in o.checks]
    failed = [c for c in checks if not c.passed]
    print(f"\nChecks: {len(checks) - len(failed)} passed, {len(failed)} failed")
    for check in failed:
        print(f"  FAILED ({check.severity}) {check.asset}: {check.name}")
    if numbers:
        print("\nCI headlines:")
        for name, value in numbers.items():
            print(f"  {name:<26} {value}")
    all_runs_ok = bool(outcomes) and all(o.success for o in outcomes)
    return all_runs_ok and not failed


# --- the UI --------------------------------------------------------------------------------------------


def _fresh_dagster_home(duckdb_file: Path) -> Path:
    """A Dagster home for the demo next to its DuckDB file, with the project's instance settings."""
    home = duckdb_file.parent / ".dagster_home" / "demo"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    if PROJECT_DAGSTER_YAML.exists():
        text = PROJECT_DAGSTER_YAML.read_text().replace(".dagster_home/", f"{home}/")
    else:  # installed without the repository: the essentials
        text = (
            "telemetry:\n  enabled: false\n"
            f"storage:\n  sqlite:\n    base_dir: {home}/storage\n"
            "concurrency:\n  pools:\n    default_limit: 1\n"
            "run_monitoring:\n  enabled: true\n  free_slots_after_run_end_seconds: 30\n"
        )
    (home / "dagster.yaml").write_text(text)
    return home


def _serve_ui(port: int, home: Path, demo_env: dict[str, str]) -> int:
    """`dagster dev` until Ctrl-C, SIGTERM or SIGHUP; then it and everything it started are stopped
    (see semaphore_dagster/dev_server.py for why the signals need care)."""
    from semaphore_dagster.dev_server import free_port, serve_dagster_dev

    port = port or free_port()
    env = dict(os.environ)
    env.update(demo_env)
    env.update(
        {
            "DAGSTER_HOME": str(home),
            "SEMAPHORE_DAGSTER_AUTOMATION": "on",
            "SEMAPHORE_DAGSTER_SENSOR_INTERVAL": "30",
        }
    )
    banner = (
        f"\nDagster UI: http://127.0.0.1:{port}  (schedules and the sensor are on; Ctrl-C stops everything)"
    )
    return serve_dagster_dev(port, env, banner=banner)
