"""The four pagination styles of Semaphore's API (spec ), as pure functions over already-ordered lists.

* A: Scrivener page numbers + `link`/`total`/`per-page`/`total-pages`/`page-number` headers
  (`scrivener_headers` 3.1.1: links in the order next, prev, first, last; the original query with `page`
  replaced, keys sorted, form-encoded; `http://` + the backend's idea of its host).
* B: projects, `page` 1..100 with `x-page`/`x-has-more`, a fixed page size.
* C: opaque cursors in the body: jobs (`page_token` -> `next_page_token`, keyset on create time and id) and
  agents (`cursor` = unix ms of the first row of the next page, filter `>=`).
* D: deployment history, µs time cursors, a port of gofer's `history_page.ex` (FIRST/BEFORE/AFTER, 10 a page,
  newest first, and the quiet turn back into FIRST).
"""

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


class PageParamError(ValueError):
    """A page parameter the endpoint refuses (the message is the API's own)."""


# --- style A --------------------------------------------------------------------------------------------------


def elixir_int(value: str) -> int | None:
    """`Integer.parse/1`: the leading integer of a string ("12abc" -> 12), None when there is none."""
    match = re.match(r"[+-]?\d+", value)
    return int(match.group()) if match else None


def lenient_int(value: str | None, default: int) -> int:
    """plumber's `non_zero_value_or_default`: no leading integer, or <= 0, falls back to the default, silently."""
    number = elixir_int(value) if value is not None else None
    return number if number is not None and number > 0 else default


def strict_int(value: str | None, default: int, field: str) -> int:
    """gofer/periodic request formatters: a non-integer -> 400 `Invalid value of '<field>' param: ...`."""
    if value is None:
        return default
    try:
        return int(value, 10)
    except ValueError:
        raise PageParamError(
            f"Invalid value of '{field}' param: {json.dumps(value)} - needs to be integer."
        ) from None


@dataclass(frozen=True)
class ScrivenerPage:
    entries: list
    page_number: int
    page_size: int
    total_entries: int
    total_pages: int


def scrivener_page(
    items: Sequence[T], page: int, page_size: int, data_page: int | None = None
) -> ScrivenerPage:
    """Slice one page. `data_page` (a fault) serves another page's rows under this page's headers."""
    page = max(page, 1)
    page_size = max(page_size, 1)
    total = len(items)
    total_pages = max(1, math.ceil(total / page_size))
    source = page if data_page is None else max(data_page, 1)
    start = (source - 1) * page_size
    return ScrivenerPage(list(items[start : start + page_size]), page, page_size, total, total_pages)


def _link(base: str, path: str, query: dict[str, str], page: int, rel: str) -> str:
    params = dict(query)
    params["page"] = str(page)
    encoded = urlencode(sorted(params.items()))
    return f'<{base}{path}?{encoded}>; rel="{rel}"'


def scrivener_headers(
    page: ScrivenerPage, base: str, path: str, query_pairs: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """`link`, `total`, `per-page`, `total-pages`, `page-number`, as `Scrivener.Headers.paginate/2` sets them.

    `query_pairs` is the request's query in order: like `URI.decode_query/1` into a map, the last value of
    a repeated key wins.
    """
    query = dict(query_pairs)
    links = [_link(base, path, query, 1, "first"), _link(base, path, query, page.total_pages, "last")]
    if 1 < page.page_number <= page.total_pages:
        links.insert(0, _link(base, path, query, page.page_number - 1, "prev"))
    if page.page_number < page.total_pages:
        links.insert(0, _link(base, path, query, page.page_number + 1, "next"))
    return [
        ("link", ", ".join(links)),
        ("total", str(page.total_entries)),
        ("per-page", str(page.page_size)),
        ("total-pages", str(page.total_pages)),
        ("page-number", str(page.page_number)),
    ]


# --- style B (projects) ---------------------------------------------------------------------------------------

PROJECTS_MAX_PAGE = 100


def projects_page_number(value: str | None) -> int:
    """projecthub's page validation; raises with its message (answered as `{"message": ...}` 400)."""
    if value is None or value == "":
        return 1
    try:
        page = int(value, 10)
    except ValueError:
        raise PageParamError("page must be a number") from None
    if page < 1:
        raise PageParamError("page must be at least 1")
    if page > PROJECTS_MAX_PAGE:
        raise PageParamError(f"page must be at most {PROJECTS_MAX_PAGE}")
    return page


def projects_page(items: Sequence[T], page: int, page_size: int) -> tuple[list[T], bool]:
    start = (page - 1) * page_size
    return list(items[start : start + page_size]), len(items) > start + page_size


# --- style C: jobs --------------------------------------------------------------------------------------------

JOBS_DEFAULT_PAGE_SIZE = 30
JOBS_MAX_PAGE_SIZE = 30


def encode_job_token(key: tuple[int, str]) -> str:
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_job_token(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        seconds, job_id = json.loads(raw)
        return int(seconds), str(job_id)
    except (binascii.Error, ValueError, TypeError):
        raise PageParamError("Invalid page token") from None


def keyset_page(
    items: Sequence[T], key: Callable[[T], tuple[int, str]], page_size: int, token: str
) -> tuple[list[T], str]:
    """Items ordered by `key` descending; the token is the key of the last row served (exclusive). The page
    is found by binary search (log n keys), so a page costs its own rows, not the whole list."""
    start = 0
    if token:
        after = decode_job_token(token)
        low, high = 0, len(items)
        while low < high:  # first index whose key is below `after` (keys descend)
            middle = (low + high) // 2
            if key(items[middle]) < after:
                high = middle
            else:
                low = middle + 1
        start = low
    rows = list(items[start : start + page_size])
    more = start + page_size < len(items)
    return rows, encode_job_token(key(rows[-1])) if rows and more else ""


# --- style C: agents ------------------------------------------------------------------------------------------

AGENTS_DEFAULT_PAGE_SIZE = 200
AGENTS_MIN_PAGE_SIZE = 5
AGENTS_MAX_PAGE_SIZE = 200


def agents_page_size(value: str | None) -> int:
    """self_hosted_hub `ListAgents`: 0 means the default 200; outside 5..200 is an InvalidArgument."""
    size = strict_int(value, AGENTS_DEFAULT_PAGE_SIZE, "page_size") or AGENTS_DEFAULT_PAGE_SIZE
    if not AGENTS_MIN_PAGE_SIZE <= size <= AGENTS_MAX_PAGE_SIZE:
        raise PageParamError(f"page size of {size} is invalid: must be greater than 0 and between 5-200")
    return size


def agents_page(
    items: Sequence[T], ms: Callable[[T], int], page_size: int, cursor: str
) -> tuple[list[T], str]:
    """Oldest first; `cursor` filters `created_at_ms >= cursor`; the next cursor is the next page's first ms."""
    if cursor:
        try:
            floor = int(cursor, 10)
        except ValueError:
            raise PageParamError(
                f"Invalid value of 'cursor' param: {json.dumps(cursor)} - needs to be integer."
            ) from None
        items = [item for item in items if ms(item) >= floor]
    fetched = list(items[: page_size + 1])
    if len(fetched) > page_size:
        return fetched[:page_size], str(ms(fetched[page_size]))
    return fetched, ""


# --- style D: deployment history ------------------------------------------------------------------------------

HISTORY_PAGE_SIZE = 10
CURSOR_TYPES = ("FIRST", "AFTER", "BEFORE")


@dataclass(frozen=True)
class HistoryPage:
    entries: list
    cursor_before: int
    cursor_after: int


def history_page(
    newest_first: Sequence[T], us: Callable[[T], int], cursor_type: str, cursor_value: int
) -> HistoryPage:
    """gofer `HistoryPage.load/2` over a target's deployments (newest first), already filtered."""
    size = HISTORY_PAGE_SIZE
    if cursor_type == "BEFORE" and sum(1 for d in newest_first if us(d) >= cursor_value) == 0:
        cursor_type = "FIRST"
    elif cursor_type == "AFTER" and sum(1 for d in newest_first if us(d) >= cursor_value) <= size + 1:
        cursor_type = "FIRST"

    def cursor(item: T | None, neighbours: list) -> int:
        return us(item) if item is not None and neighbours else 0

    if cursor_type == "FIRST":
        triggers = list(newest_first[: size + 1])
        results, prev_items = triggers[:size], triggers[size:]
        return HistoryPage(results, cursor(results[-1] if results else None, prev_items), 0)
    if cursor_type == "BEFORE":
        triggers = [d for d in newest_first if us(d) <= cursor_value][: size + 2]
        next_items, rest = triggers[:1], triggers[1:]
        results, prev_items = rest[:size], rest[size:]
        return HistoryPage(
            results,
            cursor(results[-1] if results else None, prev_items),
            cursor(results[0] if results else None, next_items),
        )
    # AFTER: ascending from the cursor.
    triggers = [d for d in reversed(newest_first) if us(d) >= cursor_value][: size + 2]
    is_last = sum(1 for d in newest_first if us(d) <= cursor_value) <= 0
    if not is_last:
        prev_items, rest = triggers[:1], triggers[1:]
        results, next_items = rest[:size], rest[size:]
        return HistoryPage(
            list(reversed(results)),
            cursor(results[0] if results else None, prev_items),
            cursor(results[-1] if results else None, next_items),
        )
    results, next_items = triggers[:size], triggers[size:]
    return HistoryPage(list(reversed(results)), 0, cursor(results[-1] if results else None, next_items))
