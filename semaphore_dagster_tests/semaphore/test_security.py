"""The token never in logs, exception text or the database; never sent to another origin; the log jwt
redacted; deployment values redacted by default; the documented User-Agent."""

import logging
from pathlib import Path

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore import SemaphoreAPI
from semaphore_dagster.semaphore.errors import root_semaphore_error
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world

from .conftest import CaptureServer, load, read_tables


def test_token_absent_from_logs_errors_and_database(
    emulator, duckdb_path: Path, pipelines_dir: Path, caplog: pytest.LogCaptureFixture, capfd
) -> None:
    caplog.set_level(logging.DEBUG)
    load(emulator, duckdb_path, pipelines_dir)
    with EmulatorServer(emulator.world, token=TEST_TOKEN, faults="revoke_after=5") as revoked:
        with pytest.raises(Exception) as failure:
            load(revoked, duckdb_path, pipelines_dir)
    out, err = capfd.readouterr()
    assert caplog.records, "debug logging was captured"
    assert TEST_TOKEN not in caplog.text + out + err
    assert TEST_TOKEN not in str(failure.value) and TEST_TOKEN not in repr(failure.value)
    assert TEST_TOKEN not in str(root_semaphore_error(failure.value))
    assert TEST_TOKEN.encode() not in duckdb_path.read_bytes()
    for path in pipelines_dir.rglob("*"):
        if path.is_file():
            assert TEST_TOKEN.encode() not in path.read_bytes(), f"token in dlt working file {path}"


def test_no_request_reaches_another_origin(duckdb_path: Path, pipelines_dir: Path) -> None:
    """Link headers and the self-hosted log redirect point to another host: nothing is sent there."""
    world = make_world("tiny", projects=1, days=14, pipelines_per_day=8.0, blocks_per_pipeline=(1, 1))
    with CaptureServer() as other:
        faults = f"redirect_host:host={other.host.replace('127.0.0.1', 'localhost')}"  # another host name
        with EmulatorServer(world, token=TEST_TOKEN, faults=faults, log_mode="self_hosted") as server:
            load(server, duckdb_path, pipelines_dir)
        assert other.requests == []
    logs = read_tables(duckdb_path, ("job_logs",))["job_logs"]
    refused = [r for r in logs if r["outcome"] == "ERROR"]
    assert refused and all("another origin" in r["message"] for r in refused)
    assert all("jwt=<redacted>" in r["message"] for r in refused)
    assert len(read_tables(duckdb_path, ("pipelines",))["pipelines"]) > 100  # pages came via page numbers


def test_log_redirect_to_the_same_host_gets_no_authorization_header(
    duckdb_path: Path, pipelines_dir: Path
) -> None:
    """Semaphore builds its self-hosted log redirect as https:// + its own host, without the port: a target
    on the configured host is followed (scheme and port may differ), with the jwt but never the token."""
    world = make_world("tiny", projects=1, days=2, pipelines_per_day=2.0, blocks_per_pipeline=(1, 1))
    with CaptureServer() as same_host:
        faults = f"redirect_host:host={same_host.host}"  # 127.0.0.1 on another port
        with EmulatorServer(world, token=TEST_TOKEN, faults=faults, log_mode="self_hosted") as server:
            load(server, duckdb_path, pipelines_dir)
    assert same_host.requests, "the same-host redirect was followed"
    for path, headers in same_host.requests:
        assert path.startswith("/api/v1/logs/") and "jwt=" in path
        assert "Authorization" not in headers and TEST_TOKEN not in str(headers)


def test_jwt_redacted_when_the_redirect_target_fails(duckdb_path: Path, pipelines_dir: Path) -> None:
    world = make_world("tiny")
    faults = "5xx:status=503,endpoint=logs.v1"
    with EmulatorServer(world, token=TEST_TOKEN, faults=faults, log_mode="self_hosted") as server:
        with pytest.raises(Exception) as failure:
            load(server, duckdb_path, pipelines_dir, max_attempts=2)
    text = str(failure.value)
    assert "jwt=" not in text.replace("jwt=<redacted>", "")
    assert TEST_TOKEN not in text


def test_deployment_values_redacted_unless_asked(emulator, duckdb_path: Path, pipelines_dir: Path) -> None:
    load(emulator, duckdb_path, pipelines_dir, resources=("deployments",))
    rows = read_tables(duckdb_path, ("deployments",))["deployments"]
    values = {v["value"] for r in rows for v in r["env_vars"]}
    assert values == {"<redacted>"}
    assert b"tok-" not in duckdb_path.read_bytes()


def test_deployment_values_stored_with_the_switch(emulator, tmp_path: Path) -> None:
    db = tmp_path / "values.duckdb"
    load(emulator, db, tmp_path / "p2", resources=("deployments",), store_deployment_parameter_values=True)
    rows = read_tables(db, ("deployments",))["deployments"]
    assert any(v["value"].startswith("tok-") for r in rows for v in r["env_vars"])


def test_headers_sent_to_the_api() -> None:
    with CaptureServer() as api:
        client = SemaphoreAPI(f"http://{api.host}", TEST_TOKEN, auth_scheme="Bearer")
        assert client.get_json("projects") == []
    path, headers = api.requests[0]
    assert path == "/api/v1alpha/projects"
    assert headers["User-Agent"] == "SemaphoreCI v2.0 Client"
    assert headers["Authorization"] == f"Bearer {TEST_TOKEN}"


@pytest.mark.parametrize(
    "base_url, url, gets_token",
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1alpha/projects", True),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080@evil.example/api", False),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8081/api", False),
        ("http://127.0.0.1:8080", "https://127.0.0.1:8080/api", False),
        ("http://127.0.0.1:8080", "http://127.0.0.1.evil.example:8080/api", False),
        ("http://127.0.0.1:8080", "http://127.0.0.1/api", False),
        ("https://org.semaphoreci.com", "https://org.semaphoreci.com/api/v1alpha/projects", True),
        ("https://org.semaphoreci.com", "https://org.semaphoreci.com:443/api", True),
        ("https://org.semaphoreci.com", "https://ORG.semaphoreci.com/api", True),
        ("https://org.semaphoreci.com", "https://org.semaphoreci.com.evil.example/api", False),
        ("https://org.semaphoreci.com", "https://org.semaphoreci.com:8443/api", False),
        ("https://org.semaphoreci.com:443", "https://org.semaphoreci.com/api", True),
    ],
)
def test_the_token_goes_to_the_exact_origin_only(base_url: str, url: str, gets_token: bool) -> None:
    """The Authorization header is set for the configured origin (scheme, host, port) and removed for any
    other, whichever way the URL is spelled (the auth's prefix shortcut and its parsed comparison agree)."""
    import requests

    from semaphore_dagster.semaphore.client import _Gate, _SemaphoreAuth, origin_of

    auth = _SemaphoreAuth("Token", TEST_TOKEN, origin_of(base_url), _Gate(1.0))
    prepared = requests.Request("GET", url, headers={"Authorization": "Token stale"}).prepare()
    auth(prepared)
    assert prepared.headers.get("Authorization") == (f"Token {TEST_TOKEN}" if gets_token else None)
