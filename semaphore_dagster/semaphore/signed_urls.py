"""Downloads from an artifact signed URL: another host, no Authorization header, the URL never shown.

A signed URL (docs/api-behaviours.md, "Artifacts") is a short-lived bearer credential on the storage
provider's host: the API token must not go there, and the URL must not be stored or logged. So this uses
its own plain `requests` session (not the API client's, whose auth hook and headers belong to the API origin),
sends only a User-Agent, never follows a redirect, reads at most `max_bytes`, and words every error without
the URL. Objects are stored as uploaded: gzip bytes under a `.json` name come back without
`Content-Encoding`, so the body is un-gzipped when it starts with the gzip magic bytes `1f 8b`.
"""

import gzip
import threading
import time
import zlib

import requests

from . import settings
from .errors import ApiError

GZIP_MAGIC = b"\x1f\x8b"
_local = threading.local()


class TooLarge(ApiError):
    """The object is larger than the configured cap (nothing of it is kept)."""


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.headers.clear()
        session.headers["User-Agent"] = settings.USER_AGENT
        session.trust_env = False  # no .netrc credentials, no proxy auth from the environment
    return session


def fetch(
    url: str, *, max_bytes: int, timeout: float, attempts: int, backoff: float
) -> tuple[bytes, int, bool]:
    """(content un-gzipped when gzip, bytes as stored, was gzip), retrying resets, timeouts and 5xx; 4xx fail
    at once."""
    problem = ""
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(min(settings.DEFAULT_MAX_RETRY_DELAY, backoff * 2 ** (attempt - 1)))
        try:
            with _session().get(
                url, stream=True, timeout=(settings.CONNECT_TIMEOUT, timeout), allow_redirects=False
            ) as resp:
                if resp.status_code >= 500 or resp.status_code == 429:
                    problem = f"the artifact store answered {resp.status_code}"
                    continue
                if resp.status_code != 200:
                    raise ApiError(
                        f"the artifact store answered {resp.status_code} for a signed URL",
                        status=resp.status_code,
                    )
                data = bytearray()
                for chunk in resp.iter_content(65536):
                    data += chunk
                    if len(data) > max_bytes:
                        raise TooLarge(f"artifact larger than {max_bytes} bytes: not loaded")
        except (requests.RequestException, OSError) as exc:
            problem = f"download failed ({type(exc).__name__})"
            continue
        stored = bytes(data)
        return gunzip_if_needed(stored, max_bytes), len(stored), stored.startswith(GZIP_MAGIC)
    raise ApiError(f"artifact download failed after {attempts} attempts: {problem}")


def gunzip_if_needed(data: bytes, max_bytes: int) -> bytes:
    if not data.startswith(GZIP_MAGIC):
        return data
    out = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        raw = out.decompress(data, max_bytes + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise ApiError(f"artifact is not valid gzip ({exc})") from None
    if len(raw) > max_bytes:
        raise TooLarge(f"artifact larger than {max_bytes} bytes once decompressed: not loaded")
    return raw
