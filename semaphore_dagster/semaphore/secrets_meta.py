"""`secrets`: organization (`/api/v1beta/secrets`) and project (`/api/v1/projects/{id}/secrets`) secrets,
metadata only.

The `data` part (env var values and file contents) is removed from each item the moment its page is parsed,
before anything else sees it: only the names of the env vars and the paths of the files are kept. That holds
whether or not the organization's `secrets_exposed_content` feature makes the server send values
(docs/api-behaviours.md, "Secrets").
"""

from collections.abc import Iterator
from typing import Any

from . import normalize
from .context import RunContext
from .optional import optional, optional_per_project
from .organization import project_ids
from .pagination import BodyCursorPaginator


def strip_values(raw: dict[str, Any]) -> dict[str, Any]:
    """The secret without its `data`: names and paths survive, values and contents do not."""
    data = raw.pop("data", None) or {}
    raw["env_var_names"] = [e.get("name") for e in data.get("env_vars") or [] if isinstance(e, dict)]
    raw["file_paths"] = [f.get("path") for f in data.get("files") or [] if isinstance(f, dict)]
    data.clear()
    return raw


def _pages(ctx: RunContext, url: str) -> Iterator[dict[str, Any]]:
    paginator = BodyCursorPaginator("page_token", "next_page_token", page_size=100)
    for page in ctx.client.paginate(url, paginator=paginator, data_selector="secrets"):
        for raw in page:
            yield strip_values(raw)


def _row(raw: dict[str, Any], scope: str, project_id: str | None) -> dict[str, Any]:
    meta = raw.get("metadata") or {}
    row = normalize.flatten({k: v for k, v in raw.items() if k not in ("metadata",)})
    row.update(
        {
            k: meta.get(k)
            for k in ("id", "name", "create_time", "update_time", "checkout_at", "content_included")
        }
    )
    row.update(scope=scope, project_id=project_id)
    return normalize.conform(normalize.TABLES["secrets"], row)


def secrets(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    base = ctx.client.base_url

    def org() -> list[dict[str, Any]]:
        return [_row(raw, "ORGANIZATION", None) for raw in _pages(ctx, f"{base}/api/v1beta/secrets")]

    yield optional("secrets", org, [])

    def one(project_id: str) -> list[dict[str, Any]]:
        rows = _pages(ctx, f"{base}/api/v1/projects/{project_id}/secrets")
        return [_row(raw, "PROJECT", project_id) for raw in rows]

    yield from optional_per_project("project_secrets", ctx, one, project_ids(ctx))
