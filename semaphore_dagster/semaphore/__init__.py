"""A dlt source for Semaphore CI/CD (public API v1alpha): the whole organization, incrementally.

Usable without an orchestrator:

    from semaphore_dagster.semaphore import semaphore_source, make_pipeline, run_load
    info = run_load(make_pipeline(), semaphore_source(base_url="https://acme.semaphoreci.com", api_token=...))
"""

from .api import SemaphoreAPI, jobs_needing_logs
from .errors import ApiError, AuthError, ConfigError, NotFoundError, SemaphoreError
from .pipeline import load_all, make_pipeline, run_load
from .source import job_logs_source, semaphore_source, test_results_source
from .test_results import jobs_needing_test_results

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "NotFoundError",
    "SemaphoreAPI",
    "SemaphoreError",
    "job_logs_source",
    "jobs_needing_logs",
    "jobs_needing_test_results",
    "load_all",
    "make_pipeline",
    "run_load",
    "semaphore_source",
    "test_results_source",
]
