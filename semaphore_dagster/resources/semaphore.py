"""The Semaphore connection as a Dagster resource, with the source settings users tune.

Every field left unset (None) is resolved the dlt way when a run or a tick starts: `SOURCES__SEMAPHORE__<KEY>`,
`.dlt/config.toml` / `.dlt/secrets.toml` under `[sources.semaphore]` (docs/source.md). So a user who already
configured dlt configures nothing twice, and the UI's resources page shows what was set here: the URL, the
auth scheme, the settings, and for the token only the name of the environment variable it comes from
(`dg.EnvVar`), never its value.
"""

from typing import Any

import dagster as dg
import dlt
from pydantic import Field

TOKEN_ENV = "SOURCES__SEMAPHORE__API_TOKEN"
URL_ENV = "SOURCES__SEMAPHORE__BASE_URL"

NOT_CONFIGURED = (
    "Semaphore is not configured: set SOURCES__SEMAPHORE__BASE_URL and SOURCES__SEMAPHORE__API_TOKEN "
    "(or base_url in .dlt/config.toml and api_token in .dlt/secrets.toml under [sources.semaphore])"
)

# Source keyword arguments a user may tune here (the rest keep the source's defaults or dlt config).
TUNABLE = (
    "auth_scheme",
    "projects",
    "start_date",
    "lookback",
    "max_concurrency",
    "log_max_bytes",
    "store_deployment_parameter_values",
    "request_timeout",
    "max_attempts",
    "max_retry_delay",
    "backoff_factor",
    "slice_pipelines",
)


class NotConfiguredError(RuntimeError):
    """The Semaphore URL or token is missing; the message says what to set."""


class SemaphoreResource(dg.ConfigurableResource):
    """The Semaphore organization to load (API v1alpha) and how to load it. Unset fields come from dlt
    config (`[sources.semaphore]`, `SOURCES__SEMAPHORE__*`)."""

    base_url: str | None = Field(
        default=None, description="https://<org>.semaphoreci.com (else SOURCES__SEMAPHORE__BASE_URL)"
    )
    api_token: str | None = Field(
        default=None,
        description="API token; a secret: bind it with dg.EnvVar('SOURCES__SEMAPHORE__API_TOKEN') "
        "(else .dlt/secrets.toml [sources.semaphore] api_token)",
    )
    auth_scheme: str | None = Field(default=None, description="Token (default) or Bearer")
    projects: list[str] | None = Field(default=None, description="project names or ids to load (default all)")
    start_date: str | None = Field(
        default=None, description="first day of history (ISO date; default 30 days ago)"
    )
    lookback: str | None = Field(default=None, description="re-check window for open pipelines, e.g. 3d")
    max_concurrency: int | None = Field(default=None, description="parallel requests (default 8)")
    log_max_bytes: int | None = Field(default=None, description="output bytes of one job log stored")
    store_deployment_parameter_values: bool | None = Field(
        default=None, description="keep deployment parameter values (default: names only)"
    )
    request_timeout: float | None = Field(default=None, description="seconds per request (default 60)")
    max_attempts: int | None = Field(default=None, description="attempts per request (default 5)")
    max_retry_delay: float | None = Field(default=None, description="cap of one back-off sleep, seconds")
    backoff_factor: float | None = Field(default=None, description="exponential back-off factor")
    slice_pipelines: int | None = Field(
        default=None,
        description="commit a big load every this many pipelines newly DONE (default 1000): a killed first "
        "load resumes after its last commit",
    )

    def resolved_url(self) -> str | None:
        value = self.base_url or dlt.config.get("sources.semaphore.base_url")
        return str(value) if value else None

    def resolved_token(self) -> str | None:
        value = self.api_token or dlt.secrets.get("sources.semaphore.api_token")
        return str(value) if value else None

    def resolved_auth_scheme(self) -> str:
        return str(self.auth_scheme or dlt.config.get("sources.semaphore.auth_scheme") or "Token")

    def require(self) -> tuple[str, str]:
        """(URL, token), or NotConfiguredError saying what to set."""
        url, token = self.resolved_url(), self.resolved_token()
        missing = [name for name, value in (("base_url", url), ("api_token", token)) if not value]
        if missing:
            raise NotConfiguredError(f"{NOT_CONFIGURED}; missing: {', '.join(missing)}")
        assert url is not None and token is not None
        return url, token

    def source_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `semaphore_source` / `job_logs_source`: the connection, plus every tuned
        field set here (unset ones are left to dlt config and the source's defaults)."""
        url, token = self.require()
        kwargs: dict[str, Any] = {"base_url": url, "api_token": token}
        for name in TUNABLE:
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs

    def api(self) -> Any:
        """A `SemaphoreAPI` client (the sensor's), built with the same settings as the loads."""
        from semaphore_dagster.semaphore import SemaphoreAPI

        url, token = self.require()
        return SemaphoreAPI(url, token, self.resolved_auth_scheme())

    @classmethod
    def from_env(cls) -> "SemaphoreResource":
        """The code location's default: the URL and auth scheme as dlt config has them now (shown in the
        UI), the token as `EnvVar` when that variable is set (the UI shows its name), else resolved from
        `.dlt/secrets.toml` when a run starts."""
        import os

        url = dlt.config.get("sources.semaphore.base_url")
        scheme = dlt.config.get("sources.semaphore.auth_scheme")
        token: Any = dg.EnvVar(TOKEN_ENV) if os.environ.get(TOKEN_ENV) else None
        return cls(
            base_url=str(url) if url else None, auth_scheme=str(scheme) if scheme else None, api_token=token
        )
