"""Progress of a long load, per stage, through standard logging (logger `semaphore_dagster.semaphore.progress`).

The CLI prints these INFO lines on stderr (`info: progress ...`); the Dagster layer shows them in the run log
when `semaphore_dagster` is among Dagster's managed Python loggers. One line per stage at most every
`PROGRESS_EVERY_S` seconds (and a last one when the stage ends), with counts and the rate since the stage
began, so a 20-minute first load says where it is without flooding the log.
"""

import logging
import threading
import time

LOGGER_NAME = "semaphore_dagster.semaphore.progress"
PROGRESS_EVERY_S = 10.0

logger = logging.getLogger(LOGGER_NAME)


class Progress:
    """Counts of one stage (`unit` first, then any others), logged as they grow."""

    def __init__(self, stage: str, unit: str, total: int | None = None) -> None:
        self.stage, self.unit, self.total = stage, unit, total
        self.counts: dict[str, int] = {unit: 0}
        self._start = self._last = time.monotonic()
        self._lock = threading.Lock()

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, n in counts.items():
                self.counts[name] = self.counts.get(name, 0) + n
            now = time.monotonic()
            if now - self._last >= PROGRESS_EVERY_S:
                self._last = now
                logger.info(self.line(now))

    def done(self) -> None:
        with self._lock:
            if self.counts[self.unit] or self.total:
                logger.info(self.line(time.monotonic(), final=True))

    def line(self, now: float, final: bool = False) -> str:
        elapsed = max(now - self._start, 1e-9)
        main = self.counts[self.unit]
        of = f"/{self.total:,}" if self.total is not None else ""
        others = "".join(f", {n:,} {name}" for name, n in self.counts.items() if name != self.unit)
        verb = "done" if final else "so far"
        return (
            f"progress {self.stage}: {main:,}{of} {self.unit}{others} {verb} in {elapsed:.0f} s "
            f"({main / elapsed:,.1f} {self.unit}/s)"
        )
