"""Which job logs a run fetches (`log_policy`) and how much of each it keeps (`log_max_bytes`, `log_tail_bytes`).

* `all` (default): every finished job's log.
* `failed`: only jobs whose result is `FAILED` (the logs people open to debug); other jobs get no request and
  no `job_logs` row.
* `none`: no log request at all (`include_logs=false` is the older spelling of it).

`log_tail_bytes` keeps the END of each log instead of its beginning: the shortest run of last events whose
output passes N bytes (the event that crosses it is kept, as `log_max_bytes` keeps the one that crosses the
head cap). Set, it replaces `log_max_bytes`; the whole log is still read to find its end (the log endpoint has
no range), but only about N bytes are held at any time. Documented in docs/source.md.
"""

from collections.abc import Iterable
from typing import Any

from .errors import ConfigError

ALL, FAILED, NONE = "all", "failed", "none"
POLICIES = (ALL, FAILED, NONE)
DEFAULT_LOG_POLICY = ALL
FAILED_RESULTS = frozenset({"FAILED"})  # the Jobs API `status.result` of a job that failed


def validate_policy(value: Any, include_logs: Any = True, where: str = "") -> str:
    """The policy as one of POLICIES; `include_logs=False` means `none` whatever the policy says."""
    text = str(value if value not in (None, "") else DEFAULT_LOG_POLICY).strip().lower()
    if text not in POLICIES:
        raise ConfigError(f"log_policy must be all, failed or none, not {value!r}: set it {where}".rstrip())
    if not _truthy(include_logs):
        return NONE
    return text


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off", "")
    return bool(value)


def validate_tail(value: Any, where: str = "") -> int | None:
    """`log_tail_bytes`: unset (None, "") = off; otherwise an integer >= 1."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ConfigError(f"log_tail_bytes must be an integer number of bytes, not {value!r}: set it {where}")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"log_tail_bytes must be an integer number of bytes, not {value!r}: set it {where}"
        ) from None
    if number < 1:
        raise ConfigError(f"log_tail_bytes must be at least 1 (or unset), not {number}: set it {where}")
    return number


def wanted(policy: str, result: Any) -> bool:
    """Whether a job with this Jobs API result gets its log fetched under `policy`."""
    if policy == ALL:
        return True
    if policy == FAILED:
        return str(result or "").upper() in FAILED_RESULTS
    return False


def select(policy: str, jobs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The jobs whose logs `policy` fetches. A job dict without `result` (a caller-chosen list) is kept under
    `failed` only when its result is known to be FAILED, so nothing is fetched on a guess."""
    if policy == NONE:
        return []
    return [job for job in jobs if wanted(policy, job.get("result"))]
