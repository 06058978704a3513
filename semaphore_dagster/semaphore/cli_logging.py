"""Where `semaphore-dagster load` writes what it says: one line per failure on stderr, the rest in a debug log.

dlt logs a warning with a full traceback for every retried load job, and a failed run's exception chain runs
to hundreds of lines: a full disk printed thousands of traceback lines before the one line that mattered.
The CLI sends dlt's logger, Python warnings, uncaught thread exceptions and its own tracebacks to a debug log
file (token and `jwt` redacted) and keeps stderr for one-line warnings of this package and the final error.
"""

import logging
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from .progress import LOGGER_NAME as PROGRESS_LOGGER
from .redaction import redact_text

DEBUG_LOG_NAME = "semaphore-load.log"
TRACE_LOGGER = "semaphore_dagster_trace"  # debug log only (outside `semaphore_dagster`, whose warnings show)


class _Redact(logging.Filter):
    """Remove the token and any `jwt=` value from every record that reaches the debug log."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = redact_text(text, *self.secrets), ()
        return True


class _OneLine(logging.Formatter):
    """`warning: <message>` on one line, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        message = " ".join(record.getMessage().split())
        return f"{record.levelname.lower()}: {message}"


class _BestEffortFileHandler(logging.FileHandler):
    """The debug log is best effort: a record that cannot be written (the disk is full, the file is over the
    size limit) is dropped, instead of logging's default of a traceback on stderr for every record (a full
    disk printed thousands of lines before the one-line error)."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        return

    def flush(self) -> None:
        try:
            super().flush()
        except OSError:
            pass

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # what was buffered cannot be written either
            pass


class DebugLog:
    """Route logging for one CLI run; `secrets` (the token) are redacted from everything written."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.secrets: list[str] = []
        self._filter = _Redact(self.secrets)
        self.handler: logging.Handler | None = None

    def start(self) -> "DebugLog":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = _BestEffortFileHandler(self.path, encoding="utf-8", delay=True)
        except OSError:  # no writable place (a full disk): keep stderr quiet anyway
            handler = logging.NullHandler()
        handler.addFilter(self._filter)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.setLevel(logging.DEBUG)
        self.handler = handler
        # dlt reuses the first handler of its logger (dlt.common.logger._create_logger): ours, not stderr.
        dlt_logger = logging.getLogger("dlt")
        for old in list(dlt_logger.handlers):
            dlt_logger.removeHandler(old)
        dlt_logger.addHandler(handler)
        dlt_logger.propagate = False
        ours = logging.getLogger("semaphore_dagster")
        ours.setLevel(logging.INFO)
        ours.propagate = False
        ours.addHandler(handler)
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.WARNING)
        console.setFormatter(_OneLine())
        console.addFilter(self._filter)
        ours.addHandler(console)
        # progress of long loads (INFO, progress.py) on stdout, beside the summary: stderr stays for failures
        progress = logging.StreamHandler(sys.stdout)
        progress.setLevel(logging.INFO)
        progress.addFilter(lambda record: record.name == PROGRESS_LOGGER)
        progress.setFormatter(logging.Formatter("%(message)s"))
        progress.addFilter(self._filter)
        ours.addHandler(progress)
        self._progress = progress
        trace = logging.getLogger(TRACE_LOGGER)
        trace.setLevel(logging.DEBUG)
        trace.propagate = False
        trace.addHandler(handler)
        logging.captureWarnings(True)
        logging.getLogger("py.warnings").addHandler(handler)
        logging.getLogger("py.warnings").propagate = False
        self._console = console
        self._previous_hook = threading.excepthook
        threading.excepthook = self._thread_exception
        return self

    def stop(self) -> None:
        """Undo `start` (the CLI may run several times in one process, e.g. in tests)."""
        ours = logging.getLogger("semaphore_dagster")
        for handler in (self.handler, getattr(self, "_console", None), getattr(self, "_progress", None)):
            if handler is None:
                continue
            for name in ("dlt", "semaphore_dagster", "py.warnings", TRACE_LOGGER):
                logging.getLogger(name).removeHandler(handler)
            handler.close()
        ours.propagate = True
        logging.captureWarnings(False)
        threading.excepthook = getattr(self, "_previous_hook", threading.excepthook)

    def _thread_exception(self, args: Any) -> None:
        logging.getLogger(TRACE_LOGGER).debug(
            "uncaught exception in thread %s",
            args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    def failure(self, exc: BaseException) -> None:
        """The whole exception chain, into the debug log only."""
        logging.getLogger(TRACE_LOGGER).error("load failed", exc_info=(type(exc), exc, exc.__traceback__))
        if self.handler is not None:
            self.handler.flush()
