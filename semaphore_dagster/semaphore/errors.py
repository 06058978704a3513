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


def one_line_failure(exc: BaseException) -> str:
    """A one-line description of a failed run: our own error's message, else the innermost cause's first
    line (dlt wraps the real reason, e.g. a DuckDB lock, in several layers of step errors)."""
    ours = root_semaphore_error(exc)
    if ours is not None:
        return str(ours)
    innermost = exc
    seen: set[int] = set()
    while id(innermost) not in seen:
        seen.add(id(innermost))
        nxt = getattr(innermost, "exception", None) or innermost.__cause__ or innermost.__context__
        if not isinstance(nxt, BaseException):
            break
        innermost = nxt
    lines = [line.strip() for line in str(innermost).splitlines() if line.strip()]
    step = getattr(exc, "step", None)
    prefix = f"the {step} step failed: " if step else ""
    return prefix + (lines[0] if lines else type(innermost).__name__)
