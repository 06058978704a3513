"""Organization-level resources: projects (style B), schedules (style A), artifact retention policies.

All three are small and mutable without timestamps: a full refresh every run, merged on their keys.
"""

import logging
from collections.abc import Iterator
from typing import Any

from . import normalize
from .context import RunContext
from .errors import ConfigError, NotFoundError
from .pagination import HasMorePaginator, collect_style_a

logger = logging.getLogger(__name__)


def list_projects(ctx: RunContext) -> list[dict[str, Any]]:
    """Every project the token can see (filtered by the `projects` allow-list), fetched once per run."""

    def fetch() -> list[dict[str, Any]]:
        raw = [p for page in ctx.client.paginate("projects", paginator=HasMorePaginator()) for p in page]
        if not ctx.projects:
            return raw
        wanted = set(ctx.projects)
        chosen = [p for p in raw if {(p.get("metadata") or {}).get(k) for k in ("id", "name")} & wanted]
        found = {(p.get("metadata") or {}).get(k) for p in chosen for k in ("id", "name")}
        missing = sorted(wanted - found)
        if not chosen:
            known = sorted(str((p.get("metadata") or {}).get("name")) for p in raw)
            shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
            raise ConfigError(
                f"projects allow-list {', '.join(sorted(wanted))} names no project this token can see "
                f"(there are {len(known)}: {shown or 'none'}): fix --projects or projects under "
                "[sources.semaphore] in .dlt/config.toml (SOURCES__SEMAPHORE__PROJECTS)"
            )
        if missing:
            logger.warning("projects allow-list names unknown projects: %s", ", ".join(missing))
        return chosen

    return ctx.memo("projects", fetch)


def project_ids(ctx: RunContext) -> list[str]:
    return [p["metadata"]["id"] for p in list_projects(ctx)]


def projects(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    yield [normalize.project(p) for p in list_projects(ctx)]


def schedules(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def one(project_id: str) -> list[dict[str, Any]]:
        rows = collect_style_a(ctx.client, "schedules", {"project_id": project_id}, lambda raw: raw.get("id"))
        return [normalize.schedule(raw) for raw in rows]

    yield from ctx.parallel_map(one, project_ids(ctx))


def retention_policies(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def one(project_id: str) -> list[dict[str, Any]]:
        try:
            raw = ctx.client.get_json(f"artifacts_retention_policies/{project_id}")
        except NotFoundError:
            logger.warning("retention policy of project %s answered 404; skipped", project_id)
            return []
        return [normalize.retention_policy(raw or {}, project_id)]

    yield from ctx.parallel_map(one, project_ids(ctx))
