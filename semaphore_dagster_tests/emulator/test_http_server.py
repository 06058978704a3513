"""The server itself: lifecycle, keep-alive, latency truthfulness, live mode seen over HTTP."""

import http.client
import json
import os
import statistics
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import psutil
import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import TEST_TOKEN, make_world
from semaphore_dagster_tests.emulator.http_helpers import get

V = "/api/v1alpha"
AUTH = {"Authorization": f"Token {TEST_TOKEN}"}


def _connect(base_url: str) -> http.client.HTTPConnection:
    url = urlsplit(base_url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=5)


def test_start_stop_lifecycle() -> None:
    world = make_world("tiny")
    before = threading.active_count()
    server = EmulatorServer(world, token=TEST_TOKEN, port=0).start()
    assert server.base_url.startswith("http://127.0.0.1:") and server.port > 0
    assert server.world is world
    assert get(server.base_url, f"{V}/projects").status == 200
    idle = _connect(server.base_url)  # an idle keep-alive connection must not block stop()
    idle.request("GET", f"{V}/projects", headers=AUTH)
    idle.getresponse().read()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3
    server.stop()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        get(server.base_url, f"{V}/projects")
    assert threading.active_count() <= before
    idle.close()


def test_keep_alive_and_latency_is_true() -> None:
    """HTTP/1.1 keep-alive on one connection, and no Nagle/delayed-ACK stall (~40 ms) per request."""
    with EmulatorServer(make_world("tiny"), token=TEST_TOKEN) as server:
        conn = _connect(server.base_url)
        timings = []
        for _ in range(25):
            started = time.perf_counter()
            conn.request("GET", f"{V}/self_hosted_agent_types", headers=AUTH)
            resp = conn.getresponse()
            assert resp.status == 200 and resp.version == 11
            resp.read()
            timings.append(time.perf_counter() - started)
        conn.close()
        assert statistics.median(timings) < 0.03
        assert server.request_counts == {"agent_types.list": 25}


def test_configured_latency_and_jitter() -> None:
    with EmulatorServer(make_world("tiny"), token=TEST_TOKEN, latency_ms=60, jitter_ms=20) as server:
        conn = _connect(server.base_url)
        timings = []
        for _ in range(4):
            started = time.perf_counter()
            conn.request("GET", f"{V}/self_hosted_agent_types", headers=AUTH)
            conn.getresponse().read()
            timings.append(time.perf_counter() - started)
        conn.close()
        assert min(timings) >= 0.06 and max(timings) < 0.5


def test_bad_settings_fail_clearly() -> None:
    world = make_world("tiny")
    with pytest.raises(ValueError, match="log_mode must be one of cloud, self_hosted"):
        EmulatorServer(world, log_mode="hybrid")


def test_world_advance_is_seen_over_http() -> None:
    """With a fixed now, time moves only when the test calls world.advance(): running pipelines finish."""
    world = make_world("tiny")
    with world.lock:
        running = [p for p in world.pipelines.values() if p.state != "DONE"]
        project_id = world.list_projects()[0].id
    assert running, "the tiny world should hold running pipelines"
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        before = get(server.base_url, f"{V}/pipelines/{running[0].ppl_id}").json()["pipeline"]
        assert before["state"] != "done" and "result" not in before
        total_before = int(get(server.base_url, f"{V}/pipelines", {"project_id": project_id}).header("total"))
        with world.lock:
            world.advance(timedelta(days=1))
        after = get(server.base_url, f"{V}/pipelines/{running[0].ppl_id}").json()["pipeline"]
        assert after["state"] == "done" and after["result"] in ("passed", "failed", "stopped", "canceled")
        total_after = int(get(server.base_url, f"{V}/pipelines", {"project_id": project_id}).header("total"))
        assert total_after > total_before


def _pipeline_count_grows(server: EmulatorServer, project_id: str, within_s: float = 10) -> bool:
    """Poll the pipelines list until its `total` header grows (live mode at work) or time runs out."""

    def total() -> int:
        return int(get(server.base_url, f"{V}/pipelines", {"project_id": project_id}).header("total"))

    before, deadline = total(), time.monotonic() + within_s
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if total() > before:
            return True
    return False


def test_live_mode_advances_by_itself() -> None:
    world = make_world("tiny")
    with world.lock:
        start = world.now()
        project_id = world.list_projects()[0].id
    with EmulatorServer(world, token=TEST_TOKEN, live=True, live_speed=86_400, live_tick_s=0.05) as server:
        assert _pipeline_count_grows(server, project_id)
    with world.lock:
        assert world.now() > start + timedelta(hours=1)


def test_huge_cloud_log_is_streamed_not_materialised() -> None:
    """A 30 MB log goes out chunked while the server's memory barely moves."""
    world = make_world("tiny", huge_log_bytes=30_000_000)
    with world.lock:
        job = next(
            j for j in world.jobs.values() if j.log is not None and j.log.huge_bytes and not j.self_hosted
        )
    me = psutil.Process(os.getpid())
    with EmulatorServer(world, token=TEST_TOKEN) as server:
        conn = _connect(server.base_url)
        conn.request("GET", f"{V}/logs/{job.job_id}", headers=AUTH)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Transfer-Encoding") == "chunked"
        rss_before = peak = me.memory_info().rss
        size, head, tail = 0, b"", b""
        while chunk := resp.read(1 << 20):
            head = head or chunk[:64]
            tail = (tail + chunk)[-512:]
            size += len(chunk)
            peak = max(peak, me.memory_info().rss)
        conn.close()
    assert size > 30_000_000
    assert head.startswith(b'{ "events": [{') and tail.endswith(b"}] }")
    assert peak - rss_before < 60_000_000
    last = json.loads(tail[tail.rindex(b'{"event"') :].removesuffix(b"] }"))  # the last event is whole
    assert last["event"] == "job_finished"


def test_emulator_factory_fixture(emulator_factory) -> None:
    cloud = emulator_factory()
    hosted = emulator_factory(log_mode="self_hosted", faults="5xx:status=502,once")
    assert cloud.base_url != hosted.base_url
    assert get(hosted.base_url, f"{V}/projects").status == 502
    assert get(hosted.base_url, f"{V}/projects").status == 200
    assert get(cloud.base_url, f"{V}/projects").status == 200


def test_other_methods_get_plumbers_404_and_keep_the_connection_usable() -> None:
    with EmulatorServer(make_world("tiny"), token=TEST_TOKEN) as server:
        conn = _connect(server.base_url)
        conn.request(
            "POST", f"{V}/pipelines", body=b'{"x": 1}', headers={**AUTH, "Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (404, b"oops")
        conn.request("GET", f"{V}/self_hosted_agent_types", headers=AUTH)
        assert conn.getresponse().status == 200
        conn.close()


def test_inferred_behaviours_are_switchable() -> None:
    """The spec infers (not seen on the wire) no Content-Type on plumber/projecthub JSON and a 400 for the
    promotions of a pipeline without a switch: both are the defaults, and both can be switched."""
    world = make_world("tiny")
    no_switch = next(
        p for p in world.list_pipelines(project_id=world.list_projects()[0].id) if not p.switch_id
    )
    with EmulatorServer(world, token=TEST_TOKEN) as default:
        projects = get(default.base_url, "/api/v1alpha/projects")
        assert projects.status == 200 and projects.header("Content-Type") is None
        promotions = get(default.base_url, "/api/v1alpha/promotions", {"pipeline_id": no_switch.ppl_id})
        assert promotions.status == 400 and isinstance(promotions.json(), str)
    with EmulatorServer(
        world, token=TEST_TOKEN, json_content_type=True, promotions_without_switch="empty"
    ) as switched:
        projects = get(switched.base_url, "/api/v1alpha/projects")
        assert projects.header("Content-Type") == "application/json"
        not_found = get(switched.base_url, "/api/v1alpha/plumber-workflows/" + "0" * 36)
        assert not_found.status == 404 and not_found.header("Content-Type") is None  # plain-text plug body
        promotions = get(switched.base_url, "/api/v1alpha/promotions", {"pipeline_id": no_switch.ppl_id})
        assert promotions.status == 200 and promotions.json() == []


def test_live_wall_clock_world_stays_on_the_wall_clock() -> None:
    """A world generated on the wall clock keeps its clock there in live mode (a loader windows its listings
    with `created_before = now`), and `live_speed` multiplies what happens instead, at any hour of the day
    (x1,000,000: about 2 new workflows a second per project at night at a weekend, about 130 at the weekday
    peak)."""
    from datetime import UTC, datetime

    from semaphore_dagster.emulator import World, WorldConfig

    world = World.generate(WorldConfig.preset("tiny", seed=3, now=None))
    project_id = world.list_projects()[0].id
    with EmulatorServer(world, token=TEST_TOKEN, live=True, live_speed=1_000_000, live_tick_s=0.05) as server:
        assert _pipeline_count_grows(server, project_id)
        with world.lock:
            skew = (world.now() - datetime.now(UTC)).total_seconds()
        assert abs(skew) < 5
        newest = get(server.base_url, f"{V}/pipelines", {"project_id": project_id, "page_size": 1}).json()[0]
        assert newest["created_at"]["seconds"] <= datetime.now(UTC).timestamp() + 1


def _raw_log(server: EmulatorServer, job_id: str) -> tuple[str | None, bytes]:
    conn = _connect(server.base_url)
    conn.request("GET", f"{V}/logs/{job_id}", headers=AUTH)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.getheader("Transfer-Encoding"), body


def test_log_cache_serves_the_same_chunked_bytes_and_stays_within_its_limit() -> None:
    """`log_cache_bytes` (the benchmark's warm emulator): a finished log is served byte for byte as without
    the cache, still chunked; logs beyond the limit are generated as before."""
    world = make_world("tiny")
    with world.lock:
        jobs = [j.job_id for j in world.jobs.values() if j.state == "FINISHED" and not j.self_hosted][:6]
    with EmulatorServer(world, token=TEST_TOKEN) as plain:
        expected = {job_id: _raw_log(plain, job_id) for job_id in jobs}
    limit = len(expected[jobs[0]][1]) + len(expected[jobs[1]][1])
    with EmulatorServer(world, token=TEST_TOKEN, log_cache_bytes=limit) as cached:
        for _ in range(2):  # the first pass fills the cache, the second reads it
            assert {job_id: _raw_log(cached, job_id) for job_id in jobs} == expected
        assert cached.log_cache is not None and 0 < cached.log_cache.size <= limit
