"""Helpers of the source tests: run a load against an emulator into a temp DuckDB, read tables back, compare
them with the world's ground truth on the contract columns."""

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from semaphore_dagster.semaphore import make_pipeline, run_load, semaphore_source
from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster_tests.conftest import FIXED_NOW, TEST_TOKEN

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

START = "2026-01-01"  # before every generated world's history
LOAD_TIME_COLUMNS = {"snapshot_at", "fetched_at", "attempts"}  # not in the ground truth (docs/tables.md)


def load(
    server: Any,
    duckdb_path: Path,
    pipelines_dir: Path,
    now: datetime = FIXED_NOW,
    resources: tuple[str, ...] | None = None,
    **options: Any,
) -> Any:
    """One `run_load` of the whole source (or `resources`) from `server` into `duckdb_path`."""
    options.setdefault("api_token", TEST_TOKEN)
    options.setdefault("start_date", START)
    options.setdefault("backoff_factor", 0.05)
    options.setdefault("max_retry_delay", 2.0)
    pipeline = make_pipeline(pipelines_dir=pipelines_dir, credentials=str(duckdb_path))
    source = semaphore_source(base_url=server.base_url, now=now, **options)
    if resources:
        source = source.with_resources(*resources)
    info = run_load(pipeline, source)
    return pipeline, info


def _present_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables dlt created in dataset `semaphore` (a table exists only once a load brought rows)."""
    sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'semaphore'"
    return {r[0] for r in con.execute(sql).fetchall()}


def read_tables(duckdb_path: Path, tables: tuple[str, ...] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Contract tables as lists of dicts (types normalised: UTC datetimes, parsed JSON)."""
    out: dict[str, list[dict[str, Any]]] = {}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        present = _present_tables(con)
        for name in tables or tuple(TABLES):
            if name not in present:
                out[name] = []
                continue
            cursor = con.execute(f'SELECT * FROM semaphore."{name}"')
            columns = [d[0] for d in cursor.description]
            out[name] = [_row(name, dict(zip(columns, values, strict=True))) for values in cursor.fetchall()]
    return out


def _row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    spec = TABLES[table]
    for key, value in row.items():
        kind = spec.columns.get(key)
        if kind == "json" and isinstance(value, str):
            row[key] = json.loads(value)
        elif isinstance(value, datetime):
            row[key] = value.astimezone(UTC)
    return row


def _canon(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value


def contract_rows(table: str, rows: list[dict[str, Any]], ignore: set[str] = frozenset()) -> list[tuple]:
    """Rows reduced to the contract columns (minus load-time ones), sorted by primary key."""
    spec = TABLES[table]
    columns = [c for c in spec.columns if c not in LOAD_TIME_COLUMNS | set(ignore)]
    keys = [c for c in spec.primary_key if c not in LOAD_TIME_COLUMNS]
    reduced = [tuple(_canon(r.get(c)) for c in columns) for r in rows]
    index = [columns.index(k) for k in keys]
    return sorted(reduced, key=lambda t: tuple(str(t[i]) for i in index))


def assert_table_equal(
    table: str, actual: list[dict[str, Any]], expected: list[dict[str, Any]], ignore: set[str] = frozenset()
) -> None:
    got, want = contract_rows(table, actual, ignore), contract_rows(table, expected, ignore)
    if got != want:
        columns = [c for c in TABLES[table].columns if c not in LOAD_TIME_COLUMNS | set(ignore)]
        diffs = []
        for g, w in zip(got, want, strict=False):
            if g != w:
                diffs.append({c: (a, b) for c, a, b in zip(columns, g, w, strict=True) if a != b})
                if len(diffs) >= 3:
                    break
        raise AssertionError(f"{table}: {len(got)} rows loaded, {len(want)} expected; first diffs: {diffs}")


def assert_no_duplicate_keys(duckdb_path: Path) -> None:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        present = _present_tables(con)
        for name, spec in TABLES.items():
            if name not in present:
                continue
            key = ", ".join(f'"{k}"' for k in spec.primary_key)
            dupes = con.execute(
                f'SELECT {key}, count(*) FROM semaphore."{name}" GROUP BY {key} HAVING count(*) > 1'
            ).fetchall()
            assert not dupes, f"{name} has duplicate keys: {dupes[:3]}"


def assert_equals_ground_truth(
    duckdb_path: Path, world: Any, ignore: dict[str, set[str]] | None = None, **truth_options: Any
) -> None:
    truth = world.ground_truth(**truth_options)
    tables = read_tables(duckdb_path)
    for name in TABLES:
        expected = truth[name]
        actual = tables[name]
        if name == "agents":  # snapshots: compare the latest one
            latest = max((r["snapshot_at"] for r in actual), default=None)
            actual = [r for r in actual if r["snapshot_at"] == latest]
        assert_table_equal(name, actual, expected, (ignore or {}).get(name, set()))
    assert_no_duplicate_keys(duckdb_path)


def assert_one_line_error(err: str) -> str:
    """What `semaphore-dagster load` prints on a failure: `error: <one line>`, then at most `hint: ...`.
    Returns the error line."""
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= 2, f"{len(lines)} lines on stderr: {err[:2000]}"
    assert lines[0].startswith("error: "), lines[0]
    assert len(lines) == 1 or lines[1].startswith("hint: "), lines[1]
    assert TEST_TOKEN not in err
    return lines[0]


@pytest.fixture
def pipelines_dir(tmp_path: Path) -> Path:
    return tmp_path / "pipelines"


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    """Overrides the shared fixture: DuckDB cannot bind `semaphore.x` when the file (catalog) is also named
    `semaphore` like the dataset (dlt warns, then the schema update fails), so the file gets another stem."""
    return tmp_path / "semaphore_ci.duckdb"


class CaptureServer:
    """A plain HTTP server on 127.0.0.1 that records every request's path and headers and answers `[]`
    (a stand-in for "another host": nothing the loader sends should ever reach it)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[tuple[str, dict[str, str]]] = []
        capture = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                capture.requests.append((self.path, dict(self.headers)))
                body = b"[]"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("x-has-more", "false")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "CaptureServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
