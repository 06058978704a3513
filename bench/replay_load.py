"""Replay the last load package of a `bench/sample_memory.py` run, statement by statement, into a copy of its
DuckDB file, with each statement's seconds and peak RSS: which SQL of a load step costs the memory.

    uv run python bench/replay_load.py <sample work dir> [memory_limit, default 128MB] [--or]

`--or` writes the delete of `job_log_events` as dlt does without `merge_delete.py` (primary key OR merge
key), to compare the two forms on the same file.
"""

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.sample_memory import rss_mb  # noqa: E402

KEY_ONLY = 'd."job_id" = s."job_id"'
DLT_OR = 'd."job_id" = s."job_id" AND d."seq" = s."seq" OR d."job_id" = s."job_id"'


def main(work: Path, memory_limit: str, dlt_or: bool) -> None:
    loaded = work / "pipelines" / "semaphore" / "load" / "loaded"
    package = loaded / sorted(os.listdir(loaded))[-1] / "completed_jobs"
    copy = work / "replay.duckdb"
    shutil.copy(work / "db.duckdb", copy)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.003)

    threading.Thread(target=sample, daemon=True).start()
    con = duckdb.connect(str(copy), config={"memory_limit": memory_limit, "threads": 1})
    con.execute("CREATE SCHEMA IF NOT EXISTS semaphore_staging")

    def run(label: str, sql: str) -> None:
        peak[0] = start = rss_mb()
        began = time.perf_counter()
        con.execute(sql)
        print(f"{time.perf_counter() - began:6.2f} s  {start:5.0f} -> peak {peak[0]:5.0f} MiB  {label}")

    files = sorted(os.listdir(package))
    for name in (f for f in files if f.endswith(".parquet")):
        table = name.split(".")[0]
        path = package / name
        run(
            f"stage {table}",
            f"CREATE OR REPLACE TABLE semaphore_staging.\"{table}\" AS SELECT * FROM read_parquet('{path}')",
        )
        for sql_file in (f for f in files if f.startswith(table + ".") and f.endswith(".sql")):
            con.execute("BEGIN")
            for statement in (package / sql_file).read_text().strip().splitlines():
                is_delete = table == "job_log_events" and statement.startswith("DELETE")
                if dlt_or and is_delete and DLT_OR not in statement:
                    statement = statement.replace(KEY_ONLY, DLT_OR, 1)
                run(f"{table}: {statement[:50]}", statement)
            run(f"{table}: commit", "COMMIT")
    done.set()
    copy.unlink()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--or"]
    if not args:
        raise SystemExit("usage: python bench/replay_load.py <sample work dir> [memory_limit] [--or]")
    main(Path(args[0]), args[1] if len(args) > 1 else "128MB", "--or" in sys.argv)
