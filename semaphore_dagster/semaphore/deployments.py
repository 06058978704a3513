"""Deployment targets (full refresh) and deployment history (style D, walked until known deployments).

History is newest first, 10 a page. Each run re-reads the first page (a PENDING deployment turns STARTED or
FAILED), then walks BEFORE cursors only while the page still holds deployments newer than the newest one
already loaded or older PENDING ones. The walk is shared in a run (`HistoryWalker`) with the promotions
resource, which uses new deployments to re-list the promotions of the pipeline they came from.
"""

import logging
import threading
from collections.abc import Iterator
from typing import Any

import dlt

from . import normalize
from .context import RunContext
from .errors import AuthError, NotFoundError
from .organization import project_ids
from .pagination import TimeCursorPaginator
from .timestamps import to_unix_micros, to_utc

logger = logging.getLogger(__name__)


def list_targets(ctx: RunContext) -> list[dict[str, Any]]:
    """Raw deployment targets of every project, once per run. An org without the feature (403) has none."""

    def one(project_id: str) -> list[dict[str, Any]]:
        try:
            return list(ctx.client.get_json("deployment_targets", {"project_id": project_id}) or [])
        except AuthError as exc:
            if "not enabled" in str(exc):
                logger.warning("deployment targets are not enabled for this organization")
                return []
            raise

    def fetch() -> list[dict[str, Any]]:
        return [t for targets in ctx.parallel_map(one, project_ids(ctx)) for t in targets]

    return ctx.memo("deployment_targets", fetch)


def triggered_us(raw: dict[str, Any]) -> int:
    ts = to_utc(raw.get("triggered_at"))
    return to_unix_micros(ts) if ts else 0


class HistoryWalker:
    """Lazily pages one target's history, newest first; consumers iterate and stop where they like."""

    def __init__(self, ctx: RunContext, target_id: str) -> None:
        self._pages = ctx.client.paginate(
            f"deployment_targets/{target_id}/history",
            paginator=TimeCursorPaginator(),
            data_selector="deployments",
        )
        self._items: list[dict[str, Any]] = []
        self._done = False
        self._lock = threading.Lock()
        self.target_id = target_id

    def __iter__(self) -> Iterator[dict[str, Any]]:
        index = 0
        while True:
            with self._lock:
                while index >= len(self._items) and not self._done:
                    try:
                        self._items.extend(next(self._pages))
                    except StopIteration:
                        self._done = True
                    except NotFoundError:
                        logger.warning("deployment target %s answered 404; skipped", self.target_id)
                        self._done = True
                if index >= len(self._items):
                    return
                item = self._items[index]
            index += 1
            yield item


def walker(ctx: RunContext, target_id: str) -> HistoryWalker:
    return ctx.memo(("history", target_id), lambda: HistoryWalker(ctx, target_id))


def deployment_targets(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    yield [normalize.deployment_target(raw) for raw in list_targets(ctx)]


def deployments(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    state = dlt.current.source_state().setdefault("deployments", {})
    start_us = to_unix_micros(ctx.start_date)
    target_ids = [t["id"] for t in list_targets(ctx)]

    def one(target_id: str) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
        known = state.get(target_id) or {}
        newest = known.get("newest_us")
        pending: dict[str, int] = dict(known.get("pending") or {})
        stop_us = min([newest, *pending.values()]) if newest is not None else start_us
        rows, seen_newest = [], newest if newest is not None else start_us
        for raw in walker(ctx, target_id):
            us = triggered_us(raw)
            if us < stop_us:
                break
            seen_newest = max(seen_newest, us)
            is_new = newest is None or us > newest
            if is_new or raw.get("id") in pending:
                rows.append(normalize.deployment(raw, ctx.store_deployment_parameter_values))
                pending.pop(raw.get("id"), None)
                if str(raw.get("state", "")).upper() == "PENDING":
                    pending[raw["id"]] = us
        return target_id, rows, {"newest_us": seen_newest, "pending": pending}

    for target_id, rows, new_state in ctx.parallel_map(one, target_ids):
        state[target_id] = new_state
        yield rows
