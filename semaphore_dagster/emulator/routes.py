"""The route table: every path the emulator serves, with each backend's parameter handling and error bodies.

Handlers run with `world.lock` held (the server takes it) and return a `Response`; they read the world through
its query API and shape JSON through `render.py`. Status codes and bodies follow docs/api-behaviours.md
(sections in the docstrings); request-count names (`Route.name`) are what `server.request_counts` and fault
rules (`endpoint=`) use.
"""

import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from urllib.parse import unquote

from semaphore_dagster.emulator import pagination as pg
from semaphore_dagster.emulator import render
from semaphore_dagster.emulator import responses as r
from semaphore_dagster.emulator.faults import FaultPlan
from semaphore_dagster.emulator.model import JOB_STATES

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
JWT_TTL_S = 300.0  # loghub2 PULL tokens live 5 minutes
SOMETHING_WENT_WRONG = "Something went wrong"  # an uncaught exception in a plumber-public handler
ARTIFACTS_DISABLED = "The artifacts api feature is not enabled for your organization. Please contact support"


@dataclass
class Request:
    method: str
    path: str
    query_pairs: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    host: str  # the Host header as the client sent it (with its port)
    params: dict[str, str] = field(default_factory=dict)  # path parameters

    def q(self, name: str) -> str | None:
        """The last value of a query parameter (Plug's and URI.decode_query's rule), or None."""
        value = None
        for key, val in self.query_pairs:
            if key == name:
                value = val
        return value

    def q_nonempty(self, name: str) -> str | None:
        value = self.q(name)
        return value if value else None

    def q_all(self, name: str) -> list[str]:
        return [val for key, val in self.query_pairs if key == name]

    @property
    def page(self) -> int:
        """The `page` parameter as fault rules address it (1 when absent or not a number)."""
        return pg.lenient_int(self.q("page"), 1)


class JwtStore:
    """The short-lived `?jwt=` tokens of self-hosted log redirects (loghub2 authenticates by jwt only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}

    def issue(self, job_id: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            self._tokens = {k: v for k, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (job_id, now + JWT_TTL_S)
        return token

    def valid(self, token: str | None, job_id: str) -> bool:
        with self._lock:
            entry = self._tokens.get(token or "")
        return entry is not None and entry[0] == job_id and entry[1] > time.monotonic()


@dataclass
class Env:
    """What handlers need besides the request: the world, server settings and this request's fault plan."""

    world: Any
    log_mode: str = "cloud"
    link_base: str | None = None
    log_redirect_base: str | None = None  # None: the scheme and host the client used
    log_cache: "LogBodyCache | None" = (
        None  # encoded bodies of finished logs (EmulatorServer(log_cache_bytes))
    )
    projects_page_size: int = 500
    promotions_without_switch: str = "error"  # "error" (inferred 400) | "empty" ([])
    jwts: JwtStore = field(default_factory=JwtStore)
    plan: FaultPlan = field(default_factory=FaultPlan)
    # --- test results, people and access, secrets, notifications, dashboards (routes_more.py) ---
    features: dict[str, bool] = field(default_factory=dict)  # org feature flags over routes_more's defaults
    permissions: frozenset[str] | None = None  # the token's permissions; None = every permission
    signer: Any = None  # storage.UrlSigner of the artifact store on the second port
    project_permission_filter: bool = True  # projecthub drops projects the token may not view, after paging


Handler = Callable[[Env, Request], r.Response]


@dataclass(frozen=True)
class Route:
    name: str  # request-count name
    pattern: re.Pattern
    handler: Handler
    paged: bool = False  # style A (page faults apply)
    auth: bool = True  # ingress token check (loghub2's /api/v1/logs uses its jwt instead)


# --- helpers --------------------------------------------------------------------------------------------------


class _Crash(Exception):
    """An uncaught exception in the imitated backend (answered 500)."""


def _unix_param(req: Request, name: str) -> int | None:
    """plumber's `unix_to_datetime`: `{value, _} = Integer.parse(v)` crashes (500) on a non-integer.

    0 is the proto default timestamp, i.e. no filter.
    """
    value = req.q(name)
    if value is None:
        return None
    number = pg.elixir_int(value)
    if number is None:
        raise _Crash(name)
    return number or None


def _lenient(req: Request, name: str, default: int) -> int:
    return pg.lenient_int(req.q(name), default)


def _host_without_port(host: str) -> str:
    host = host or "localhost"
    return host[: host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]


def _link_base(env: Env, req: Request) -> str:
    """`http://` + the backend's idea of its host: the Host header without its port (or `link_base`)."""
    if env.plan.redirect_host:
        return f"http://{env.plan.redirect_host}"
    if env.link_base:
        return env.link_base.rstrip("/")
    host = req.host or "localhost"
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    else:
        host = host.split(":", 1)[0]
    return f"http://{host}"


def _style_a(
    env: Env, req: Request, items: list, page: int, page_size: int, render_one: Callable
) -> r.Response:
    data_page = env.plan.data_page
    page_obj = pg.scrivener_page(items, page, page_size, data_page)
    rows = [] if env.plan.empty_page else page_obj.entries
    headers = pg.scrivener_headers(page_obj, _link_base(env, req), req.path, req.query_pairs)
    return r.ok([render_one(item) for item in rows], headers)


def _not_found_text() -> r.Response:
    return r.text(404, r.NOT_FOUND)


# --- projects (projecthub-rest-api) ---------------------------------------------------------------------


def projects_list(env: Env, req: Request) -> r.Response:
    try:
        page = pg.projects_page_number(req.q("page"))
    except pg.PageParamError as exc:
        return r.message(400, str(exc))
    # projecthub pages the DB, then drops what the token may not view: a page may be empty with more behind
    # it (docs/api-behaviours.md, "Projects"). Without the filter, a kind server pages only viewable ones.
    source = env.world.projects_db_order() if env.project_permission_filter else env.world.list_projects()
    rows, has_more = pg.projects_page(source, page, env.projects_page_size)
    rows = [p for p in rows if p.viewable]
    headers = [("x-page", str(page)), ("x-has-more", "true" if has_more else "false")]
    return r.ok([render.project(env.world, p) for p in rows], headers)


def projects_describe(env: Env, req: Request) -> r.Response:
    project = env.world.project_by_name(req.params["name"])
    if project is None:
        return r.message(404, "Not found")
    return r.ok(render.project(env.world, project))


def insights(env: Env, req: Request) -> r.Response:
    """Semaphore's insights routes (public API -> Velocity), answered from the world by Semaphore's rules
    (emulator/insights.py; docs/insights.md, "The emulator's insights endpoints")."""
    from semaphore_dagster.emulator.insights import insights_response

    return insights_response(env.world, req.params["project_id"], req.params["kind"], dict(req.query_pairs))


# --- workflows (plumber-public) -------------------------------------------------------------------------


def workflows_list(env: Env, req: Request) -> r.Response:
    project_id = req.q_nonempty("project_id")
    if project_id is None or env.world.project(project_id) is None:
        return _not_found_text()
    rows = env.world.list_workflows(
        project_id,
        branch_name=req.q_nonempty("branch_name"),
        label=req.q_nonempty("label"),
        requester_id=req.q_nonempty("requester_id"),
        created_after=_unix_param(req, "created_after"),
        created_before=_unix_param(req, "created_before"),
    )
    page, size = _lenient(req, "page", 1), _lenient(req, "page_size", 30)
    return _style_a(env, req, rows, page, size, lambda w: render.workflow_list_item(env.world, w))


def workflows_describe(env: Env, req: Request) -> r.Response:
    wf = env.world.workflow(req.params["wf_id"])
    if wf is None:
        return _not_found_text()
    return r.ok(render.workflow_describe(env.world, wf))


# --- pipelines (plumber-public) -------------------------------------------------------------------------

_WINDOWS = (("created_after", "created_before"), ("done_after", "done_before"))


def pipelines_list(env: Env, req: Request) -> r.Response:
    project_id, wf_id = req.q_nonempty("project_id"), req.q_nonempty("wf_id")
    if project_id is None and wf_id is None:
        return _not_found_text()
    if wf_id is not None and env.world.workflow(wf_id) is None:
        return _not_found_text()
    if project_id is not None and env.world.project(project_id) is None:
        return _not_found_text()
    times = {name: _unix_param(req, name) for pair in _WINDOWS for name in pair}
    for after, before in _WINDOWS:
        if times[after] is not None and times[before] is not None and times[after] >= times[before]:
            return r.json_string(
                400, f"Inavlid values od fields '{after}' and '{before}' - first has to be before second."
            )
    rows = env.world.list_pipelines(
        project_id=project_id,
        wf_id=wf_id,
        branch_name=req.q_nonempty("branch_name"),
        yml_file_path=req.q_nonempty("yml_file_path"),
        label=req.q_nonempty("label"),
        queue_id=req.q_nonempty("queue_id"),
        pr_head_branch=req.q_nonempty("pr_head_branch"),
        pr_target_branch=req.q_nonempty("pr_target_branch"),
        **times,
    )
    page, size = _lenient(req, "page", 1), _lenient(req, "page_size", 30)
    return _style_a(env, req, rows, page, size, lambda p: render.pipeline_list_item(env.world, p))


def pipelines_describe(env: Env, req: Request) -> r.Response:
    ppl = env.world.pipeline(req.params["ppl_id"])
    if ppl is None:
        return _not_found_text()
    detailed = req.q("detailed") == "true"
    return r.ok(render.pipeline_describe(env.world, ppl, detailed=detailed))


def pipelines_topology(env: Env, req: Request) -> r.Response:
    ppl_id = req.params["ppl_id"]
    if env.world.pipeline(ppl_id) is None:
        return _not_found_text()
    return r.ok(render.topology(env.world, ppl_id))


# --- promotions (plumber-public -> gofer) ---------------------------------------------------------------


def promotions_list(env: Env, req: Request) -> r.Response:
    ppl_id = req.q("pipeline_id") or ""
    if env.world.pipeline(ppl_id) is None:
        return _not_found_text()
    try:
        page = pg.strict_int(req.q("page"), 1, "page")
        size = pg.strict_int(req.q("page_size"), 10, "page_size")
    except pg.PageParamError as exc:
        return r.json_string(400, str(exc))
    rows = env.world.list_promotions(ppl_id, req.q_nonempty("name"))
    if rows is None:
        if env.promotions_without_switch == "error":
            return r.json_string(400, "Switch with id '' not found.")
        rows = []
    size = size if size > 0 else 10
    return _style_a(env, req, rows, max(page, 1), size, lambda p: render.promotion(env.world, p))


# --- jobs (public-api-gateway, grpc-gateway JSON) -------------------------------------------------------


def jobs_describe(env: Env, req: Request) -> r.Response:
    job_id = req.params["job_id"]
    if not UUID_RE.match(job_id):
        return r.grpc_error(400, 3, f"Job id {job_id} is invalid")
    job = env.world.job(job_id)
    if job is None:
        return r.grpc_error(404, 5, f"Job {job_id} not found")
    return r.ok(render.job(env.world, job), content_type=r.JSON_CT)


def _job_state(value: str) -> str | None:
    if value in JOB_STATES:
        return value
    if value.isdigit() and int(value) < len(JOB_STATES):
        return JOB_STATES[int(value)]
    return None


def jobs_list(env: Env, req: Request) -> r.Response:
    states: set[str] = set()
    for value in req.q_all("states"):
        state = _job_state(value)
        if state is None:
            return r.grpc_error(400, 3, f"type mismatch, parameter: states, error: {value} is not valid")
        states.add(state)
    raw_size = req.q("page_size")
    size = pg.JOBS_DEFAULT_PAGE_SIZE
    if raw_size:
        try:
            size = int(raw_size)
        except ValueError:
            return r.grpc_error(
                400,
                3,
                f'type mismatch, parameter: page_size, error: strconv.ParseInt: parsing "{raw_size}": invalid syntax',
            )
        if size > pg.JOBS_MAX_PAGE_SIZE:
            return r.grpc_error(400, 3, "Page size can't exceed 30")
        if size <= 0:
            size = pg.JOBS_DEFAULT_PAGE_SIZE
    if not states:
        return r.ok({"jobs": [], "next_page_token": ""}, content_type=r.JSON_CT)
    items = env.world.list_jobs(states)
    try:
        rows, token = pg.keyset_page(items, _job_key, size, req.q("page_token") or "")
    except pg.PageParamError as exc:
        return r.grpc_error(400, 3, str(exc))
    return r.ok(
        {"jobs": [render.job(env.world, j) for j in rows], "next_page_token": token}, content_type=r.JSON_CT
    )


def _job_key(job: Any) -> tuple[int, str]:
    return (int(job.create_time.timestamp()), job.job_id)


# --- logs (plumber-public -> loghub/loghub2) ------------------------------------------------------------


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def logs_get(env: Env, req: Request) -> r.Response:
    job_id = req.params["job_id"]
    log = env.world.job_log(job_id)
    if log is None:
        return r.text(404, "Not found")
    if _truthy(req.q("artifact_job_logs")):
        return r.Response(403, ARTIFACTS_DISABLED.encode(), [], "text/plain")
    if log.error is not None:
        return r.json_string(404, log.error)
    if env.log_mode == "self_hosted" or log.self_hosted:
        if env.plan.redirect_host:
            base = f"http://{env.plan.redirect_host}"
        elif env.log_redirect_base == "client":  # a kind server: the scheme, host and port the client used
            base = f"http://{req.host}"
        else:  # Semaphore: https + its own host, no port (docs/api-behaviours.md, "Job logs")
            base = (env.log_redirect_base or f"https://{_host_without_port(req.host)}").rstrip("/")
        location = f"{base}/api/v1/logs/{job_id}?jwt={env.jwts.issue(job_id)}"
        return r.Response(302, b"", [("location", location)])
    if env.log_cache is not None and log.finished:
        return r.Response(
            200, env.log_cache.body(job_id, lambda: _cloud_log_body(log.events())), [], r.JSON_CT
        )
    return r.Response(200, _cloud_log_body(log.events()), [], r.JSON_CT)


class LogBodyCache:
    """Encoded `GET /logs` bodies of finished jobs (a finished log never changes), up to `limit` bytes in all;
    a body that does not fit is generated and streamed as without the cache."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._bodies: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def body(self, job_id: str, render: Callable[[], Iterable[bytes]]) -> Iterable[bytes]:
        """The body in 64 KiB chunks, sent chunked as an uncached log is."""
        with self._lock:
            cached = self._bodies.get(job_id)
        if cached is None:
            if self.size >= self.limit:
                return render()
            cached = b"".join(render())
            with self._lock:
                if self.size + len(cached) <= self.limit:
                    self._bodies[job_id] = cached
                    self.size += len(cached)
        view = memoryview(cached)
        return (bytes(view[i : i + 65536]) for i in range(0, len(view), 65536))


def _cloud_log_body(events: Iterator[bytes]) -> Iterator[bytes]:
    """`{ "events": [` + events joined by `,` + `] }`, in chunks of about 64 KiB."""
    buf = bytearray(b'{ "events": [')
    first = True
    for event in events:
        if not first:
            buf += b","
        buf += event
        first = False
        if len(buf) >= 65536:
            yield bytes(buf)
            buf.clear()
    buf += b"] }"
    yield bytes(buf)


def _go_error(status: int, msg: str) -> r.Response:
    """Go's `http.Error`: the message plus a newline, text/plain, nosniff."""
    return r.Response(
        status, f"{msg}\n".encode(), [("X-Content-Type-Options", "nosniff")], "text/plain; charset=utf-8"
    )


def _loghub2_jwt(req: Request) -> str:
    """`authMiddleware`: the `jwt` query parameter, else `Authorization: Bearer <jwt>`."""
    token = req.q("jwt") or ""
    if token:
        return token
    header = next((v for k, v in req.headers if k.lower() == "authorization"), "")
    parts = header.split("Bearer ")
    return parts[1] if len(parts) == 2 else ""


def logs_v1(env: Env, req: Request) -> r.Response:
    """loghub2's public API (`loghub2/pkg/publicapi/server.go`), jwt-authenticated.

    Running job (logs in Redis): the events from index `token` on, `"next": token + count`. Finished job (logs
    in object storage): `"next": null`, and because `streamJSONLogsFromCloudStorage` never advances its
    index, any `token` > 0 yields no events at all. `raw=true`: directives and output as text.
    """
    job_id = req.params["job_id"]
    if not env.jwts.valid(_loghub2_jwt(req), job_id):
        return _go_error(401, "Unauthorized")
    token = 0
    if req.q("token"):
        try:
            token = int(req.q("token") or "", 10)
        except ValueError:
            return _go_error(400, "bad token")
    log = env.world.job_log(job_id)
    missing = _go_error(404, f"Logs for {job_id} not found")
    if log is None or log.error is not None:
        return missing
    raw = req.q("raw") == "true"
    if not log.finished:
        if next(iter(log.events()), None) is None:  # nothing in Redis yet, nothing archived
            return missing
        start = max(token, 0)
        if raw:
            return r.Response(
                200, _raw_log(islice(log.event_dicts(), start, None)), [], "text/plain; charset=utf-8"
            )
        return r.Response(200, _loghub2_body(islice(log.events(), start, None), token, False), [], r.JSON_CT)
    if raw:
        return r.Response(200, _raw_log(log.event_dicts()), [], "text/plain; charset=utf-8")
    if env.log_cache is not None and token <= 0:
        body = env.log_cache.body(f"v1:{job_id}", lambda: _loghub2_body(log.events(), token, True))
        return r.Response(200, body, [], r.JSON_CT)
    events = log.events() if token <= 0 else iter(())
    return r.Response(200, _loghub2_body(events, token, True), [], r.JSON_CT)


def _loghub2_body(events: Iterator[bytes], token: int, final: bool) -> Iterator[bytes]:
    """`JSONResponseWriter`: `{"events":[...],"next": null}` or `"next": <token + count>` (note the space)."""
    buf = bytearray(b'{"events":[')
    count = 0
    for event in events:
        if count:
            buf += b","
        buf += event
        count += 1
        if len(buf) >= 65536:
            yield bytes(buf)
            buf.clear()
    buf += b'],"next": ' + (b"null" if final else str(token + count).encode()) + b"}"
    yield bytes(buf)


def _raw_log(events: Iterator[dict]) -> Iterator[bytes]:
    for event in events:
        if event.get("event") == "cmd_started":
            yield (event.get("directive", "") + "\n").encode()
        elif event.get("event") == "cmd_output":
            yield event.get("output", "").encode()


# --- self-hosted agents (plumber-public -> self_hosted_hub) ---------------------------------------------


def agent_types_list(env: Env, req: Request) -> r.Response:
    """Not paginated: `page` is parsed (a non-integer is a 400) and then ignored."""
    try:
        pg.strict_int(req.q("page"), 1, "page")
    except pg.PageParamError as exc:
        return r.json_string(400, str(exc))
    return r.ok({"agent_types": [render.agent_type(env.world, t) for t in env.world.list_agent_types()]})


def agent_types_describe(env: Env, req: Request) -> r.Response:
    agent_type = env.world.agent_type(req.params["name"])
    if agent_type is None:
        return r.json_string(404, "agent type not found")
    return r.ok(render.agent_type(env.world, agent_type))


def agents_list(env: Env, req: Request) -> r.Response:
    try:
        size = pg.agents_page_size(req.q("page_size"))
        rows, cursor = pg.agents_page(
            env.world.list_agents(req.q_nonempty("agent_type")), _agent_ms, size, req.q("cursor") or ""
        )
    except pg.PageParamError as exc:
        return r.json_string(400, str(exc))
    return r.ok({"agents": [render.agent(env.world, a) for a in rows], "cursor": cursor})


def _agent_ms(agent: Any) -> int:
    return agent.created_at_ms


def agents_describe(env: Env, req: Request) -> r.Response:
    agent = env.world.agent(req.params["name"])
    if agent is None:
        return r.json_string(404, "agent not found")
    return r.ok(render.agent(env.world, agent))


# --- deployment targets (plumber-public -> gofer) -------------------------------------------------------


def deployment_targets_list(env: Env, req: Request) -> r.Response:
    project_id = req.q("project_id")
    if project_id is None:  # `form_list_request/1` without a project_id
        return r.json_string(400, "project_id is required to list deployment targets")
    if not UUID_RE.match(project_id):
        return r.text(400, "project id must be a valid UUID")
    if env.world.project(project_id) is None:
        return r.text(404, "Not found")
    rows = env.world.list_deployment_targets(project_id, req.q_nonempty("target_name"))
    return r.ok([render.deployment_target(env.world, t) for t in rows])


def _target(env: Env, target_id: str) -> tuple[Any, r.Response | None]:
    if not UUID_RE.match(target_id):
        return None, r.text(400, "target id must be a valid UUID")
    target = env.world.deployment_target(target_id)
    if target is None:
        return None, r.json_string(404, f"Deployment target {target_id} not found")
    return target, None


def deployment_targets_describe(env: Env, req: Request) -> r.Response:
    target, error = _target(env, req.params["target_id"])
    return error or r.ok(render.deployment_target(env.world, target))


def deployment_targets_history(env: Env, req: Request) -> r.Response:
    target, error = _target(env, req.params["target_id"])
    if error:
        return error
    cursor_type = (req.q("cursor_type") or "FIRST").upper()
    if cursor_type not in pg.CURSOR_TYPES:
        return r.json_string(400, f"Invalid value of 'cursor_type' param: {cursor_type}")
    cursor_value = 0
    if req.q("cursor_value"):
        number = pg.elixir_int(req.q("cursor_value") or "")
        if number is None:
            return r.json_string(400, "Invalid value of 'cursor_value' param - needs to be integer.")
        cursor_value = number
    rows = env.world.deployments(target.id)
    triggered_by = req.q_nonempty("triggered_by")
    if triggered_by is not None:
        rows = [d for d in rows if d.triggered_by == triggered_by]
    page = pg.history_page(rows, _deployment_us, cursor_type, cursor_value)
    return r.ok(
        {
            "deployments": [render.deployment(env.world, d) for d in page.entries],
            "cursor_before": page.cursor_before,
            "cursor_after": page.cursor_after,
        }
    )


def _deployment_us(deployment: Any) -> int:
    return deployment.triggered_at_us


# --- retention policies and schedules --------------------------------------------------------------


def retention_policies_describe(env: Env, req: Request) -> r.Response:
    project_id = req.params["project_id"]
    if not UUID_RE.match(project_id):
        return r.text(400, "project id must be a valid UUID")
    policy = env.world.retention_policy(project_id)
    if policy is None:
        return r.text(404, "Not found")
    return r.ok(render.retention_policy(env.world, policy))


def schedules_list(env: Env, req: Request) -> r.Response:
    project_id = req.q("project_id")  # `authorize_list_by_project_id`: none or unknown -> 404
    if project_id is None or env.world.project(project_id) is None:
        return _not_found_text()
    try:
        page = pg.strict_int(req.q("page"), 1, "page")
        size = pg.strict_int(req.q("page_size"), 30, "page_size")
    except pg.PageParamError as exc:
        return r.json_string(400, str(exc))
    rows = env.world.list_schedules(project_id)
    return _style_a(
        env, req, rows, max(page, 1), size if size > 0 else 30, lambda s: render.schedule(env.world, s)
    )


def schedules_describe(env: Env, req: Request) -> r.Response:
    """`schedules/describe.ex`: the identifier must be a UUID (no lookup by name, whatever the docs say)."""
    if not UUID_RE.match(req.params["id_or_name"]):
        return r.json_string(400, "schedule identifier should be a UUID")
    schedule = env.world.schedule(req.params["id_or_name"])
    if schedule is None:
        return r.json_string(404, f"Schedule {req.params['id_or_name']} not found")
    return r.ok(render.schedule_describe(env.world, schedule))


# --- fallbacks ------------------------------------------------------------------------------------------------


def plumber_unknown(env: Env, req: Request) -> r.Response:
    return r.text(404, "oops")


def gateway_unknown(env: Env, req: Request) -> r.Response:
    """grpc-gateway's NotFound handler (e.g. `/api/v1alpha/workflows`, which it does not register)."""
    return r.grpc_error(404, 5, "Not Found")


SEG = r"(?P<{}>[^/]+)"


def _route(name: str, path: str, handler: Handler, **kw: Any) -> Route:
    regex = re.sub(r"\{(\w+)\}", lambda m: SEG.format(m.group(1)), path)
    return Route(name, re.compile(f"^{regex}/?$"), handler, **kw)


V = "/api/v1alpha"
ROUTES: tuple[Route, ...] = (
    _route("projects.list", f"{V}/projects", projects_list),
    _route("insights.{kind}", f"{V}/projects/{{project_id}}/insights/{{kind}}", insights),
    _route("projects.describe", f"{V}/projects/{{name}}", projects_describe),
    _route("workflows.list", f"{V}/plumber-workflows", workflows_list, paged=True),
    _route("workflows.describe", f"{V}/plumber-workflows/{{wf_id}}", workflows_describe),
    _route("pipelines.list", f"{V}/pipelines", pipelines_list, paged=True),
    _route("pipelines.topology", f"{V}/pipelines/{{ppl_id}}/describe_topology", pipelines_topology),
    _route("pipelines.describe", f"{V}/pipelines/{{ppl_id}}", pipelines_describe),
    _route("promotions.list", f"{V}/promotions", promotions_list, paged=True),
    _route("jobs.list", f"{V}/jobs", jobs_list),
    _route("jobs.describe", f"{V}/jobs/{{job_id}}", jobs_describe),
    _route("logs.get", f"{V}/logs/{{job_id}}", logs_get),
    _route("logs.v1", "/api/v1/logs/{job_id}", logs_v1, auth=False),
    _route("agent_types.list", f"{V}/self_hosted_agent_types", agent_types_list),
    _route("agent_types.describe", f"{V}/self_hosted_agent_types/{{name}}", agent_types_describe),
    _route("agents.list", f"{V}/agents", agents_list),
    _route("agents.describe", f"{V}/agents/{{name}}", agents_describe),
    _route("deployment_targets.list", f"{V}/deployment_targets", deployment_targets_list),
    _route(
        "deployment_targets.history",
        f"{V}/deployment_targets/{{target_id}}/history",
        deployment_targets_history,
    ),
    _route(
        "deployment_targets.describe", f"{V}/deployment_targets/{{target_id}}", deployment_targets_describe
    ),
    _route(
        "retention_policies.describe",
        f"{V}/artifacts_retention_policies/{{project_id}}",
        retention_policies_describe,
    ),
    _route("schedules.list", f"{V}/schedules", schedules_list, paged=True),
    _route("schedules.list", f"{V}/tasks", schedules_list, paged=True),
    _route("schedules.describe", f"{V}/schedules/{{id_or_name}}", schedules_describe),
    _route("schedules.describe", f"{V}/tasks/{{id_or_name}}", schedules_describe),
)
# --- test results, people and access, secrets, notifications, dashboards ---
from semaphore_dagster.emulator import routes_more  # noqa: E402 (its handlers use this module's helpers)

ROUTES += tuple(_route(name, path, handler, **options) for name, path, handler, options in routes_more.ROUTES)
GATEWAY_PREFIXES = (f"{V}/workflows", f"{V}/jobs/", f"{V}/dashboards", f"{V}/notifications", "/api/v1beta/")
UNKNOWN_PLUMBER = Route("unknown", re.compile(r"^/api/"), plumber_unknown)
UNKNOWN_GATEWAY = Route("unknown", re.compile(r"^/api/"), gateway_unknown)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route and path parameters for a request, an `unknown` route for other `/api/` paths, else None."""
    if not path.startswith("/api/"):
        return None
    if method == "GET":
        for route in ROUTES:
            found = route.pattern.match(path)
            if found:
                params = {key: unquote(value) for key, value in found.groupdict().items()}
                if "{kind}" in route.name:
                    return Route(route.name.replace("{kind}", params["kind"]), *_rest(route)), params
                return route, params
    if path == f"{V}/workflows" or path.startswith(GATEWAY_PREFIXES):
        return UNKNOWN_GATEWAY, {}
    return UNKNOWN_PLUMBER, {}


def _rest(route: Route) -> tuple:
    return (route.pattern, route.handler, route.paged, route.auth)


def run(route: Route, env: Env, req: Request) -> r.Response:
    """Call a handler, turning a crash of the imitated backend into its 500."""
    try:
        return route.handler(env, req)
    except _Crash:
        return r.text(500, SOMETHING_WENT_WRONG)
