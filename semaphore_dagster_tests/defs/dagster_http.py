"""Helpers for tests that drive a running Dagster webserver (`dagster dev`) the way the UI does: GraphQL over
HTTP on 127.0.0.1, plus a look at the processes and ports a server tree holds."""

import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import psutil

LOCATIONS_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message }
          ... on RepositoryLocation { name repositories { name } }
        }
      }
    }
  }
}
"""

LAUNCH_MUTATION = """
mutation Launch($params: ExecutionParams!) {
  launchPipelineExecution(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on UnauthorizedError { message }
  }
}
"""

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status tags { key value } }
  }
}
"""

TERMINATE_MUTATION = """
mutation Terminate($runId: String!, $policy: TerminateRunPolicy) {
  terminateRun(runId: $runId, terminatePolicy: $policy) {
    __typename
    ... on TerminateRunSuccess { run { runId status } }
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}
"""

BACKFILL_MUTATION = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}
"""

BACKFILL_QUERY = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status partitionNames runs(limit: 50) { runId status } }
  }
}
"""

RUN_LOGS_QUERY = """
query Logs($runId: ID!) {
  logsForRun(runId: $runId) { __typename ... on EventConnection { events { __typename ... on MessageEvent { message } } } }
}
"""

FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def graphql(port: int, query: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict:
    """POST a GraphQL document to the webserver on 127.0.0.1:`port`; returns `data` (errors raise)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:  # GraphQL validation errors come back as HTTP 4xx/5xx with a body
        raise AssertionError(f"GraphQL HTTP {exc.code}: {exc.read()[:2000]!r}") from None
    if payload.get("errors"):
        raise AssertionError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def wait_until_up(port: int, alive: Any = None, deadline_s: float = 240) -> None:
    """Until GET /server_info answers; `alive()` False (the server process died) fails at once."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert alive is None or alive(), "the Dagster webserver's process exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(1)
    raise AssertionError(f"no Dagster webserver on 127.0.0.1:{port} within {deadline_s} s")


@dataclass(frozen=True)
class Location:
    name: str
    repository: str


def wait_for_location(port: int, deadline_s: float = 240) -> Location:
    """The first code location, once loaded (a load error fails with its message)."""
    deadline = time.monotonic() + deadline_s
    last: Any = None
    while time.monotonic() < deadline:
        data = graphql(port, LOCATIONS_QUERY)
        entries = data["workspaceOrError"].get("locationEntries") or []
        for entry in entries:
            loaded = entry["locationOrLoadError"]
            last = entry
            if loaded and loaded["__typename"] == "PythonError":
                raise AssertionError(f"code location {entry['name']} failed to load: {loaded['message']}")
            if loaded and loaded["__typename"] == "RepositoryLocation" and entry["loadStatus"] == "LOADED":
                return Location(entry["name"], loaded["repositories"][0]["name"])
        time.sleep(2)
    raise AssertionError(f"no code location loaded within {deadline_s} s: {last}")


def launch_assets(
    port: int,
    location: Location,
    asset_keys: list[list[str]],
    job_name: str = "__ASSET_JOB",
    tags: dict[str, str] | None = None,
    partition_key: str | None = None,
) -> str:
    """Launch a run of `asset_keys` as the UI's Materialize button does (`launchPipelineExecution` of the
    implicit asset job with an asset selection); returns the run id."""
    all_tags = dict(tags or {})
    if partition_key:
        all_tags["dagster/partition"] = partition_key
    params: dict[str, Any] = {
        "selector": {
            "repositoryLocationName": location.name,
            "repositoryName": location.repository,
            "pipelineName": job_name,
            "assetSelection": [{"path": key} for key in asset_keys],
            "assetCheckSelection": [],
        },
        "mode": "default",
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in all_tags.items()]},
    }
    result = graphql(port, LAUNCH_MUTATION, {"params": params})["launchPipelineExecution"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def run_status(port: int, run_id: str) -> str:
    return graphql(port, RUN_QUERY, {"runId": run_id})["runOrError"]["status"]


def wait_for_run(port: int, run_id: str, deadline_s: float = 300, until: set[str] = FINISHED) -> str:
    deadline = time.monotonic() + deadline_s
    status = "?"
    while time.monotonic() < deadline:
        status = run_status(port, run_id)
        if status in until:
            return status
        time.sleep(1)
    raise AssertionError(f"run {run_id} still {status} after {deadline_s} s")


def run_worker_pid(port: int, run_id: str, deadline_s: float = 180) -> int:
    """The PID of the process executing `run_id`, from the run's own event log (the run launcher's
    "Started process for run (pid: N)" engine event)."""
    import re

    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        logs = graphql(port, RUN_LOGS_QUERY, {"runId": run_id})["logsForRun"]
        for event in logs.get("events") or []:
            found = re.search(r"\(pid: (\d+)\)", event.get("message") or "")
            if found:
                return int(found.group(1))
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} reported no process within {deadline_s} s")


def launch_backfill(port: int, location: Location, asset_keys: list[list[str]], partitions: list[str]) -> str:
    """A partition backfill of `asset_keys`, as the UI's launch-backfill dialog sends it."""
    params = {
        "partitionNames": partitions,
        "assetSelection": [{"path": key} for key in asset_keys],
        "fromFailure": False,
        "tags": [],
    }
    result = graphql(port, BACKFILL_MUTATION, {"params": params})["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    return result["backfillId"]


def wait_for_backfill(port: int, backfill_id: str, deadline_s: float = 400) -> dict:
    deadline = time.monotonic() + deadline_s
    backfill: dict = {}
    while time.monotonic() < deadline:
        backfill = graphql(port, BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
        if backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}:
            return backfill
        time.sleep(2)
    raise AssertionError(f"backfill {backfill_id} not done after {deadline_s} s: {backfill}")


@dataclass(frozen=True)
class ProcessSnapshot:
    """Processes of a tree (with their start times, against PID reuse) and the TCP ports they listen on."""

    processes: dict[int, float]
    commands: dict[int, str]
    ports: set[int]

    def still_running(self) -> list[str]:
        alive = []
        for pid, created in self.processes.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{pid} {self.commands[pid]}")
            except psutil.NoSuchProcess:
                pass
        return alive

    def kill_leftovers(self) -> None:
        """SIGKILL the processes of this snapshot that still run (same PID and start time only)."""
        for pid, created in self.processes.items():
            try:
                proc = psutil.Process(pid)
                if proc.create_time() == created:
                    proc.kill()
            except psutil.NoSuchProcess:
                pass

    def ports_in_use(self) -> list[int]:
        used = []
        for port in sorted(self.ports):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    used.append(port)
            except OSError:
                pass
        return used


def snapshot_tree(root_pid: int) -> ProcessSnapshot:
    root = psutil.Process(root_pid)
    procs = [root, *root.children(recursive=True)]
    processes: dict[int, float] = {}
    commands: dict[int, str] = {}
    ports: set[int] = set()
    for proc in procs:
        try:
            processes[proc.pid] = proc.create_time()
            commands[proc.pid] = " ".join(proc.cmdline()[:6])
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    ports.add(conn.laddr.port)
        except psutil.NoSuchProcess:
            pass
    return ProcessSnapshot(processes, commands, ports)
