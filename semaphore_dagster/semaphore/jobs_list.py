"""The org-wide Jobs API listing (`GET /jobs?states=...`), walked newest first: the one walker that the
loader (job details without one request per job) and the sensor's `SemaphoreAPI.iter_jobs` share."""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from . import normalize, settings
from .pagination import BodyCursorPaginator
from .timestamps import to_utc


def iter_job_details(
    client: Any, states: Iterable[str], stop_before: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Normalised Jobs API rows (`normalize.job_details`), newest first, 30 a page (the server's maximum),
    stopping at the first job created before `stop_before` (the list is ordered by creation, newest first,
    so every later row is older too)."""
    paginator = BodyCursorPaginator("page_token", "next_page_token", page_size=settings.JOBS_PAGE_SIZE)
    params = {"states": [state.upper() for state in states]}
    for page in client.paginate("jobs", params, paginator, data_selector="jobs"):
        for raw in page:
            detail = normalize.job_details(raw)
            created = to_utc(detail.get("create_time"))  # unix seconds as a string; "0" -> None
            if stop_before is not None and created is not None and created < stop_before:
                return
            yield detail
