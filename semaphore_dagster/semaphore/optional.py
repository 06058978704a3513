"""Optional listings: an organization may lack a feature, or the token a permission, for metadata that is not
CI activity (people, secrets, notifications, flaky tests). Such an answer (docs/api-behaviours.md, "Gates and
permissions") skips that table for the run and is recorded in the source state under `availability`; a
refused token (401 `Unauthorized`) still fails the run, as everywhere else.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import dlt

from .errors import ApiError, AuthError

logger = logging.getLogger(__name__)
T = TypeVar("T")
GATE_WORDS = ("not enabled", "permission denied", "not authorized", "can't list", "can't describe")


def _record(name: str, available: bool, message: str | None) -> None:
    try:
        state = dlt.current.source_state().setdefault("availability", {})
    except Exception:  # outside a dlt extract (a direct call): nothing to record in
        return
    state[name] = {"available": available, "message": message, "checked_at": datetime.now(UTC).isoformat()}


def attempt(fetch: Callable[[], T], empty: T) -> tuple[T, str | None]:
    """(`fetch()`, None), or (`empty`, the server's reason) when a feature is off or a permission missing.
    Safe in worker threads (records nothing: the caller records in the extract thread)."""
    try:
        return fetch(), None
    except (AuthError, ApiError) as exc:
        text = str(exc)
        gated = any(word in text.lower() for word in GATE_WORDS) and "(Unauthorized)" not in text
        if isinstance(exc, ApiError) and exc.status not in (400, 403, 404):
            gated = False
        if not gated:
            raise
        return empty, text


def record(name: str, message: str | None) -> None:
    if message:
        logger.warning("%s unavailable for this organization or token: %s", name, message)
    _record(name, message is None, message)


def optional(name: str, fetch: Callable[[], T], empty: T) -> T:
    """`fetch()`, or `empty` when the server says the feature is off or the permission is missing."""
    result, message = attempt(fetch, empty)
    record(name, message)
    return result


def optional_per_project(
    name: str, ctx: Any, fetch: Callable[[str], list], project_ids: list[str]
) -> Iterator[list]:
    """`fetch(project_id)` for every project in parallel; a gated answer is recorded once under `name`."""
    reason = None
    for rows, message in ctx.parallel_map(lambda pid: attempt(lambda: fetch(pid), []), project_ids):
        reason = reason or message
        if rows:
            yield rows
    record(name, reason)
