"""`semaphore-dagster load`: run the Semaphore source into the configured destination and print a summary.

DuckDB by default, at the path of DESTINATION__DUCKDB__CREDENTIALS or `[destination.duckdb] credentials` in
`.dlt/config.toml`; `--destination NAME` for any other dlt destination (configured the dlt way).
"""

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import dlt
from dlt.common.exceptions import SignalReceivedException

from .cli_logging import DEBUG_LOG_NAME, DebugLog
from .errors import ConfigError, SemaphoreError, failure_hint, one_line_failure
from .pipeline import load_all, make_pipeline
from .redaction import redact_text
from .source import semaphore_source, source_client


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--base-url", help="organization URL (default: SOURCES__SEMAPHORE__BASE_URL / config)"
    )
    parser.add_argument(
        "--token-env",
        metavar="VAR",
        help="read the API token from this environment variable (default: SOURCES__SEMAPHORE__API_TOKEN / secrets)",
    )
    parser.add_argument("--auth-scheme", choices=["Token", "Bearer"], help="Authorization scheme word")
    parser.add_argument("--destination", default="duckdb", help="any dlt destination name (default: duckdb)")
    parser.add_argument(
        "--duckdb-path", help="DuckDB file (default: DESTINATION__DUCKDB__CREDENTIALS / config)"
    )
    parser.add_argument("--dataset", default="semaphore", help="dataset (schema) name (default: semaphore)")
    parser.add_argument("--pipeline-name", default="semaphore", help="dlt pipeline name (default: semaphore)")
    parser.add_argument("--pipelines-dir", help="dlt working directory (default: dlt's)")
    parser.add_argument("--start-date", help="how far back the first load goes (ISO date)")
    parser.add_argument("--lookback", help="re-check window for open pipelines, e.g. 3d")
    parser.add_argument("--projects", help="comma-separated allow-list of project names or ids")
    parser.add_argument("--max-concurrency", type=int, help="parallel requests")
    parser.add_argument("--log-max-bytes", type=int, help="cap of stored log output per job")
    parser.add_argument("--no-logs", action="store_true", help="do not fetch job logs")
    parser.add_argument("--log-policy", help="which job logs to fetch: all (default), failed or none")
    parser.add_argument("--log-tail-bytes", type=int, help="keep the last N output bytes of each log")
    parser.add_argument("--request-timeout", type=float, help="read timeout of one request, seconds")
    parser.add_argument(
        "--request-deadline", type=float, help="total time one request may take (connect + body), seconds"
    )
    parser.add_argument(
        "--debug-log",
        metavar="PATH",
        help=f"file for tracebacks and dlt's log (default: {DEBUG_LOG_NAME} in the dlt working directory)",
    )
    parser.add_argument("--now", help=argparse.SUPPRESS)  # tests: a fixed run start


def _source_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.base_url:
        options["base_url"] = args.base_url
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise ConfigError(f"environment variable {args.token_env} (from --token-env) is not set or empty")
        options["api_token"] = token
    keys = ("auth_scheme", "start_date", "lookback", "max_concurrency", "log_max_bytes", "now")
    for key in (*keys, "request_timeout", "request_deadline", "log_policy", "log_tail_bytes"):
        value = getattr(args, key)
        if value is not None:
            options[key] = value
    if args.projects:
        options["projects"] = [p.strip() for p in args.projects.split(",") if p.strip()]
    if args.no_logs:
        options["include_logs"] = False
    return options


def _duckdb_credentials(args: argparse.Namespace) -> str | None:
    if args.destination != "duckdb":
        return None
    path = args.duckdb_path or os.environ.get("DESTINATION__DUCKDB__CREDENTIALS")
    if not path:
        try:
            path = dlt.config.get("destination.duckdb.credentials")
        except Exception:  # not configured: dlt's default (<pipeline_name>.duckdb)
            path = None
    if path and Path(str(path)).stem == args.dataset:
        raise ConfigError(
            f"the DuckDB file {path!r} has the same name as the dataset {args.dataset!r}: DuckDB then cannot tell "
            "the catalog from the schema; name the file differently, e.g. DESTINATION__DUCKDB__CREDENTIALS="
            f"{args.dataset}_ci.duckdb"
        )
    return str(path) if path else None


def _debug_log_path(args: argparse.Namespace) -> Path:
    if args.debug_log:
        return Path(args.debug_log)
    if args.pipelines_dir:
        return Path(args.pipelines_dir) / DEBUG_LOG_NAME
    from dlt.common.pipeline import get_dlt_pipelines_dir

    return Path(get_dlt_pipelines_dir()) / DEBUG_LOG_NAME


def run(args: argparse.Namespace) -> int:
    """Load, then print the summary; any failure is one line on stderr plus a hint, the traceback goes to
    the debug log (`--debug-log`)."""
    started = time.monotonic()
    debug = DebugLog(_debug_log_path(args)).start()
    options: dict[str, Any] = {}
    try:
        options = _source_options(args)
        debug.secrets.append(
            str(options.get("api_token") or os.environ.get("SOURCES__SEMAPHORE__API_TOKEN") or "")
        )
        credentials = _duckdb_credentials(args)
        source = semaphore_source(**options)
        client = source_client(source)
        if client is not None:
            debug.secrets.append(client._token)
        pipeline = make_pipeline(
            pipeline_name=args.pipeline_name,
            destination=args.destination,
            dataset_name=args.dataset,
            pipelines_dir=args.pipelines_dir,
            credentials=credentials,
        )
        result = load_all(pipeline, source)
        _print_summary(pipeline, source, result.row_counts, time.monotonic() - started)
        return 0
    except SignalReceivedException as exc:  # SIGINT / SIGTERM: stopped at a safe point
        debug.failure(exc)
        number = int(getattr(exc, "signal_code", 0) or signal.SIGTERM)
        print(f"error: stopped by signal {number}; what was committed stays", file=sys.stderr)
        print("hint: run semaphore-dagster load again: it finishes the pending load first", file=sys.stderr)
        return 128 + number
    except Exception as exc:  # one line, token-free; the traceback only in the debug log
        debug.failure(exc)
        token = str(options.get("api_token") or "")
        print(f"error: {redact_text(one_line_failure(exc), token)}", file=sys.stderr)
        hint = failure_hint(exc)
        if hint:
            print(f"hint: {hint} (details: {debug.path})", file=sys.stderr)
        return 1
    finally:
        debug.stop()


def _print_summary(pipeline: Any, source: Any, rows: dict[str, int], elapsed: float) -> None:
    client = source_client(source)
    print(f"loaded into {pipeline.destination.destination_name} dataset {pipeline.dataset_name}")
    for table in sorted(t for t in rows if not t.startswith("_dlt")):
        print(f"  {table:<30} {rows[table]:>9} rows")
    if client is not None:
        top = sorted(client.requests_by_path.items(), key=lambda kv: -kv[1])[:6]
        detail = ", ".join(f"{path} {count}" for path, count in top)
        print(f"requests: {client.request_count}" + (f" ({detail})" if detail else ""))
    print(f"time: {elapsed:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="semaphore-dagster load")
    configure_parser(parser)
    try:
        return run(parser.parse_args(argv))
    except SemaphoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
