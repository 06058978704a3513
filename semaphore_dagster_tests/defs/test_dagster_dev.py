"""`dagster dev` serves the whole code location (slow: it starts a webserver, a daemon, a code server)."""

import json
import os
import shutil
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from semaphore_dagster.dev_server import start_dagster_dev, stop_process_group
from semaphore_dagster.semaphore.endpoints import TABLES

ROOT = Path(__file__).resolve().parents[2]

QUERY = """
{
  assetNodes { assetKey { path } groupName isPartitioned hasAssetChecks partitionKeys }
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation { repositories { name schedules { name } sensors { name } } }
        }
      }
    }
  }
}
"""


SECRET = "dev-secret-token-8d1e"
RESOURCES = """
{
  allTopLevelResourceDetailsOrError(
    repositorySelector: {repositoryName: "__repository__", repositoryLocationName: "semaphore_dagster"}
  ) {
    __typename
    ... on ResourceDetailsList { results { name configuredValues { key value type } } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # dagster dev does not accept port 0
        return int(sock.getsockname()[1])


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def _wait_until_up(port: int, process, deadline_s: float = 180) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "dagster dev exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError("dagster dev did not answer within the deadline")


@pytest.mark.slow
def test_dagster_dev_serves_assets_checks_partitions_schedules_and_sensor(tmp_path: Path) -> None:
    # The project's dagster.yaml, from a working directory of its own, DAGSTER_HOME unset: as a user
    # running `dagster dev` from the project root (storage lands in ./.dagster_home of that directory).
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    env = {
        k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME",) and not k.startswith("SOURCES__")
    }
    env["SEMAPHORE_DAGSTER_LOGS_START_DATE"] = "2026-10-27"
    env["PYTHONPATH"] = str(ROOT)
    # The connection as a user configures it the dlt way: the UI shows the URL and the token's variable name.
    env["SOURCES__SEMAPHORE__BASE_URL"] = "https://acme.semaphoreci.com"
    env["SOURCES__SEMAPHORE__API_TOKEN"] = SECRET
    port = _free_port()
    process = start_dagster_dev(port, env, cwd=tmp_path)
    try:
        _wait_until_up(port, process)
        data = {}
        for _ in range(60):  # the code server may still be loading
            data = _graphql(port, QUERY)
            entries = data["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["locationOrLoadError"] and data["assetNodes"]:
                break
            time.sleep(2)
        location = data["workspaceOrError"]["locationEntries"][0]["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
        assert nodes["semaphore/pipelines"]["groupName"] == "ci_activity"
        assert nodes["semaphore/pipelines"]["hasAssetChecks"]
        assert nodes["semaphore/job_logs"]["isPartitioned"]
        assert nodes["semaphore/job_logs"]["partitionKeys"][0] == "2026-10-27"
        # One asset a contract table: the UI shows what the contract describes, no more, no less.
        assert sorted(k for k in nodes if k.startswith("semaphore/")) == sorted(
            f"semaphore/{t}" for t in TABLES
        )
        repo = location["repositories"][0]
        assert {s["name"] for s in repo["schedules"]} >= {
            "semaphore_ci_activity_hourly",
            "semaphore_job_logs_yesterday",
        }
        assert "semaphore_new_pipelines" in {s["name"] for s in repo["sensors"]}
        assert (tmp_path / ".dagster_home" / "storage").is_dir()
        assert data["workspaceOrError"]["locationEntries"][0]["name"] == "semaphore_dagster"
        resources = _graphql(port, RESOURCES)["allTopLevelResourceDetailsOrError"]["results"]
        by_name = {r["name"]: {v["key"]: v for v in r["configuredValues"]} for r in resources}
        assert by_name["semaphore"]["base_url"]["value"] == '"https://acme.semaphoreci.com"'
        assert by_name["semaphore"]["api_token"]["type"] == "ENV_VAR"
        assert by_name["semaphore"]["api_token"]["value"] == "SOURCES__SEMAPHORE__API_TOKEN"
        assert "duckdb_path" in by_name["destination"]
        assert SECRET not in json.dumps(resources)
    finally:
        stop_process_group(process)
    assert process.returncode is not None
