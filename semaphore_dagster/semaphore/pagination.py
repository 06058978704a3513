"""One dlt paginator per pagination style of the Semaphore API (docs/api-behaviours.md, "Pagination").

They take page numbers and cursors, never a `link` URL verbatim (Semaphore builds that URL from its backend's
own scheme and host, so it may read `http://...` or name another host). Each has a guard: a next page that
does not advance stops the walk with a warning instead of looping.
"""

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import Request, Response

from . import settings
from .client import SemaphoreClient, parse_json
from .errors import ApiError

logger = logging.getLogger(__name__)

_LINK = re.compile(r"<([^>]*)>\s*;\s*rel=\"?([a-z]+)\"?")


def next_page_from_link(link_header: str | None) -> int | None:
    """The `page` number of the `rel="next"` entry of a Scrivener `link` header."""
    for url, rel in _LINK.findall(link_header or ""):
        if rel == "next":
            values = parse_qs(urlsplit(url).query).get("page")
            if values and values[0].isdigit():
                return int(values[0])
    return None


class _GuardedPaginator(BasePaginator):
    def _stop(self, reason: str, request_path: str = "") -> None:
        logger.warning("pagination stopped: %s %s", reason, request_path)
        self._has_next_page = False


class PageLinkPaginator(_GuardedPaginator):
    """Style A (workflows, pipelines, promotions, schedules): `page` + `page_size`; the next page number is
    read from the `link` header's `rel="next"` entry (or `page-number`/`total-pages`)."""

    def __init__(self, page_size: int = settings.STYLE_A_PAGE_SIZE) -> None:
        super().__init__()
        self.page_size = page_size
        self.page = 1
        self.total: int | None = None  # the `total` header of the first page (entries in the window)

    def init_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "page": self.page, "page_size": self.page_size}

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        total = response.headers.get("total")
        if self.total is None and total and total.isdigit():
            self.total = int(total)
        next_page = next_page_from_link(response.headers.get("link"))
        if next_page is None and "link" not in response.headers:
            total = response.headers.get("total-pages")
            if total and total.isdigit() and self.page < int(total):
                next_page = self.page + 1
        if next_page is None:
            self._has_next_page = False
        elif next_page <= self.page:
            self._stop(f"next page {next_page} does not advance past {self.page}")
        else:
            self.page = next_page

    def update_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "page": self.page}


class HasMorePaginator(_GuardedPaginator):
    """Style B (projects): `page` 1..100 while `x-has-more: true`. A page may be empty (permission filter)
    while more follow, so the loop trusts the header, not the item count."""

    def __init__(self) -> None:
        super().__init__()
        self.page = 1

    def init_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "page": self.page}

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        has_more = (response.headers.get("x-has-more") or "").strip().lower() == "true"
        if not has_more:
            self._has_next_page = False
        elif self.page >= settings.PROJECTS_MAX_PAGE:
            self._stop(f"x-has-more still true at the last allowed page {self.page}")
        else:
            self.page += 1

    def update_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "page": self.page}


class BodyCursorPaginator(_GuardedPaginator):
    """Style C (jobs: `page_token` -> `next_page_token`; agents: `cursor` -> `cursor`); `""` ends."""

    def __init__(self, param: str, body_key: str, page_size: int | None = None) -> None:
        super().__init__()
        self.param, self.body_key, self.page_size = param, body_key, page_size
        self.cursor: str | None = None
        self.seen: set[str] = set()

    def init_request(self, request: Request) -> None:
        if self.page_size:
            request.params = {**(request.params or {}), "page_size": self.page_size}

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        body = parse_json(response)
        cursor = body.get(self.body_key) if isinstance(body, dict) else None
        if not cursor:
            self._has_next_page = False
        elif str(cursor) in self.seen:
            self._stop(f"cursor {self.body_key} repeats")
        else:
            self.cursor = str(cursor)
            self.seen.add(self.cursor)

    def update_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), self.param: self.cursor}


class TimeCursorPaginator(_GuardedPaginator):
    """Style D (deployment history): FIRST, then `cursor_type=BEFORE&cursor_value=<cursor_before>` (unix
    microseconds, strictly decreasing) until `cursor_before` is 0."""

    def __init__(self) -> None:
        super().__init__()
        self.cursor: int | None = None

    def init_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "cursor_type": "FIRST"}

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        body = parse_json(response)
        before = int((body or {}).get("cursor_before") or 0) if isinstance(body, dict) else 0
        if before <= 0:
            self._has_next_page = False
        elif self.cursor is not None and before >= self.cursor:
            self._stop(f"cursor_before {before} does not move back from {self.cursor}")
        else:
            self.cursor = before

    def update_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "cursor_type": "BEFORE", "cursor_value": self.cursor}


def collect_style_a(
    client: SemaphoreClient, path: str, params: dict[str, Any], key: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """All rows of a style-A listing, de-duplicated by `key`, reconciled with the `total` header.

    Offset pages over newest-first data shift when rows arrive while paging (a page repeats rows of the
    previous one and rows are skipped). The window is frozen with `created_before`, but a repeated page is
    still detected: fewer distinct rows than `total` -> the listing is read once more, and if it is still
    short the run stops (nothing partial is loaded, the next run retries)."""
    rows: dict[Any, dict[str, Any]] = {}
    total: int | None = None
    for attempt in range(2):
        paginator = PageLinkPaginator()
        rows = {}
        for page in client.paginate(path, params, paginator):
            for raw in page:
                rows.setdefault(key(raw), raw)
        total = paginator.total
        if total is None or len(rows) >= total:
            return list(rows.values())
        logger.warning(
            "GET %s: %d distinct rows for total %d (attempt %d)", path, len(rows), total, attempt + 1
        )
    raise ApiError(
        f"GET {path} returned {len(rows)} distinct rows but its total header says {total} (pages repeated or "
        "shifted): stopped so that nothing partial is loaded; the next run retries"
    )
