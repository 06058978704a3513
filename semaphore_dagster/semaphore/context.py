"""What every resource of one source run shares: the client, the run's clock and options, memoized listings.

A listing several resources need (projects, deployment targets, a target's history) is fetched once per run.
"""

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, TypeVar

from . import settings
from .client import SemaphoreClient

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class RunContext:
    client: SemaphoreClient
    run_start: datetime  # every listing's window is frozen with created_before = run start
    start_date: datetime
    lookback: timedelta
    max_concurrency: int
    log_max_bytes: int
    include_logs: bool = True
    log_policy: str = "all"  # which logs to fetch: all | failed | none (log_policy.py)
    log_tail_bytes: int | None = None  # keep the last N output bytes of each log instead of the first
    store_deployment_parameter_values: bool = False
    projects: tuple[str, ...] | None = None  # allow-list of names or ids
    slice_pipelines: int = (
        settings.DEFAULT_SLICE_PIPELINES
    )  # commit a run's newly DONE pipelines this many at a time (ci_activity.py)
    gone: list[str] = field(default_factory=list)  # ids that answered 404 after being seen before
    _memo: dict[Any, Any] = field(default_factory=dict)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock)

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """Compute `build()` once per run for `key` (thread-safe; concurrent callers wait)."""
        with self._memo_lock:
            slot = self._memo.get(key)
            if slot is None:
                slot = self._memo[key] = [threading.Lock(), None, False]
        with slot[0]:
            if not slot[2]:
                slot[1], slot[2] = build(), True
        return slot[1]

    def parallel_map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """`map(fn, items)` on a bounded thread pool (the work is latency bound), results in input order,
        at most 2 x max_concurrency in flight so big results (logs) are not all held at once."""
        items = list(items)
        if not items:
            return
        workers = max(1, min(self.max_concurrency, len(items)))
        if workers == 1:
            for item in items:
                yield fn(item)
            return
        window = workers * 2
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="semaphore")
        try:
            pending: deque = deque()
            iterator = iter(items)
            for item in islice(iterator, window):
                pending.append(pool.submit(fn, item))
            while pending:
                result = pending.popleft().result()
                for item in islice(iterator, 1):
                    pending.append(pool.submit(fn, item))
                yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
