"""Self-hosted agent types and agents: snapshots (agents come and go; types change their counts)."""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from . import normalize, settings
from .context import RunContext
from .pagination import BodyCursorPaginator


def agent_types(ctx: RunContext, snapshot_at: datetime) -> Iterator[list[dict[str, Any]]]:
    body = ctx.client.get_json("self_hosted_agent_types") or {}
    yield [normalize.agent_type(raw, snapshot_at) for raw in body.get("agent_types") or []]


def agents(ctx: RunContext, snapshot_at: datetime) -> Iterator[list[dict[str, Any]]]:
    paginator = BodyCursorPaginator("cursor", "cursor", page_size=settings.AGENTS_PAGE_SIZE)
    seen: set[str] = set()
    for page in ctx.client.paginate("agents", paginator=paginator, data_selector="agents"):
        rows = []
        for raw in page:
            row = normalize.agent(raw, snapshot_at)
            if row["name"] not in seen:  # the `>=` cursor may repeat the boundary agent
                seen.add(row["name"])
                rows.append(row)
        yield rows
