"""The dlt sources: `semaphore_source` (the whole organization) and `job_logs_source` (logs of given jobs)."""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import dlt
import pyarrow as pa
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from . import (
    ci_activity,
    deployments,
    fleet,
    job_logs,
    organization,
    people,
    secrets_meta,
    settings,
    test_results,
)
from . import dashboards as dashboards_mod
from . import log_policy as log_policy_mod
from . import notifications as notifications_mod
from .ci_activity import CiPlanner
from .client import SemaphoreClient
from .context import RunContext
from .endpoints import TABLES
from .errors import ConfigError
from .progress import Progress
from .timestamps import parse_date, parse_duration

WHERE = "under [sources.semaphore] in .dlt/config.toml or as SOURCES__SEMAPHORE__{key}"
WHERE_SECRET = "under [sources.semaphore] in .dlt/secrets.toml or as SOURCES__SEMAPHORE__API_TOKEN"


def _where(key: str) -> str:
    return WHERE.format(key=key.upper())


def validate_base_url(base_url: Any) -> str:
    """The organization URL, e.g. https://acme.semaphoreci.com (a trailing /api/v1alpha is tolerated)."""
    if not base_url or not str(base_url).strip():
        raise ConfigError(
            f"base_url is not set: set it {_where('base_url')} (e.g. https://<org>.semaphoreci.com)"
        )
    text = str(base_url).strip().rstrip("/")
    if text.endswith(settings.API_PREFIX):
        text = text[: -len(settings.API_PREFIX)]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"base_url {text!r} is not an http(s) organization URL: set it {_where('base_url')} "
            "(e.g. https://<org>.semaphoreci.com)"
        )
    if parts.path not in ("", "/"):  # the API lives at the root of the organization's host
        raise ConfigError(
            f"base_url {text!r} has a path ({parts.path}): set only the organization URL, e.g. "
            f"{parts.scheme}://{parts.netloc}, {_where('base_url')}"
        )
    if parts.username or parts.password:
        raise ConfigError(f"base_url must not hold a user or password: fix it {_where('base_url')}")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"base_url {text!r} has an invalid port: fix it {_where('base_url')}") from None
    return text


def validate_token(api_token: Any) -> str:
    token = "" if api_token is None else str(api_token).strip()
    if not token:
        raise ConfigError(f"api_token is not set: set it {WHERE_SECRET}")
    if any(c.isspace() for c in token):
        raise ConfigError(f"api_token contains whitespace: set only the token itself {WHERE_SECRET}")
    return token


def validate_scheme(auth_scheme: Any) -> str:
    scheme = str(auth_scheme or settings.DEFAULT_AUTH_SCHEME).strip()
    if scheme not in settings.AUTH_SCHEMES:
        raise ConfigError(
            f"auth_scheme must be Token or Bearer (case-sensitive), not {scheme!r}: set it {_where('auth_scheme')}"
        )
    return scheme


def _positive_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ConfigError(f"{name} must be an integer, not {value!r}: set it {_where(name)}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be an integer, not {value!r}: set it {_where(name)}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}: set it {_where(name)}")
    return number


def _number(name: str, value: Any, *, positive: bool) -> float:
    """A float config value: > 0 (`positive`) or >= 0, finite."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{name} must be a number of seconds, not {value!r}: set it {_where(name)}"
        ) from None
    if (
        number != number
        or number in (float("inf"), float("-inf"))
        or number < 0
        or (positive and number == 0)
    ):
        bound = "greater than 0" if positive else "0 or more"
        raise ConfigError(f"{name} must be {bound}, not {value!r}: set it {_where(name)}")
    return number


def make_client(
    base_url: Any,
    api_token: Any,
    auth_scheme: Any,
    request_timeout: float = settings.DEFAULT_REQUEST_TIMEOUT,
    max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
    max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
    backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
    request_deadline: float | None = None,
) -> SemaphoreClient:
    """Validate the connection settings (no request is made) and build the client."""
    url, token, scheme = validate_base_url(base_url), validate_token(api_token), validate_scheme(auth_scheme)
    return SemaphoreClient(
        url,
        token,
        scheme,
        request_timeout=_number("request_timeout", request_timeout, positive=True),
        max_attempts=_positive_int("max_attempts", max_attempts, 1),
        max_retry_delay=_number("max_retry_delay", max_retry_delay, positive=False),
        backoff_factor=_number("backoff_factor", backoff_factor, positive=False),
        request_deadline=(
            None
            if request_deadline in (None, "")
            else _number("request_deadline", request_deadline, positive=True)
        ),
    )


def _resolve_times(now: Any, start_date: Any, lookback: Any) -> tuple[datetime, datetime, timedelta]:
    try:
        run_start = parse_date(now) if now else datetime.now(UTC)
    except ValueError:
        raise ConfigError(
            f"now {now!r} is not an ISO date-time: set it {_where('now')} or leave it unset"
        ) from None
    run_start = run_start.astimezone(UTC).replace(microsecond=0)
    try:
        window = parse_duration(lookback if lookback not in (None, "") else settings.DEFAULT_LOOKBACK)
    except ValueError:
        raise ConfigError(
            f"lookback {lookback!r} is not a duration like 3d or 12h: set it {_where('lookback')}"
        ) from None
    if window <= timedelta(0):
        raise ConfigError(
            f"lookback {lookback!r} must be longer than 0 (late changes would never be re-checked): set it "
            f"{_where('lookback')}, e.g. 3d"
        )
    if start_date in (None, ""):
        start = run_start - timedelta(days=settings.DEFAULT_START_DAYS)
    else:
        try:
            start = parse_date(start_date)
        except ValueError:
            raise ConfigError(
                f"start_date {start_date!r} is not an ISO date like 2026-10-01: set it {_where('start_date')}"
            ) from None
        if start > run_start:
            raise ConfigError(
                f"start_date {start.isoformat()} is in the future: set a past date {_where('start_date')}"
            )
    return run_start, start, window


def _allow_list(projects: Any) -> list[str] | None:
    """`projects` as a list of names or ids (a list, or a comma-separated string); None = every project."""
    if projects is None:
        return None
    if isinstance(projects, str):
        items = [p.strip() for p in projects.split(",")]
    elif isinstance(projects, (list, tuple, set)):
        items = [str(p).strip() for p in projects]
    else:
        raise ConfigError(f"projects must be a list of project names or ids: set it {_where('projects')}")
    items = [p for p in items if p]
    if not items and projects not in ("", [], ()):
        raise ConfigError(
            f"projects names no project: set names or ids {_where('projects')}, or leave it unset"
        )
    return items or None


# Snapshot tables, each listed whole on every run and independent of the CI planner: dlt extracts them in its
# thread pool (`parallelized`), so their round trips overlap instead of queueing one after another (a run with
# nothing new was about 25 serial listings: 1.4 s of 2.5 at 50 ms, BENCHMARKS.md). The CI resources share the
# planner and its state, and stay in dlt's main extract thread.
PARALLEL_TABLES = frozenset(
    {
        "agent_types", "agents", "deployment_targets", "deployments", "artifact_retention_policies",
        "schedules", "flaky_tests", "members", "roles", "groups", "service_accounts", "secrets",
        "notifications", "dashboards",
    }
)  # fmt: skip


def _resource(fn: Any, table: str, **hints: Any) -> Any:
    spec = TABLES[table]
    return dlt.resource(
        fn,
        name=table,
        primary_key=list(spec.primary_key),
        write_disposition=spec.write_disposition,
        columns=spec.dlt_columns(),
        parallelized=table in PARALLEL_TABLES,
        **hints,
    )


def _transformer(fn: Any, parent: Any, table: str) -> Any:
    spec = TABLES[table]
    return dlt.transformer(
        fn,
        data_from=parent,
        name=table,
        primary_key=list(spec.primary_key),
        write_disposition=spec.write_disposition,
        columns=spec.dlt_columns(),
    )


def _log_resources(ctx: RunContext, jobs: Any) -> list[Any]:
    """A hidden fetcher and two transformers (`job_logs`, `job_log_events`) fed by it. The fetcher yields
    batches of fetched logs (bounded by LOG_BATCH_BYTES of stored output); events go out as Arrow tables,
    which dlt loads without its (CPU-bound) normalize step. `jobs`: a list, or the CI chunks resource (the
    fetcher is then its transformer: each chunk's logs are fetched as soon as its jobs are known)."""
    streak = job_logs.new_streak(ctx)
    progress = Progress("job logs", "logs")

    def counted(batches: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
        for batch in batches:
            progress.add(logs=len(batch), events=sum(len(item["events"]) for item in batch))
            yield batch

    if isinstance(jobs, DltResource):

        def chunk_logs(chunk: ci_activity.Chunk) -> Iterator[list[dict[str, Any]]]:
            if ctx.include_logs:
                items = job_logs.log_items(ctx, ci_activity.log_jobs(chunk), streak)
                yield from counted(job_logs.batched(items))
            if chunk.last:
                progress.done()

        fetcher = dlt.transformer(chunk_logs, data_from=jobs, name="log_fetch", selected=False)
    else:

        def log_fetch() -> Iterator[list[dict[str, Any]]]:
            yield from counted(job_logs.batched(job_logs.log_items(ctx, list(jobs), streak)))
            progress.done()

        fetcher = dlt.resource(log_fetch, name="log_fetch", selected=False)

    def rows(batch: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        yield [item["row"] for item in batch]

    def events(batch: list[dict[str, Any]]) -> Iterator[Any]:
        tables = [item["events"] for item in batch if item["events"].num_rows]
        if tables:
            yield pa.concat_tables(tables)

    spec_rows, spec_events = TABLES["job_logs"], TABLES["job_log_events"]
    return [
        fetcher,
        dlt.transformer(
            rows,
            data_from=fetcher,
            name="job_logs",
            primary_key=list(spec_rows.primary_key),
            write_disposition="merge",
            columns=spec_rows.dlt_columns(),
        ),
        dlt.transformer(
            events,
            data_from=fetcher,
            name="job_log_events",
            primary_key=list(spec_events.primary_key),
            merge_key="job_id",  # a re-fetched log replaces all of the job's events (no stale tail)
            write_disposition="merge",
            columns=spec_events.dlt_columns(),
        ),
    ]


@dlt.source(name="semaphore", section="semaphore", max_table_nesting=0)
def semaphore_source(
    base_url: str | None = dlt.config.value,
    api_token: TSecretStrValue | None = dlt.secrets.value,
    auth_scheme: str = settings.DEFAULT_AUTH_SCHEME,
    projects: Sequence[str] | None = None,
    start_date: str | None = None,
    lookback: str = settings.DEFAULT_LOOKBACK,
    max_concurrency: int = settings.DEFAULT_MAX_CONCURRENCY,
    log_max_bytes: int = settings.DEFAULT_LOG_MAX_BYTES,
    include_logs: bool = True,
    log_policy: str = log_policy_mod.DEFAULT_LOG_POLICY,
    log_tail_bytes: int | None = None,
    store_deployment_parameter_values: bool = False,
    now: datetime | str | None = None,
    request_timeout: float = settings.DEFAULT_REQUEST_TIMEOUT,
    max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
    max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
    backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
    request_deadline: float | None = None,
    include_test_results: bool = True,
    test_message_max_chars: int = test_results.DEFAULT_MESSAGE_MAX_CHARS,
    test_report_max_bytes: int = test_results.DEFAULT_REPORT_MAX_BYTES,
    slice_pipelines: int = settings.DEFAULT_SLICE_PIPELINES,
) -> Any:
    """The whole Semaphore organization, one resource per table of docs/tables.md.

    Configuration is validated here, before any request. `now` is the run start (default: the wall clock):
    every listing's window ends there. Subsets: `.with_resources("workflows", "pipelines", ...)`; the CI
    resources (workflows, pipelines, blocks, jobs, promotions, job_logs, job_log_events) share one planner
    and one state, so load them together.
    """
    client = make_client(
        base_url,
        api_token,
        auth_scheme,
        request_timeout,
        max_attempts,
        max_retry_delay,
        backoff_factor,
        request_deadline,
    )
    run_start, start, window = _resolve_times(now, start_date, lookback)
    projects = _allow_list(projects)
    policy = log_policy_mod.validate_policy(log_policy, include_logs, _where("log_policy"))
    ctx = RunContext(
        client=client,
        run_start=run_start,
        start_date=start,
        lookback=window,
        max_concurrency=_positive_int("max_concurrency", max_concurrency, 1),
        log_max_bytes=_positive_int("log_max_bytes", log_max_bytes, 0),
        include_logs=policy != log_policy_mod.NONE,
        log_policy=policy,
        log_tail_bytes=log_policy_mod.validate_tail(log_tail_bytes, _where("log_tail_bytes")),
        store_deployment_parameter_values=bool(store_deployment_parameter_values),
        projects=tuple(projects) if projects else None,
        slice_pipelines=_positive_int("slice_pipelines", slice_pipelines, 1),
    )
    planner = CiPlanner(ctx)
    snapshot_at = datetime.now(UTC)

    def r_projects() -> Iterator[Any]:
        yield from organization.projects(ctx)

    def r_schedules() -> Iterator[Any]:
        yield from organization.schedules(ctx)

    def r_retention() -> Iterator[Any]:
        yield from organization.retention_policies(ctx)

    def r_workflows() -> Iterator[Any]:
        yield from ci_activity.workflows(planner)

    def r_pipelines() -> Iterator[Any]:
        yield from ci_activity.pipelines(planner)

    def r_ci_chunks() -> Iterator[Any]:
        yield from ci_activity.chunks(planner)

    def r_promotions() -> Iterator[Any]:
        yield from ci_activity.promotions(planner)

    def r_agent_types() -> Iterator[Any]:
        yield from fleet.agent_types(ctx, snapshot_at)

    def r_agents() -> Iterator[Any]:
        yield from fleet.agents(ctx, snapshot_at)

    def r_targets() -> Iterator[Any]:
        yield from deployments.deployment_targets(ctx)

    def r_deployments() -> Iterator[Any]:
        yield from deployments.deployments(ctx)

    # blocks, jobs, job logs and test results: transformers of one hidden stream of bounded chunks
    ci_chunks = dlt.resource(r_ci_chunks, name="ci_chunks", selected=False)

    def test_jobs(chunk: ci_activity.Chunk) -> list[dict[str, Any]]:
        return test_results.chunk_jobs(chunk) if include_test_results else []

    def r_flaky() -> Iterator[Any]:
        yield from test_results.flaky_tests(ctx, organization.project_ids(ctx))

    def r_members() -> Iterator[Any]:
        yield from people.members(ctx)

    def r_roles() -> Iterator[Any]:
        yield from people.roles(ctx)

    def r_groups() -> Iterator[Any]:
        yield from people.groups(ctx)

    def r_service_accounts() -> Iterator[Any]:
        yield from people.service_accounts(ctx)

    def r_secrets() -> Iterator[Any]:
        yield from secrets_meta.secrets(ctx)

    def r_notifications() -> Iterator[Any]:
        yield from notifications_mod.notifications(ctx)

    def r_dashboards() -> Iterator[Any]:
        yield from dashboards_mod.dashboards(ctx)

    resources = [
        _resource(r_projects, "projects"),
        _resource(r_workflows, "workflows"),
        _resource(r_pipelines, "pipelines"),
        ci_chunks,
        _transformer(ci_activity.blocks, ci_chunks, "blocks"),
        _transformer(ci_activity.jobs, ci_chunks, "jobs"),
        _resource(r_promotions, "promotions"),
        *_log_resources(ctx, ci_chunks),
        _resource(r_agent_types, "agent_types"),
        _resource(r_agents, "agents"),
        _resource(r_targets, "deployment_targets"),
        _resource(r_deployments, "deployments"),
        _resource(r_retention, "artifact_retention_policies"),
        _resource(r_schedules, "schedules"),
        *test_results.test_result_resources(
            ctx,
            (ci_chunks, test_jobs),
            _positive_int("test_message_max_chars", test_message_max_chars, 0),
            _positive_int("test_report_max_bytes", test_report_max_bytes, 1),
        ),
        _resource(r_flaky, "flaky_tests"),
        _resource(r_members, "members"),
        _resource(r_roles, "roles"),
        _resource(r_groups, "groups"),
        _resource(r_service_accounts, "service_accounts"),
        _resource(r_secrets, "secrets"),
        _resource(r_notifications, "notifications"),
        _resource(r_dashboards, "dashboards"),
    ]
    # dlt starts the resources in list order, one step each in turn: the snapshot tables (PARALLEL_TABLES) go
    # first, so their listings run in dlt's pool while the CI planner holds the extract thread (with the
    # emulator's listen backlog, a run with nothing new went from 1.7-2.3 s to 0.9-1.2 s at 50 ms; BENCHMARKS.md)
    resources.sort(key=lambda resource: resource.name not in PARALLEL_TABLES)
    return _tag(resources, client, planner)


def _given_jobs_context(
    client: Any, jobs: list[dict[str, Any]] | None, max_concurrency: int, **options: Any
) -> tuple[RunContext, list[dict[str, Any]]]:
    """The run context of a source over a caller-chosen list of jobs (a Dagster day partition): no listing
    window, no cursor; `jobs` checked and copied."""
    for job in jobs or []:
        if not isinstance(job, dict) or not job.get("job_id"):
            raise ConfigError("jobs must be a list of dicts with job_id, ppl_id and finish_time")
    ctx = RunContext(
        client=client,
        run_start=datetime.now(UTC),
        start_date=datetime.now(UTC),
        lookback=timedelta(0),
        max_concurrency=_positive_int("max_concurrency", max_concurrency, 1),
        **options,
    )
    return ctx, [dict(job) for job in jobs or []]


@dlt.source(name="semaphore", section="semaphore", max_table_nesting=0)
def job_logs_source(
    jobs: list[dict[str, Any]] = dlt.config.value,
    base_url: str | None = dlt.config.value,
    api_token: TSecretStrValue | None = dlt.secrets.value,
    auth_scheme: str = settings.DEFAULT_AUTH_SCHEME,
    log_max_bytes: int = settings.DEFAULT_LOG_MAX_BYTES,
    log_policy: str = log_policy_mod.DEFAULT_LOG_POLICY,
    log_tail_bytes: int | None = None,
    max_concurrency: int = settings.DEFAULT_MAX_CONCURRENCY,
    request_timeout: float = settings.DEFAULT_REQUEST_TIMEOUT,
    max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
    max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
    backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
    request_deadline: float | None = None,
) -> Any:
    """The logs of exactly `jobs` (dicts with job_id, ppl_id, finish_time, and `result` for
    `log_policy=failed`): no incremental cursor, the caller (a Dagster day partition) chooses the jobs, the
    policy filters them. Resources `job_logs` and `job_log_events`."""
    client = make_client(
        base_url,
        api_token,
        auth_scheme,
        request_timeout,
        max_attempts,
        max_retry_delay,
        backoff_factor,
        request_deadline,
    )
    ctx, chosen = _given_jobs_context(
        client,
        jobs,
        max_concurrency,
        log_max_bytes=_positive_int("log_max_bytes", log_max_bytes, 0),
        log_policy=log_policy_mod.validate_policy(log_policy, True, _where("log_policy")),
        log_tail_bytes=log_policy_mod.validate_tail(log_tail_bytes, _where("log_tail_bytes")),
    )
    return _tag(_log_resources(ctx, chosen), client)


@dlt.source(name="semaphore", section="semaphore", max_table_nesting=0)
def test_results_source(
    jobs: list[dict[str, Any]] = dlt.config.value,
    base_url: str | None = dlt.config.value,
    api_token: TSecretStrValue | None = dlt.secrets.value,
    auth_scheme: str = settings.DEFAULT_AUTH_SCHEME,
    max_concurrency: int = settings.DEFAULT_MAX_CONCURRENCY,
    test_message_max_chars: int = test_results.DEFAULT_MESSAGE_MAX_CHARS,
    test_report_max_bytes: int = test_results.DEFAULT_REPORT_MAX_BYTES,
    request_timeout: float = settings.DEFAULT_REQUEST_TIMEOUT,
    max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
    max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
    backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
) -> Any:
    """The test reports of exactly `jobs` (dicts with job_id, ppl_id, finish_time, and for reuse resolution
    block_name, job_name, partial_rerun_of: `jobs_needing_test_results` gives them), no cursor: the caller (a
    Dagster day partition) chooses the jobs. Resources `test_reports`, `test_suites`, `test_cases`."""
    client = make_client(
        base_url, api_token, auth_scheme, request_timeout, max_attempts, max_retry_delay, backoff_factor
    )
    ctx, chosen = _given_jobs_context(client, jobs, max_concurrency, log_max_bytes=0)
    return _tag(
        test_results.test_result_resources(
            ctx,
            chosen,
            _positive_int("test_message_max_chars", test_message_max_chars, 0),
            _positive_int("test_report_max_bytes", test_report_max_bytes, 1),
        ),
        client,
    )


def _tag(resources: list[Any], client: SemaphoreClient, planner: CiPlanner | None = None) -> list[Any]:
    for resource in resources:
        resource._semaphore_client = client
        resource._semaphore_planner = planner
    return resources


def _tagged(source: DltSource, attribute: str) -> Any:
    """What `_tag` put on the source's resources (dlt's clones and `with_resources` keep it), or None."""
    for resource in source.resources.values():
        value = getattr(resource, attribute, None)
        if value is not None:
            return value
    return None


def source_planner(source: DltSource) -> CiPlanner | None:
    """The CI planner a `semaphore_source` built (slices.py drives its slices), if any."""
    return _tagged(source, "_semaphore_planner")


def source_client(source: DltSource) -> SemaphoreClient | None:
    """The client a source built (for request counts in summaries), if any."""
    return _tagged(source, "_semaphore_client")
