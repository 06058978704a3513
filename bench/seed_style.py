"""The *seed-style* loader: the Semaphore API loaded with a plain dlt `rest_api` configuration.

It is written the way dlt's docs suggest for a new REST API, and is the baseline the benchmark compares our
source against: one resource per endpoint, parent/child resolution (`resolve`), one request per child,
default settings (no `parallelized`, default page sizes, default loader file format). It loads the same
entities as our source: projects, workflows, pipelines, pipeline describe (blocks and their jobs), jobs and
job describe, job logs, promotions, agent types, agents, deployment targets and their history, retention
policies and schedules. What it adds beyond the docs' examples is only what the API forces: ignoring the
4xx the API answers for "no promotions" / "no log", page numbers instead of the `link` header (below), and a
paginator for the deployment history's `cursor_type=BEFORE&cursor_value=<µs>` walk (dlt's cursor paginator
sets only one query parameter).
"""

from typing import Any

import dlt
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from dlt.sources.rest_api import rest_api_source
from requests import Request


class HistoryPaginator(JSONResponseCursorPaginator):
    """Walks `GET /deployment_targets/{id}/history` back in time: FIRST, then BEFORE `cursor_before` until 0."""

    def __init__(self) -> None:
        super().__init__(cursor_path="cursor_before", cursor_param="cursor_value")

    def update_request(self, request: Request) -> None:
        super().update_request(request)
        request.params["cursor_type"] = "BEFORE"


def _child(name: str, path: str, parent: str, field: str, **endpoint: Any) -> dict[str, Any]:
    """A resource with one request per row of `parent`, `{placeholder}` bound from the parent's `field`."""
    return {"name": name, "endpoint": {"path": path.format(f"{{resources.{parent}.{field}}}"), **endpoint}}


def seed_style_config(base_url: str, api_token: str) -> dict[str, Any]:
    """The `rest_api` configuration (a dict, as in dlt's docs)."""
    # Semaphore's `link` header names the backend's own host (no port, `http://`), so dlt's `header_link`
    # paginator, which follows it verbatim, leaves the server; the docs' page-number paginator works, at the
    # price of one empty page at the end of every listing.
    page_numbers = {"type": "page_number", "base_page": 1, "page_param": "page", "total_path": None}
    single = {"type": "single_page"}
    return {
        "client": {
            "base_url": base_url.rstrip("/") + "/api/v1alpha/",
            "auth": {"type": "bearer", "token": api_token},
        },
        "resources": [
            {
                "name": "projects",
                "endpoint": {
                    "path": "projects",
                    "paginator": {"type": "page_number", "base_page": 1, "total_path": None},
                },
            },
            {
                "name": "workflows",
                "endpoint": {
                    "path": "plumber-workflows",
                    "params": {"project_id": "{resources.projects.metadata.id}"},
                    "paginator": page_numbers,
                },
            },
            {
                "name": "pipelines",
                "endpoint": {
                    "path": "pipelines",
                    "params": {"project_id": "{resources.projects.metadata.id}"},
                    "paginator": page_numbers,
                },
            },
            _child(
                "pipeline_details",
                "pipelines/{}",
                "pipelines",
                "ppl_id",
                params={"detailed": "true"},
                data_selector="$",
                paginator=single,
            ),
            {
                "name": "promotions",
                "endpoint": {
                    "path": "promotions",
                    "params": {"pipeline_id": "{resources.pipelines.ppl_id}"},
                    "paginator": page_numbers,
                    "response_actions": [
                        {"status_code": 400, "action": "ignore"},
                        {"status_code": 404, "action": "ignore"},
                    ],
                },
            },
            {
                "name": "jobs",
                "endpoint": {
                    "path": "jobs",
                    "params": {"states": "FINISHED"},
                    "data_selector": "jobs",
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "next_page_token",
                        "cursor_param": "page_token",
                    },
                },
            },
            _child("job_details", "jobs/{}", "jobs", "metadata.id", data_selector="$", paginator=single),
            _child(
                "job_logs",
                "logs/{}",
                "jobs",
                "metadata.id",
                data_selector="events",
                paginator=single,
                response_actions=[{"status_code": 404, "action": "ignore"}],
            ),
            {
                "name": "agent_types",
                "endpoint": {
                    "path": "self_hosted_agent_types",
                    "data_selector": "agent_types",
                    "paginator": single,
                },
            },
            {
                "name": "agents",
                "endpoint": {
                    "path": "agents",
                    "data_selector": "agents",
                    "paginator": {"type": "cursor", "cursor_path": "cursor", "cursor_param": "cursor"},
                },
            },
            {
                "name": "deployment_targets",
                "endpoint": {
                    "path": "deployment_targets",
                    "params": {"project_id": "{resources.projects.metadata.id}"},
                    "data_selector": "$",
                    "paginator": single,
                },
            },
            _child(
                "deployments",
                "deployment_targets/{}/history",
                "deployment_targets",
                "id",
                data_selector="deployments",
                paginator=HistoryPaginator(),
            ),
            _child(
                "artifact_retention_policies",
                "artifacts_retention_policies/{}",
                "projects",
                "metadata.id",
                data_selector="$",
                paginator=single,
            ),
            {
                "name": "schedules",
                "endpoint": {
                    "path": "schedules",
                    "params": {"project_id": "{resources.projects.metadata.id}"},
                    "paginator": page_numbers,
                },
            },
        ],
    }


def seed_style_source(base_url: str, api_token: str) -> Any:
    """The `rest_api` source built from `seed_style_config`."""
    return rest_api_source(seed_style_config(base_url, api_token), name="seed_style")


def seed_style_pipeline(pipelines_dir: str) -> dlt.Pipeline:
    """A default dlt pipeline into DuckDB (the path comes from `DESTINATION__DUCKDB__CREDENTIALS`)."""
    return dlt.pipeline(
        pipeline_name="seed_style",
        destination="duckdb",
        dataset_name="seed_style",
        pipelines_dir=pipelines_dir,
    )
