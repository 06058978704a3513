"""`EmulatorServer`: the emulated Semaphore API over real HTTP/1.1 (keep-alive) on a loopback port.

One request goes: count it -> latency -> route -> ingress auth (token, `x-semaphore-*`) -> fault plan ->
handler under `world.lock` -> write (where body faults act). Built on `http.server.ThreadingHTTPServer`
(standard library only, as the emulator must be); `disable_nagle_algorithm` is set, or Nagle plus delayed ACK
would add ~45 ms to every keep-alive request. `stop()` closes idle keep-alive connections and joins every thread.

Bodies that are iterators (job logs) are streamed with chunked transfer encoding after the lock is released, so
a 100 MB log is never held in memory and does not block other requests.
"""

import logging
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from semaphore_dagster.emulator import auth, routes
from semaphore_dagster.emulator import responses as r
from semaphore_dagster.emulator.faults import FaultInjector, FaultPlan, FaultRule, FaultSpec
from semaphore_dagster.emulator.storage import LISTEN_BACKLOG, SIGNED_URL_TTL_S, ArtifactStore, UrlSigner

log = logging.getLogger(__name__)
LOG_MODES = ("cloud", "self_hosted")
HUGE_RETRY_AFTER_S = 86_400
FIVE_XX_BODIES = {
    500: ("Internal Server Error", "text/plain"),
    502: ("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    503: (
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
        "text/plain",
    ),
    504: ("upstream request timeout", "text/plain"),
}
PROXY_HTML = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    "<body><h1>We'll be right back</h1><p>The service is under maintenance.</p></body></html>"
)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # joined by server_close()
    block_on_close = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], handler: type, emulator: "EmulatorServer") -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection errors from clients that hang up are normal here (faults provoke them): stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def version_string(self) -> str:
        return "semaphore-emulator"

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines are not logged (tokens travel in headers, jwts in query strings)."""

    def do_GET(self) -> None:
        self._drain_body()
        self.server.emulator._serve(self)

    def _drain_body(self) -> None:
        """Read (and ignore) a request body so the keep-alive connection stays in sync."""
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # --- writing ----------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0, then close)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def write_response(self, resp: r.Response, body_fault: FaultRule | None, stop: threading.Event) -> None:
        kind = body_fault.kind if body_fault else None
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        elif resp.is_json and self.server.emulator.json_content_type:
            self.send_header("Content-Type", r.JSON_CT)
        if resp.streamed:
            self._write_chunked(resp, body_fault, stop)
            return
        body = bytes(resp.body)  # type: ignore[arg-type]
        if kind == "garbage":
            body = _garble(body)
        elif kind == "drift":
            body = _drift(body, body_fault)  # type: ignore[arg-type]
        if kind == "half_json":
            body = body[: len(body) // 2]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind in ("truncate", "reset"):
            self.wfile.write(body[: len(body) // 2])
            self._cut(kind)
        elif kind == "trickle":
            self._trickle(body, int(body_fault.param("bytes_per_s", "2000")), stop)  # type: ignore[union-attr]
        else:
            self.wfile.write(body)

    def _write_chunked(self, resp: r.Response, body_fault: FaultRule | None, stop: threading.Event) -> None:
        kind = body_fault.kind if body_fault else None
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in resp.iter_body():
            if not chunk:
                continue
            if kind == "garbage":
                chunk = _garble(chunk)
            if kind in ("half_json", "truncate", "reset"):
                self._chunk(chunk[: max(len(chunk) // 2, 1)])
                if kind == "half_json":
                    break
                self._cut(kind)
                return
            if kind == "trickle":
                self.wfile.write(f"{len(chunk):X}\r\n".encode())
                self._trickle(chunk, int(body_fault.param("bytes_per_s", "2000")), stop)  # type: ignore[union-attr]
                self.wfile.write(b"\r\n")
            else:
                self._chunk(chunk)
        self.wfile.write(b"0\r\n\r\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")

    def _cut(self, kind: str) -> None:
        if kind == "reset":
            self.reset()
        else:
            self.close_connection = True  # FIN after a short body

    def _trickle(self, body: bytes, bytes_per_s: int, stop: threading.Event) -> None:
        step = max(bytes_per_s // 10, 1)
        for start in range(0, len(body), step):
            self.wfile.write(body[start : start + step])
            if stop.wait(0.1):
                self.close_connection = True
                return


class EmulatorServer:
    """The emulated Semaphore API. `with EmulatorServer(world, token=...) as server: server.base_url ...`.

    Parameters: `token` (one or a list of accepted API tokens), `host`/`port` (loopback, 0 = any free port),
    `faults` (`FaultSpec` or its string form), `latency_ms`/`jitter_ms` (added to every request),
    `log_mode` (`cloud`: inline logs except for self-hosted jobs; `self_hosted`: every log redirects, as in
    CE/EE installs), `live` with `live_speed` (a thread advances the world: a wall-clock world stays on the
    wall clock with `live_speed` times the activity; a fixed-`now` world moves `live_speed` simulated seconds
    per second), `features` (org feature flags: `artifacts_api`, `superjerry_tests`, `project_level_secrets`,
    `secrets_exposed_content`, `secrets_access_policy`; see routes_more.DEFAULT_FEATURES), `permissions` (the
    token's permissions; None = all), `project_permission_filter` (projecthub's filter after paging, on),
    `signed_url_ttl_s` (artifact URLs expire after 20 minutes), `link_base` (the scheme+host of style-A `link` URLs; default `http://` + the Host header without
    its port, as Semaphore's backends build it), `projects_page_size` (projecthub's 500),
    `promotions_without_switch` (`error`: a 400 as inferred from the source; `empty`: `[]`),
    `log_redirect_base` (scheme+host of the self-hosted log redirect; default `https://` + the Host without a
    port, as Semaphore answers; `"client"`: the scheme, host and port the client used), `json_content_type` (False: plumber and
    projecthub JSON goes without Content-Type, as the spec infers from Plug defaults; True: application/json),
    `log_cache_bytes` (0: every log is generated as it is served; N: the encoded bodies of finished jobs'
    logs are kept, up to N bytes in all, so a second fetch is served at socket speed: the benchmark warms it
    to measure a loader rather than this emulator's log generation).
    """

    def __init__(
        self,
        world: Any,
        token: str | Iterable[str] = "emu-token",
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultSpec | str | None = None,
        latency_ms: float = 0,
        jitter_ms: float = 0,
        log_mode: str = "cloud",
        live: bool = False,
        live_speed: float = 60.0,
        link_base: str | None = None,
        projects_page_size: int = 500,
        promotions_without_switch: str = "error",
        live_tick_s: float = 0.5,
        log_redirect_base: str | None = None,
        json_content_type: bool = False,
        features: dict[str, bool] | None = None,
        permissions: Iterable[str] | None = None,
        project_permission_filter: bool = True,
        signed_url_ttl_s: float = SIGNED_URL_TTL_S,
        log_cache_bytes: int = 0,
    ) -> None:
        if log_mode not in LOG_MODES:
            raise ValueError(f"log_mode must be one of {', '.join(LOG_MODES)}, got {log_mode!r}")
        if promotions_without_switch not in ("error", "empty"):
            raise ValueError("promotions_without_switch must be 'error' or 'empty'")
        self.world = world
        self.host = host
        self.port = port
        self.log_mode = log_mode
        self.live = live
        self.live_speed = live_speed
        self.live_tick_s = live_tick_s
        self.link_base = link_base
        self.log_redirect_base = log_redirect_base
        self.log_cache = routes.LogBodyCache(log_cache_bytes) if log_cache_bytes > 0 else None
        self.projects_page_size = projects_page_size
        self.promotions_without_switch = promotions_without_switch
        # The spec infers (from Plug defaults, not seen on the wire) that plumber-public and projecthub send
        # JSON with no Content-Type; True sends `application/json` on those answers instead.
        self.json_content_type = json_content_type
        spec = FaultSpec.parse(faults) if isinstance(faults, str) else (faults or FaultSpec())
        self.faults = spec
        self._injector = FaultInjector(spec)
        self.latency_ms = latency_ms + spec.latency_ms
        self.jitter_ms = jitter_ms + spec.jitter_ms
        self._jitter_rng = random.Random(spec.seed)
        self._rng_lock = threading.Lock()
        self._tokens = auth.TokenSet(token)
        self._jwts = routes.JwtStore()
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self.features = dict(features or {})
        self.permissions = None if permissions is None else frozenset(permissions)
        self.project_permission_filter = project_permission_filter
        self.signer = UrlSigner(signed_url_ttl_s)
        self.store = ArtifactStore(world, self.signer, host)

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> "EmulatorServer":
        if self._httpd is not None:
            return self
        self._stop.clear()
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
        self.port = self._httpd.server_address[1]
        serve = threading.Thread(
            target=self._httpd.serve_forever, name="emulator-http", kwargs={"poll_interval": 0.1}
        )
        serve.start()
        self._threads = [serve]
        self.store.start()
        if self.live:
            ticker = threading.Thread(target=self._tick_live, name="emulator-live", daemon=True)
            ticker.start()
            self._threads.append(ticker)
        return self

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        self._stop.set()
        httpd.shutdown()
        with httpd.connections_lock:
            open_connections = list(httpd.connections)
        for conn in open_connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()  # joins the request threads
        self.store.stop()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        self._httpd = None

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # --- counters and test controls ---------------------------------------------------------------------------

    @property
    def store_url(self) -> str:
        """The artifact store's origin (the second loopback port signed URLs point to)."""
        return self.signer.base

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests per endpoint name; `storage.get` counts the artifact store's (second port) requests."""
        with self._counts_lock:
            counts = dict(self._counts)
        if self.store.requests:
            counts["storage.get"] = self.store.requests
        return counts

    @property
    def total_requests(self) -> int:
        with self._counts_lock:
            return sum(self._counts.values())

    @property
    def fault_counts(self) -> dict[str, int]:
        return self._injector.snapshot()

    def reset_counts(self) -> None:
        with self._counts_lock:
            self._counts.clear()
        self.store.requests = 0

    def reset_faults(self) -> None:
        """Start the fault rules over (their `after`/`count`/`burst` counters) and zero `fault_counts`."""
        self._injector.reset()

    def revoke_token(self) -> None:
        """Every later request is refused with 401 `Unauthorized`."""
        self._tokens.revoke()

    def set_tokens(self, tokens: str | Iterable[str]) -> None:
        self._tokens.set(tokens)

    # --- live mode --------------------------------------------------------------------------------------------

    def _tick_live(self) -> None:
        """A world generated on the wall clock (`now=None`) stays on it: a real server's clock is the
        loader's, and a world racing ahead would hide its new rows behind the loader's `created_before`
        window. There `live_speed` multiplies the activity (new workflows per hour). A world with a fixed
        `now` moves `live_speed` simulated seconds per wall second."""
        follows_wall_clock = getattr(getattr(self.world, "config", None), "now", 1) is None
        last = time.monotonic()
        while not self._stop.wait(self.live_tick_s):
            now = time.monotonic()
            elapsed = now - last
            last = now
            with self.world.lock:
                if follows_wall_clock:
                    self.world.advance(timedelta(seconds=elapsed), activity=self.live_speed, wall_clock=True)
                else:
                    self.world.advance(timedelta(seconds=elapsed * self.live_speed))

    # --- one request ------------------------------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._counts_lock:
            self._counts[name] += 1

    def _delay(self) -> None:
        if self.latency_ms <= 0 and self.jitter_ms <= 0:
            return
        with self._rng_lock:
            jitter = self._jitter_rng.uniform(0, self.jitter_ms) if self.jitter_ms > 0 else 0.0
        self._stop.wait((self.latency_ms + jitter) / 1000)

    def _serve(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        path = url.path
        query_pairs = parse_qsl(url.query, keep_blank_values=True)
        headers = list(handler.headers.items())
        host = handler.headers.get("Host") or f"{self.host}:{self.port}"
        matched = routes.match(handler.command, path)
        self._count(matched[0].name if matched else "other")
        self._delay()
        if matched is None:
            handler.write_response(r.text(404, r.NOT_FOUND), None, self._stop)
            return
        route, params = matched
        req = routes.Request(handler.command, path, query_pairs, headers, host, params)
        denied = auth.check(headers, self._tokens, require_token=route.auth)
        if denied is not None:
            handler.write_response(denied, None, self._stop)
            return
        plan = (
            self._injector.plan(route.name, req.page, route.paged, path)
            if route.name != "unknown"
            else FaultPlan()
        )
        if plan.slow_seconds:
            self._stop.wait(plan.slow_seconds)
        if plan.replace is not None:
            replacement = _replacement(plan.replace, handler.path, host)
            if replacement is None:
                handler.reset()
                return
            handler.write_response(replacement, plan.body, self._stop)
            return
        env = routes.Env(
            world=self.world,
            log_mode=self.log_mode,
            link_base=self.link_base,
            log_redirect_base=self.log_redirect_base,
            log_cache=self.log_cache,
            projects_page_size=self.projects_page_size,
            promotions_without_switch=self.promotions_without_switch,
            jwts=self._jwts,
            plan=plan,
            features=self.features,
            permissions=self.permissions,
            signer=self.signer,
            project_permission_filter=self.project_permission_filter,
        )
        try:
            with self.world.lock:
                resp = routes.run(route, env, req)
        except Exception:  # a bug of ours: answer like a crashed backend, and say so (no headers logged)
            log.exception("emulator handler for %s failed", route.name)
            resp = r.text(500, routes.SOMETHING_WENT_WRONG)
        handler.write_response(resp, plan.body, self._stop)


GARBAGE = b"\xff\xfe" + b"\\u0000" + b"\\ud800" + b"\\u001b[31m"  # the `garbage` fault (faults.py)


def _garble(body: bytes) -> bytes:
    """Prefix every log event's `output` text with GARBAGE (the JSON stays well-formed, the bytes do not)."""
    return body.replace(b'"output":"', b'"output":"' + GARBAGE)


def _drift(body: bytes, rule: FaultRule) -> bytes:
    """The `drift` fault (faults.py) applied to a JSON body's objects; other bodies unchanged."""
    import json

    try:
        doc = json.loads(body)
    except ValueError:
        return body
    if isinstance(doc, list):
        objects = [o for o in doc if isinstance(o, dict)]
    elif isinstance(doc, dict):
        objects = [doc, *(v for v in doc.values() if isinstance(v, dict))]
        objects += [o for v in doc.values() if isinstance(v, list) for o in v if isinstance(o, dict)]
    else:
        return body
    field, to = rule.param("field", ""), rule.param("to", "new")
    for obj in objects:
        if to == "new":
            obj[field] = rule.param("value", "drifted")
        elif to == "drop":
            obj.pop(field, None)
        elif to == "string" and isinstance(obj.get(field), int | float):
            obj[field] = str(obj[field])
        elif to == "enum" and field in obj:
            obj[field] = rule.param("value", "DRIFTED_STATE")
    return r.dumps(doc)


def _replacement(rule: FaultRule, path: str = "/", host: str = "") -> r.Response | None:
    """The response a replacing fault sends instead of the route's (None: reset the connection)."""
    if rule.kind == "redirect":
        target = rule.param("host", "") or f"{host.rsplit(':', 1)[0]}:1"
        resp = r.text(int(rule.param("status", "302")), "", "text/html")
        resp.headers.append(("Location", f"http://{target}{path}"))
        return resp
    if rule.kind == "revoke":
        return r.text(401, r.UNAUTHORIZED)
    if rule.kind == "429":
        resp = r.text(429, "Too Many Requests", "text/plain")
        retry_after = rule.param("retry_after", "1")
        if retry_after == "date":
            resp.headers.append(
                ("Retry-After", formatdate(time.time() + float(rule.param("date_in", "2")), usegmt=True))
            )
        elif retry_after == "huge":
            resp.headers.append(("Retry-After", str(HUGE_RETRY_AFTER_S)))
        elif retry_after != "none":
            resp.headers.append(("Retry-After", retry_after))
        return resp
    if rule.kind == "5xx":
        status = int(rule.param("status", "503"))
        body, content_type = FIVE_XX_BODIES[status]
        return r.text(status, body, content_type)
    if rule.kind == "html":
        return r.text(200, PROXY_HTML, "text/html; charset=utf-8")
    return None  # reset at=before
