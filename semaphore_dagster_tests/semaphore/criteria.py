"""The six criteria every reliability scenario asserts (docs/reliability.md), in one helper.

1. the final tables equal the fault-free run of the same world (contract columns; `_dlt_*` and load-time
   columns ignored; `agents`: the latest snapshot),
2. no primary key is duplicated,
3. only completed loads are visible: every `_dlt_load_id` present in a table has `_dlt_loads.status = 0`,
4. the dlt state cursors are not past committed data: the committed state (`_dlt_pipeline_state` of a
   completed load) has no watermark newer than the rows committed, no open/known pipeline that is not a
   committed row, and the local pipeline state is no newer than the committed one,
5. the API token appears nowhere: given texts (logs, stderr, exception text), the DuckDB file's bytes, every
   file of the dlt working directory,
6. wall time within `factor` x the fault-free run (+ `slack` seconds for the retries a scenario must pay).
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

from .conftest import START, _present_tables, assert_no_duplicate_keys, assert_table_equal, load, read_tables


@dataclass
class Baseline:
    """The fault-free run of one world: its tables and its wall time."""

    tables: dict[str, list[dict[str, Any]]]
    elapsed: float


_BASELINES: dict[tuple, Baseline] = {}


def world_key(knobs: dict[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in knobs.items()))


def fault_free(tmp_root: Path, load_options: dict[str, Any] | None = None, **knobs: Any) -> Baseline:
    """The fault-free run of `make_world("tiny", **knobs)` (cached per world and options in this process)."""
    key = (world_key(knobs), world_key(load_options or {}))
    if key not in _BASELINES:
        world = make_world("tiny", **knobs)
        where = tmp_root / f"baseline_{len(_BASELINES)}"
        where.mkdir(parents=True, exist_ok=True)
        with EmulatorServer(world, token=TEST_TOKEN) as server:
            started = time.monotonic()
            load(server, where / "base_ci.duckdb", where / "pipelines", **(load_options or {}))
            elapsed = time.monotonic() - started
        _BASELINES[key] = Baseline(latest_snapshot(read_tables(where / "base_ci.duckdb")), elapsed)
    return _BASELINES[key]


def latest_snapshot(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out = dict(tables)
    for name in ("agents", "agent_types"):
        rows = out.get(name) or []
        latest = max((r["snapshot_at"] for r in rows), default=None)
        out[name] = [r for r in rows if r["snapshot_at"] == latest]
    return out


def visible_load_ids(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """table -> the `_dlt_load_id`s its rows carry."""
    out: dict[str, set[str]] = {}
    for name in _present_tables(con):
        columns = {r[0] for r in con.execute(f'DESCRIBE semaphore."{name}"').fetchall()}
        if "_dlt_load_id" in columns and not name.startswith("_dlt_loads"):
            out[name] = {
                r[0] for r in con.execute(f'SELECT DISTINCT _dlt_load_id FROM semaphore."{name}"').fetchall()
            }
    return out


def assert_only_completed_loads(duckdb_path: Path) -> None:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        if "_dlt_loads" not in _present_tables(con):
            assert not visible_load_ids(con), "rows without any _dlt_loads row"
            return
        done = {
            r[0] for r in con.execute("SELECT load_id FROM semaphore._dlt_loads WHERE status = 0").fetchall()
        }
        for table, ids in visible_load_ids(con).items():
            assert ids <= done, f"{table} holds rows of loads not completed: {sorted(ids - done)[:3]}"


def committed_state(duckdb_path: Path) -> dict[str, Any] | None:
    """The newest source state dlt committed with a completed load (None: never committed)."""
    from dlt.common.versioned_state import decompress_state

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        if "_dlt_pipeline_state" not in _present_tables(con):
            return None
        rows = con.execute(
            "SELECT s.state, s.version FROM semaphore._dlt_pipeline_state s "
            "WHERE s._dlt_load_id IN (SELECT load_id FROM semaphore._dlt_loads WHERE status = 0) "
            "ORDER BY s.version DESC LIMIT 1"
        ).fetchall()
    if not rows:
        return None
    state = decompress_state(rows[0][0])
    state["_version"] = rows[0][1]
    return state


def _epoch(value: Any) -> int:
    return int(value.timestamp()) if isinstance(value, datetime) else 0


def assert_cursors_not_past_committed_data(duckdb_path: Path, pipelines_dir: Path | None) -> None:
    state = committed_state(duckdb_path)
    tables = read_tables(duckdb_path, ("workflows", "pipelines"))
    if state is None:
        assert not tables["pipelines"] and not tables["workflows"], "rows committed without a state"
        return
    ci = ((state.get("sources") or {}).get("semaphore") or {}).get("ci") or {}
    start = int(datetime.fromisoformat(START).replace(tzinfo=UTC).timestamp())
    by_project: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in ("workflows", "pipelines"):
        for row in tables[name]:
            by_project.setdefault(row["project_id"], {"workflows": [], "pipelines": []})[name].append(row)
    for project_id, st in (ci.get("projects") or {}).items():
        rows = by_project.get(project_id, {"workflows": [], "pipelines": []})
        newest_wf = max((_epoch(r["created_at"]) for r in rows["workflows"]), default=0)
        newest_ppl = max((_epoch(r["created_at"]) for r in rows["pipelines"]), default=0)
        newest_done = max((_epoch(r.get("done_at")) for r in rows["pipelines"]), default=0)
        assert st.get("wf_max", 0) <= max(newest_wf, start), f"{project_id}: workflow cursor past the data"
        assert st.get("ppl_created_max", 0) <= max(newest_ppl, start), f"{project_id}: pipeline cursor ahead"
        assert st.get("ppl_done_max", 0) <= max(newest_done, start), f"{project_id}: done cursor ahead"
        committed = {r["ppl_id"] for r in rows["pipelines"]}
        for group in ("open", "known_done"):
            unknown = set(st.get(group) or {}) - committed
            assert not unknown, (
                f"{project_id}: state {group} names pipelines never committed: {sorted(unknown)[:3]}"
            )
    if pipelines_dir is not None:
        import json

        local = pipelines_dir / "semaphore" / "state.json"
        if local.exists():
            version = json.loads(local.read_text()).get("_state_version", 0)
            assert version >= state["_version"], "the local state is older than the committed one"


def assert_token_nowhere(duckdb_path: Path, pipelines_dir: Path | None, texts: Iterable[str] = ()) -> None:
    for text in texts:
        assert TEST_TOKEN not in (text or ""), "the token is in a log, an error or stderr"
    if duckdb_path.exists():
        assert TEST_TOKEN.encode() not in duckdb_path.read_bytes(), "the token is in the DuckDB file"
    for path in pipelines_dir.rglob("*") if pipelines_dir and pipelines_dir.exists() else ():
        if path.is_file():
            assert TEST_TOKEN.encode() not in path.read_bytes(), f"the token is in dlt working file {path}"


def assert_six_criteria(
    duckdb_path: Path,
    pipelines_dir: Path | None,
    baseline: Baseline,
    *,
    elapsed: float,
    factor: float = 3.0,
    slack: float = 5.0,
    texts: Iterable[str] = (),
    ignore: dict[str, set[str]] | None = None,
    expected: Callable[[dict[str, list[dict[str, Any]]]], dict[str, list[dict[str, Any]]]] | None = None,
    set_aside: Callable[[str, dict[str, Any]], bool] | None = None,
) -> None:
    """All six criteria of a scenario (module docstring). `expected` may adjust the baseline tables for a
    scenario whose documented result differs on purpose (e.g. escaped log text); `set_aside(table, row)`
    rows are left out on both sides (the scenario asserts them itself, e.g. one job's `ERROR` log row)."""
    want = expected(baseline.tables) if expected else baseline.tables
    got = latest_snapshot(read_tables(duckdb_path))
    for name in TABLES:  # 1
        mine, theirs = got[name], want[name]
        if set_aside is not None:
            mine = [r for r in mine if not set_aside(name, r)]
            theirs = [r for r in theirs if not set_aside(name, r)]
        assert_table_equal(name, mine, theirs, (ignore or {}).get(name, set()))
    assert_no_duplicate_keys(duckdb_path)  # 2
    assert_only_completed_loads(duckdb_path)  # 3
    assert_cursors_not_past_committed_data(duckdb_path, pipelines_dir)  # 4
    assert_token_nowhere(duckdb_path, pipelines_dir, texts)  # 5
    bound = factor * baseline.elapsed + slack  # 6
    assert elapsed <= bound, (
        f"took {elapsed:.1f} s, bound {bound:.1f} s ({factor} x {baseline.elapsed:.1f} + {slack})"
    )
