"""`dashboards`: the organization's dashboards (no permission needed; `total_size` is always 0 and ignored)."""

from collections.abc import Iterator
from typing import Any

from . import normalize
from .context import RunContext
from .optional import optional
from .pagination import BodyCursorPaginator


def dashboards(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def fetch() -> list[dict[str, Any]]:
        paginator = BodyCursorPaginator("page_token", "next_page_token", page_size=100)
        pages = ctx.client.paginate("dashboards", paginator=paginator, data_selector="dashboards")
        return [normalize.shape("dashboards", raw) for page in pages for raw in page]

    yield optional("dashboards", fetch, [])
