"""Ground truth: the table contract of docs/tables.md, referential integrity, log truncation, JSON export."""

import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from semaphore_dagster.emulator import World
from semaphore_dagster_tests.conftest import make_world

TABLES_MD = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
NOT_COLUMNS = {
    "snapshot_at",
    "fetched_at",
    "attempts",
    "registration_token",
}  # load-time columns, a dropped secret


def contract_columns() -> dict[str, list[str]]:
    """Column names per table, read from docs/tables.md (`## table (key)` then backticked names)."""
    text = TABLES_MD.read_text()
    out = {}
    for match in re.finditer(r"^## (\w+) \(.*?\)\n(.*?)(?=^## |\Z)", text, re.S | re.M):
        body = re.sub(r"\([^()]*(\([^()]*\)[^()]*)*\)", "", match.group(2))  # drop parenthesised notes
        names = re.findall(r"`([a-z_0-9]+)`", body)
        out[match.group(1)] = [n for n in dict.fromkeys(names) if n not in NOT_COLUMNS]
    return out


@pytest.fixture(scope="module")
def world() -> World:
    return make_world("small", days=5)


@pytest.fixture(scope="module")
def truth(world: World) -> dict[str, list[dict]]:
    return world.ground_truth()


def test_every_contract_table_with_exactly_its_columns(truth):
    contract = contract_columns()
    assert set(truth) == set(contract)
    for table, columns in contract.items():
        assert truth[table], f"{table} is empty"
        for row in truth[table]:
            assert set(row) == set(columns), (table, set(row) ^ set(columns))


def test_values_are_normalised(truth):
    for table, rows in truth.items():
        for row in rows:
            for column, value in row.items():
                if isinstance(value, datetime):
                    assert value.tzinfo is not None and value.utcoffset().total_seconds() == 0
                    assert value.year > 1970
                assert value != "" or column in (
                    "error_description",
                    "state_message",
                    "hook_id",
                    "pipeline_id",
                    "description",
                    "bookmark_parameter1",
                    "bookmark_parameter2",
                    "bookmark_parameter3",
                    "os_image",
                    "pause_toggled_by",
                    "wf_triggerer_id",
                    "triggerer__wf_triggerer_id",
                ), (table, column)
    assert {r["state"] for r in truth["pipelines"]} <= {
        "INITIALIZING",
        "PENDING",
        "QUEUING",
        "RUNNING",
        "STOPPING",
        "DONE",
    }
    assert all(r["result"] is None for r in truth["pipelines"] if r["state"] != "DONE")
    assert {r["queue__type"] for r in truth["pipelines"]} == {"IMPLICIT", "USER_GENERATED"}
    assert {r["visibility"] for r in truth["projects"]} <= {"PRIVATE", "PUBLIC"}
    assert all(v["value"] == "<redacted>" for r in truth["deployments"] for v in r["env_vars"])
    assert all(isinstance(name, str) for r in truth["jobs"] for name in r["env_vars"])
    assert {r["event"] for r in truth["job_log_events"]} == {
        "JOB_STARTED",
        "CMD_STARTED",
        "CMD_OUTPUT",
        "CMD_FINISHED",
        "JOB_FINISHED",
    }


def test_referential_integrity(truth):
    ids = {
        t: {r[k] for r in truth[t]}
        for t, k in (
            ("projects", "id"),
            ("workflows", "wf_id"),
            ("pipelines", "ppl_id"),
            ("blocks", "block_id"),
            ("jobs", "job_id"),
            ("deployment_targets", "id"),
            ("deployments", "id"),
        )
    }
    assert all(
        w["project_id"] in ids["projects"] and w["initial_ppl_id"] in ids["pipelines"]
        for w in truth["workflows"]
    )
    assert all(w["rerun_of"] is None or w["rerun_of"] in ids["workflows"] for w in truth["workflows"])
    for p in truth["pipelines"]:
        assert p["wf_id"] in ids["workflows"] and p["project_id"] in ids["projects"]
        for ref in ("promotion_of", "partial_rerun_of", "partially_rerun_by"):
            assert p[ref] is None or p[ref] in ids["pipelines"]
    done = {p["ppl_id"] for p in truth["pipelines"] if p["state"] == "DONE"}
    assert all(b["ppl_id"] in done for b in truth["blocks"])
    assert all(j["block_id"] in ids["blocks"] and j["ppl_id"] in done for j in truth["jobs"])
    assert all(j["state"] == "FINISHED" and j["result"] for j in truth["jobs"])
    for pr in truth["promotions"]:
        assert pr["ppl_id"] in ids["pipelines"]
        assert pr["scheduled_pipeline_id"] is None or pr["scheduled_pipeline_id"] in ids["pipelines"]
    for d in truth["deployments"]:
        assert d["target_id"] in ids["deployment_targets"] and d["prev_pipeline_id"] in ids["pipelines"]
        assert d["pipeline_id"] == "" or d["pipeline_id"] in ids["pipelines"]
    assert all(
        t["last_deployment_id"] is None or t["last_deployment_id"] in ids["deployments"]
        for t in truth["deployment_targets"]
    )
    assert {r["job_id"] for r in truth["job_logs"]} == ids["jobs"]
    assert {r["job_id"] for r in truth["job_log_events"]} <= ids["jobs"]
    assert {r["project_id"] for r in truth["artifact_retention_policies"]} == ids["projects"]


def test_job_logs_counts_match_events(truth):
    events_per_job: dict[str, int] = {}
    bytes_per_job: dict[str, int] = {}
    for e in truth["job_log_events"]:
        events_per_job[e["job_id"]] = events_per_job.get(e["job_id"], 0) + 1
        bytes_per_job[e["job_id"]] = bytes_per_job.get(e["job_id"], 0) + len((e["output"] or "").encode())
    outcomes = {r["outcome"] for r in truth["job_logs"]}
    assert outcomes == {"OK", "NOT_FOUND"}
    for row in truth["job_logs"]:
        if row["outcome"] == "NOT_FOUND":
            assert row["message"] and row["event_count"] == 0
            continue
        assert row["event_count"] == row["stored_event_count"] == events_per_job[row["job_id"]]
        assert row["bytes"] == bytes_per_job[row["job_id"]] and not row["truncated"]
    assert {r["source"] for r in truth["job_logs"]} == {"INLINE", "REDIRECT"}


def test_log_truncation_keeps_the_crossing_event(world: World, truth):
    capped = world.ground_truth(log_max_bytes=200)
    full = {r["job_id"]: r for r in truth["job_logs"]}
    truncated = [r for r in capped["job_logs"] if r["truncated"]]
    assert truncated
    stored: dict[str, list] = {}
    for e in capped["job_log_events"]:
        stored.setdefault(e["job_id"], []).append(e)
    for row in truncated:
        assert row["event_count"] == full[row["job_id"]]["event_count"]
        assert row["bytes"] == full[row["job_id"]]["bytes"] > 200
        events = stored[row["job_id"]]
        assert len(events) == row["stored_event_count"] < row["event_count"]
        sizes = [len((e["output"] or "").encode()) for e in events]
        assert sum(sizes) > 200 >= sum(sizes[:-1])


def test_store_deployment_parameter_values(world: World):
    rows = world.ground_truth(store_deployment_parameter_values=True)["deployments"]
    assert any(v["value"] != "<redacted>" for r in rows for v in r["env_vars"])


def test_export_json(world: World, tmp_path: Path):
    files = world.export_json(tmp_path / "truth")
    names = {f.stem for f in files}
    assert "pipelines" in names and "job_log_events" in names
    pipelines = json.loads((tmp_path / "truth" / "pipelines.json").read_text())
    assert len(pipelines) == len(world.pipelines)
    assert datetime.fromisoformat(pipelines[0]["created_at"]).tzinfo is not None


def test_self_hosted_log_mode_redirects_every_log(world: World):
    rows = world.ground_truth(log_mode="self_hosted")["job_logs"]
    assert {r["source"] for r in rows if r["outcome"] == "OK"} == {"REDIRECT"}
