"""The dedup of staged merge rows, side by side in one DuckDB file: dlt's window against the row-id semi-join.

    uv run python bench/dedup_statements.py [jobs] [events_per_job]

Stages `jobs` x `events_per_job` log events (the logs section's shape: 151 x 1,470, 60-70 bytes of output each)
in a DuckDB file capped as the loader caps it (128 MB, one thread), then times each INSERT of the staged rows
into an empty table twice: dlt's `ROW_NUMBER()` dedup, the row-id dedup of merge_dedup.py, `DISTINCT ON`, and no
dedup (the floor). Prints seconds and rows inserted (the same for every variant: no duplicates are staged).
"""

import sys
import tempfile
import time
import uuid
from pathlib import Path

import duckdb

COLUMNS = "job_id, seq, event_type, ts, output, _dlt_load_id"
VARIANTS = {
    "dlt ROW_NUMBER": (
        f"SELECT {COLUMNS} FROM (SELECT ROW_NUMBER() OVER (PARTITION BY job_id, seq ORDER BY (SELECT NULL)) "
        f"AS _dlt_dedup_rn, {COLUMNS} FROM staged.ev) WHERE _dlt_dedup_rn = 1 AND (1 = 1)"
    ),
    "row id (merge_dedup.py)": (
        f"SELECT {COLUMNS} FROM staged.ev WHERE rowid IN (SELECT min(rowid) FROM staged.ev GROUP BY job_id, seq) "
        "AND (1 = 1)"
    ),
    "DISTINCT ON": f"SELECT DISTINCT ON (job_id, seq) {COLUMNS} FROM staged.ev",
    "no dedup": f"SELECT {COLUMNS} FROM staged.ev",
}


def main(jobs: int = 151, events_per_job: int = 1470) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "dedup.duckdb"), config={"memory_limit": "128MB", "threads": 1})
        con.execute("CREATE SCHEMA staged; CREATE SCHEMA stored")
        con.execute(
            "CREATE TABLE staged.ev AS SELECT j.job_id, r.seq::BIGINT AS seq, 'cmd_output' AS event_type, "
            "now()::TIMESTAMPTZ AS ts, repeat('x', 60) || r.seq::VARCHAR AS output, 'load' AS _dlt_load_id "
            "FROM (SELECT unnest(?) AS job_id) j, range(?) r(seq)",
            [[str(uuid.uuid4()) for _ in range(jobs)], events_per_job],
        )
        print(f"{con.execute('SELECT count(*) FROM staged.ev').fetchone()[0]:,} staged events")
        for round_ in (1, 2):
            for name, select in VARIANTS.items():
                con.execute("DROP TABLE IF EXISTS stored.ev")
                con.execute("CREATE TABLE stored.ev AS SELECT * FROM staged.ev LIMIT 0")
                con.execute("CHECKPOINT")
                started = time.perf_counter()
                con.execute(f"INSERT INTO stored.ev {select}")
                seconds = time.perf_counter() - started
                rows = con.execute("SELECT count(*) FROM stored.ev").fetchone()[0]
                print(f"round {round_}  {name:<24} {seconds:6.3f} s  {rows:,} rows")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
