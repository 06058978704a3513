"""One-line, token-free errors of the Semaphore source.

Every message says what went wrong and what to change; none holds the API token or a log `jwt`.
"""


class SemaphoreError(Exception):
    """Base of the source's errors: the message is one line, safe to show and to log."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class ConfigError(SemaphoreError):
    """Bad or missing configuration, detected before any request."""


class AuthError(SemaphoreError):
    """401/403: the token is wrong, revoked, lacks a permission, or the scheme word is not accepted."""


class NotFoundError(SemaphoreError):
    """404 for an id (it may have been deleted by retention)."""

    def __init__(self, message: str, body: str = "") -> None:
        super().__init__(message)
        self.body = body


class ApiError(SemaphoreError):
    """The API failed for good after retries (5xx, resets, timeouts, bodies that are not JSON)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def root_semaphore_error(exc: BaseException) -> SemaphoreError | None:
    """Find our error under dlt's wrappers (PipelineStepFailed -> ResourceExtractionError -> ...)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, SemaphoreError):
            return cur
        stack.extend([cur.__cause__, cur.__context__, getattr(cur, "exception", None)])
    return None


def _innermost(exc: BaseException) -> BaseException:
    innermost = exc
    seen: set[int] = set()
    while id(innermost) not in seen:
        seen.add(id(innermost))
        nxt = getattr(innermost, "exception", None) or innermost.__cause__ or innermost.__context__
        if not isinstance(nxt, BaseException):
            break
        innermost = nxt
    return innermost


def first_sentences(text: str, limit: int = 300) -> str:
    """The first paragraph of a multi-line message on one line, cut at a sentence end within `limit`
    (never mid-sentence when a sentence ends in time; else at a word, with an ellipsis)."""
    paragraph = text.strip().split("\n\n")[0]
    flat = " ".join(paragraph.split())
    if len(flat) <= limit:
        return flat
    cut = max(flat.rfind(". ", 0, limit), flat.rfind(": ", 0, limit))
    if cut > 40:
        return flat[: cut + 1]
    return flat[:limit].rsplit(" ", 1)[0] + " ..."


def one_line_failure(exc: BaseException) -> str:
    """A one-line description of a failed run: our own error's message, else the innermost cause's first
    paragraph (dlt wraps the real reason, e.g. a DuckDB lock, in several layers of step errors)."""
    ours = root_semaphore_error(exc)
    if ours is not None:
        return str(ours)
    innermost = _innermost(exc)
    text = first_sentences(str(innermost)) or type(innermost).__name__
    step = getattr(exc, "step", None)
    prefix = f"the {step} step failed: " if step else ""
    return prefix + text


_DISK_FULL = ("no space left", "file too large", "disk full", "disk quota")


def failure_hint(exc: BaseException) -> str | None:
    """At most one hint line for a failure the message alone does not resolve (None when it does)."""
    if isinstance(root_semaphore_error(exc), ConfigError | AuthError):
        return None
    text = str(_innermost(exc)).lower()
    if any(marker in text for marker in _DISK_FULL):
        return (
            "free disk space for the destination and the dlt working directory, then run semaphore-dagster "
            "load again: it finishes the pending load first"
        )
    if "lock" in text:
        return "another process holds the DuckDB file: wait for it or close it, then run again"
    if getattr(exc, "step", None) in ("normalize", "load"):
        return "run semaphore-dagster load again: it finishes the pending load first, nothing is lost"
    return "nothing of this run is visible; run semaphore-dagster load again once the cause is fixed"
