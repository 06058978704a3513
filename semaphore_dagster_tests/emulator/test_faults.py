"""Fault injection: the spec grammar, determinism, and each fault kind doing what it says over real HTTP."""

import http.client
import json
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest

from semaphore_dagster.emulator import EmulatorServer, World
from semaphore_dagster.emulator.faults import FaultInjector, FaultSpec, FaultSpecError
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.emulator.http_helpers import get, raw_exchange, request_bytes

V = "/api/v1alpha"


@pytest.fixture(scope="module")
def world() -> World:
    return make_world("tiny")


@pytest.fixture(scope="module")
def project_id(world: World) -> str:
    with world.lock:
        return world.list_projects()[0].id


def serve(world: World, faults: str, **kw) -> EmulatorServer:
    return EmulatorServer(world, token=TEST_TOKEN, faults=FaultSpec.parse(faults, seed=3), **kw)


@pytest.fixture
def faulty(world: World, request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    with serve(world, request.param) as server:
        yield server


# --- grammar ----------------------------------------------------------------------------------------------------


def test_parse_full_grammar() -> None:
    spec = FaultSpec.parse(
        "429:rate=0.1,retry_after=2;429:burst=3,retry_after=date;5xx:status=503,rate=0.05;reset:rate=0.02;"
        "truncate:rate=0.02;half_json:rate=0.01;slow:seconds=3,rate=0.01;trickle:bytes_per_s=2000,rate=0.01;"
        "repeat_page:endpoint=pipelines.list,page=2;revoke_after=100;latency:ms=50,jitter=10;"
        "reset:at=body,endpoint=jobs.*,once,after=4;seed=9"
    )
    kinds = [rule.kind for rule in spec.rules]
    assert kinds == [
        "429",
        "429",
        "5xx",
        "reset",
        "truncate",
        "half_json",
        "slow",
        "trickle",
        "repeat_page",
        "revoke",
        "reset",
    ]
    assert spec.seed == 9 and spec.latency_ms == 50 and spec.jitter_ms == 10
    last = spec.rules[-1]
    assert (last.endpoint, last.count, last.after, last.param("at", "")) == ("jobs.*", 1, 4, "body")
    assert spec.rules[9].after == 100
    assert not FaultSpec.parse("") and not FaultSpec()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("boom:rate=1", "unknown kind 'boom'"),
        ("429:rate=2", "rate must be between 0 and 1"),
        ("429:color=red", "unknown key(s) ['color']"),
        ("5xx:status=418", "status must be 500, 502, 503 or 504"),
        ("repeat_page:page=1", "page >= 2"),
        ("redirect_host", "needs host="),
        ("revoke_after=soon", "revoke_after must be an integer"),
        ("slow:fast", "'fast' needs a value"),
    ],
)
def test_parse_errors_say_what_to_fix(text: str, fragment: str) -> None:
    with pytest.raises(FaultSpecError) as err:
        FaultSpec.parse(text)
    assert fragment in str(err.value)


def _fired(spec: FaultSpec, n: int) -> list[bool]:
    injector = FaultInjector(spec)
    return [bool(injector.plan("pipelines.list", 1, True).fired) for _ in range(n)]


def test_rate_is_deterministic_from_the_seed() -> None:
    a = _fired(FaultSpec.parse("5xx:rate=0.3", seed=1), 200)
    assert a == _fired(FaultSpec.parse("5xx:rate=0.3", seed=1), 200)
    assert a != _fired(FaultSpec.parse("5xx:rate=0.3", seed=2), 200)
    assert 30 < sum(a) < 90


def test_burst_after_count() -> None:
    assert _fired(FaultSpec.parse("429:burst=3"), 6) == [True, True, True, False, False, False]
    assert _fired(FaultSpec.parse("429:burst=2,after=2"), 6) == [False, False, True, True, False, False]
    assert _fired(FaultSpec.parse("5xx:count=2"), 4) == [True, True, False, False]
    assert _fired(FaultSpec.parse("5xx:once,after=1"), 4) == [False, True, False, False]
    bursts = _fired(FaultSpec.parse("429:rate=0.05,burst=4", seed=5), 400)
    runs = "".join("x" if f else "." for f in bursts).split(".")
    assert all(len(run) % 4 == 0 for run in runs if run)  # every random hit starts a burst of 4


# --- each kind over HTTP --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("faulty", "check"),
    [
        ("429:once,retry_after=2", lambda v: v == "2"),
        ("429:once,retry_after=huge", lambda v: v == "86400"),
        ("429:once,retry_after=none", lambda v: v is None),
        (
            "429:once,retry_after=date,date_in=30",
            lambda v: 20 < parsedate_to_datetime(v).timestamp() - time.time() <= 31,
        ),
    ],
    indirect=["faulty"],
)
def test_429_retry_after_forms(faulty: EmulatorServer, check) -> None:
    first = get(faulty.base_url, f"{V}/projects")
    assert first.status == 429
    assert check(first.header("Retry-After"))
    assert get(faulty.base_url, f"{V}/projects").status == 200
    assert faulty.fault_counts == {"429": 1}


@pytest.mark.parametrize("faulty", ["429:burst=3,endpoint=projects.list"], indirect=True)
def test_429_burst_then_recovers(faulty: EmulatorServer) -> None:
    statuses = [get(faulty.base_url, f"{V}/projects").status for _ in range(5)]
    assert statuses == [429, 429, 429, 200, 200]
    assert get(faulty.base_url, f"{V}/self_hosted_agent_types").status == 200  # other endpoints untouched


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_status(world: World, status: int) -> None:
    with serve(world, f"5xx:status={status},once") as server:
        assert get(server.base_url, f"{V}/projects").status == status
        assert get(server.base_url, f"{V}/projects").status == 200


@pytest.mark.parametrize("faulty", ["reset:once"], indirect=True)
def test_reset_before_response_resets(faulty: EmulatorServer) -> None:
    data, error = raw_exchange(faulty.base_url, request_bytes(f"{V}/projects"))
    assert data == b""
    assert isinstance(error, ConnectionResetError)
    assert get(faulty.base_url, f"{V}/projects").status == 200


@pytest.mark.parametrize("faulty", ["reset:at=body,once"], indirect=True)
def test_reset_in_body_sends_headers_and_part_then_resets(faulty: EmulatorServer) -> None:
    data, error = raw_exchange(faulty.base_url, request_bytes(f"{V}/projects"))
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    assert 0 < len(body) < length
    assert isinstance(error, ConnectionResetError)


@pytest.mark.parametrize("faulty", ["truncate:once"], indirect=True)
def test_truncate_short_body_then_close(faulty: EmulatorServer) -> None:
    with pytest.raises(http.client.IncompleteRead) as err:
        get(faulty.base_url, f"{V}/projects")
    assert len(err.value.partial) > 0 and err.value.expected > 0
    assert get(faulty.base_url, f"{V}/projects").status == 200


@pytest.mark.parametrize("faulty", ["half_json:once"], indirect=True)
def test_half_json_is_a_complete_response_that_does_not_parse(faulty: EmulatorServer) -> None:
    reply = get(faulty.base_url, f"{V}/projects")
    assert reply.status == 200
    assert int(reply.header("Content-Length")) == len(reply.body)
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.body)
    assert isinstance(get(faulty.base_url, f"{V}/projects").json(), list)


@pytest.mark.parametrize("faulty", ["slow:seconds=0.6,once"], indirect=True)
def test_slow_sleeps_before_answering(faulty: EmulatorServer) -> None:
    started = time.monotonic()
    assert get(faulty.base_url, f"{V}/projects").status == 200
    assert time.monotonic() - started >= 0.55
    with pytest.raises(TimeoutError):
        faulty.reset_faults()
        get(faulty.base_url, f"{V}/projects", timeout=0.2)


@pytest.mark.parametrize("faulty", ["trickle:bytes_per_s=4000,endpoint=projects.list"], indirect=True)
def test_trickle_sends_the_body_slowly(faulty: EmulatorServer) -> None:
    started = time.monotonic()
    quick = get(faulty.base_url, f"{V}/self_hosted_agent_types")
    assert quick.status == 200 and time.monotonic() - started < 0.3
    started = time.monotonic()
    slow = get(faulty.base_url, f"{V}/projects")
    elapsed = time.monotonic() - started
    assert len(slow.body) > 1000
    assert elapsed >= len(slow.body) / 4000 * 0.7
    assert isinstance(slow.json(), list)  # intact, just slow
    assert faulty.fault_counts == {"trickle": 1}


def test_repeat_page_serves_the_previous_page(world: World, project_id: str) -> None:
    with serve(world, "repeat_page:endpoint=pipelines.list,page=2,once") as server:
        params = {"project_id": project_id, "page_size": 3}
        page1 = get(server.base_url, f"{V}/pipelines", {**params, "page": 1})
        page2 = get(server.base_url, f"{V}/pipelines", {**params, "page": 2})
        assert page2.json() == page1.json()
        assert page2.header("page-number") == "2"
        again = get(server.base_url, f"{V}/pipelines", {**params, "page": 2})
        assert again.json() != page1.json()
        assert server.fault_counts == {"repeat_page": 1}


def test_empty_page_keeps_the_next_link(world: World, project_id: str) -> None:
    with serve(world, "empty_page:endpoint=workflows.list,page=1,once") as server:
        reply = get(server.base_url, f"{V}/plumber-workflows", {"project_id": project_id, "page_size": 2})
        assert reply.json() == []
        assert 'rel="next"' in reply.header("link")


def test_revoke_after_n_requests(world: World) -> None:
    with serve(world, "revoke_after=3") as server:
        statuses = [get(server.base_url, f"{V}/projects").status for _ in range(5)]
        assert statuses == [200, 200, 200, 401, 401]
        assert get(server.base_url, f"{V}/projects").body == b"Unauthorized"


def test_html_proxy_page(world: World) -> None:
    with serve(world, "html:once") as server:
        reply = get(server.base_url, f"{V}/projects")
        assert reply.status == 200 and reply.header("Content-Type").startswith("text/html")
        assert reply.body.startswith(b"<!DOCTYPE html>")


def test_redirect_host_points_links_and_log_redirects_elsewhere(world: World, project_id: str) -> None:
    with serve(world, "redirect_host:host=127.0.0.2:9", log_mode="self_hosted") as server:
        reply = get(server.base_url, f"{V}/pipelines", {"project_id": project_id, "page_size": 1})
        assert "<http://127.0.0.2:9/api/v1alpha/pipelines?" in reply.header("link")
        with world.lock:
            job_id = next(j.job_id for j in world.list_jobs({"FINISHED"}))
        logs = get(server.base_url, f"{V}/logs/{job_id}")
        assert logs.status == 302
        assert logs.header("Location").startswith(f"http://127.0.0.2:9/api/v1/logs/{job_id}?jwt=")


def test_latency_applies_to_every_request(world: World) -> None:
    with serve(world, "latency:ms=80") as server:
        started = time.monotonic()
        for _ in range(3):
            get(server.base_url, f"{V}/self_hosted_agent_types")
        assert time.monotonic() - started >= 0.24


def test_page_and_endpoint_conditions(world: World, project_id: str) -> None:
    with serve(world, "5xx:status=502,endpoint=workflows.list,page=2") as server:
        params = {"project_id": project_id, "page_size": 2}
        assert get(server.base_url, f"{V}/plumber-workflows", {**params, "page": 1}).status == 200
        assert get(server.base_url, f"{V}/plumber-workflows", {**params, "page": 2}).status == 502
        assert get(server.base_url, f"{V}/plumber-workflows", {**params, "page": 2}).status == 502
        assert get(server.base_url, f"{V}/pipelines", {**params, "page": 2}).status == 200
        assert server.fault_counts == {"5xx": 2}


def test_faults_are_off_by_default(emulator: EmulatorServer) -> None:
    for _ in range(20):
        assert get(emulator.base_url, f"{V}/projects").status == 200
    assert emulator.fault_counts == {}


@pytest.fixture(scope="module")
def cloud_job_id(world: World) -> str:
    with world.lock:
        return next(
            j.job_id
            for j in world.list_jobs({"FINISHED"})
            if not j.self_hosted and world.job_log(j.job_id).error is None
        )


def test_streamed_log_truncated_mid_chunk(world: World, cloud_job_id: str) -> None:
    with serve(world, "truncate:endpoint=logs.get,once") as server:
        with pytest.raises(http.client.IncompleteRead):
            get(server.base_url, f"{V}/logs/{cloud_job_id}")
        whole = get(server.base_url, f"{V}/logs/{cloud_job_id}")
        assert whole.status == 200 and whole.json()["events"]


def test_streamed_log_half_json_and_reset(world: World, cloud_job_id: str) -> None:
    with serve(
        world, "half_json:endpoint=logs.get,once;reset:at=body,endpoint=logs.get,after=1,once"
    ) as server:
        half = get(server.base_url, f"{V}/logs/{cloud_job_id}")
        assert half.status == 200 and half.body.startswith(b'{ "events": [')
        with pytest.raises(json.JSONDecodeError):
            json.loads(half.body)
        data, error = raw_exchange(server.base_url, request_bytes(f"{V}/logs/{cloud_job_id}"))
        assert data.startswith(b"HTTP/1.1 200") and isinstance(error, ConnectionResetError)
        assert server.fault_counts == {"half_json": 1, "reset_body": 1}
