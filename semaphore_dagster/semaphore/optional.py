"""Optional listings: an organization may lack a feature, or the token a permission, for metadata that is not
CI activity (people, secrets, notifications, flaky tests). Such an answer (docs/api-behaviours.md, "Gates and
permissions") skips that table for the run and is recorded in the source state under `availability`; a
refused token (401 `Unauthorized`) still fails the run, as everywhere else.
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

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


def optional(name: str, fetch: Callable[[], T], empty: T) -> T:
    """`fetch()`, or `empty` when the server says the feature is off or the permission is missing."""
    try:
        result = fetch()
    except (AuthError, ApiError) as exc:
        text = str(exc)
        gated = any(word in text.lower() for word in GATE_WORDS) and "(Unauthorized)" not in text
        if isinstance(exc, ApiError) and exc.status not in (400, 403, 404):
            gated = False
        if not gated:
            raise
        logger.warning("%s unavailable for this organization or token: %s", name, text)
        _record(name, False, text)
        return empty
    _record(name, True, None)
    return result
