"""HTTP client for the Semaphore API: dlt's `RESTClient` on dlt's retrying keep-alive sessions.

What dlt gives us: per-thread keep-alive sessions, retries of 429 (honouring `Retry-After`, capped), 5xx,
connection resets, timeouts and cut-off bodies with exponential back-off. What we add, and why:

* a retry of a **200 whose body does not parse as JSON** (a truncated document). dlt retries on status codes
  and exceptions raised by `send()`; a 200 raises nothing there, and the body is only parsed later by the
  caller, outside the retry. We pass a `retry_condition` predicate that parses the body inside the retry loop
  (and keeps the parsed value so it is not parsed twice). An HTML 200 (a proxy page) is not retried: it fails
  at once with a message about `base_url`.
* the `Authorization` header is added by an auth hook **only for the configured origin**: a `link` or a
  redirect to another host never carries the token (requests also strips it on cross-host redirects).
* a shared "not before" gate: after a 429 every worker thread waits out the `Retry-After`, so parallel
  workers do not burst into a rate limit.
* errors translated to one-line, token-free `AuthError` / `NotFoundError` / `ApiError`, URLs redacted (`jwt`).
* a **total deadline** per request (connect + every read of the body, `request_deadline`): requests' timeout
  bounds each socket read only, so a body trickling a few bytes at a time never times out. Our transport
  adapter reads the body itself and raises `ReadTimeout` (which dlt retries) once the deadline has passed.
* **no redirect of an API call is followed** (any 3xx fails the request with a one-line error); only the
  self-hosted log redirect is followed, by hand, to the configured host (`open_log`).
* **TLS errors are not retried** (https to a plain port, a bad certificate: retrying cannot help). dlt's
  default retries every `ConnectionError`, `SSLError` included; we retry with a predicate that excludes it.
"""

import codecs
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from dlt.common import logger as dlt_logger
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.client import RESTClient
from dlt.sources.helpers.rest_client.paginators import BasePaginator, SinglePagePaginator
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from . import settings
from .errors import ApiError, AuthError, ConfigError, NotFoundError
from .redaction import redact_text, redact_url
from .redirects import rebase_on_own_origin

logger = logging.getLogger(__name__)

_STASH = "_semaphore_json"


def origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def same_host(url: str, base_url: str) -> bool:
    """Same host name (scheme and port may differ): where the self-hosted log redirect may point."""
    return (urlsplit(url).hostname or "").lower() == (urlsplit(base_url).hostname or "").lower()


def _looks_like_html(content: bytes) -> bool:
    head = content[:200].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html") or head.startswith(b"<")


def _json_retry_condition(response: requests.Response | None, exception: BaseException | None) -> bool:
    """Retry a 200 whose JSON does not parse (see the module docstring); stash the parsed body. A 404 whose
    body starts as JSON but does not parse was cut off too: retried, so its reason (a stored `message`) is
    the server's whole text."""
    if response is not None and response.status_code == 404 and response._content_consumed:
        text = response.content.lstrip()[:1]
        if text in (b'"', b"{", b"["):
            try:
                json.loads(response.content)
            except ValueError:
                return True
        return False
    if response is None or response.status_code != 200:
        return False
    if not response._content_consumed:  # a streamed body: the caller parses it incrementally
        return False
    try:
        setattr(response, _STASH, json.loads(response.content))
        return False
    except ValueError:
        return not _looks_like_html(response.content)


_RETRIED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def _exception_retry_condition(response: requests.Response | None, exception: BaseException | None) -> bool:
    """dlt's default exception retry minus TLS failures (a handshake that failed fails again)."""
    if exception is None or isinstance(exception, requests.exceptions.SSLError):
        return False
    return isinstance(exception, _RETRIED)


class DeadlineReader:
    """A file-like view of a response body that raises `ReadTimeout` once `ends` (monotonic) has passed.

    It reads with `read1` (whatever the socket has, up to `size`), so the deadline is checked after every
    arrival, however slowly the body trickles: the overshoot is at most one socket read timeout.
    `repair_utf8=True` replaces invalid UTF-8 sequences by U+FFFD, and lone UTF-16 surrogate escapes
    (`\\ud800` without its pair) by `\\ufffd` (documented in docs/source.md): the JSON parser then sees valid
    text (yajl decodes a lone high surrogate together with the next escape into a wrong character, eating
    e.g. the ESC of an ANSI code). The JSON structure is ASCII, only string contents can change."""

    def __init__(self, response: requests.Response, ends: float, repair_utf8: bool = False) -> None:
        self._raw = response.raw
        self._ends = ends
        self._response_url = response.url or ""  # redacted only for a message (`_url`): not per request
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace") if repair_utf8 else None
        self.bytes_read = 0
        self._pending = ""

    @property
    def _url(self) -> str:
        return redact_url(self._response_url)

    def read(self, size: int = 65536) -> bytes:
        if size == 0:  # ijson probes the type of the stream with read(0)
            return b""
        if time.monotonic() > self._ends:
            raise requests.exceptions.ReadTimeout(
                f"{self._url}: body not complete within the request deadline"
            )
        try:
            data = self._raw.read1(size if size and size > 0 else 65536, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(str(exc)) from None
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(str(exc)) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError, OSError) as exc:
            raise requests.exceptions.ChunkedEncodingError(f"{self._url}: {type(exc).__name__}") from None
        self.bytes_read += len(data)
        if self._decoder is not None:
            text = self._pending + self._decoder.decode(data, final=not data)
            text, self._pending = (text, "") if not data else _split_tail(text)
            data = _fix_surrogate_escapes(text).encode("utf-8")
            if not data and self._pending:  # the tail alone: read on
                return self.read(size)
        return data


_HIGH_AT_END = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}$")
_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
# in every surrogate escape (a false match only costs the full scan)
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _split_tail(text: str) -> tuple[str, str]:
    """Hold back the end from the first backslash in its last 18 characters: an escape there may be cut, or
    be a high surrogate whose pair (12 characters in all) is not complete yet."""
    cut = text.find("\\", max(0, len(text) - 18))
    if cut < 0:
        return text, ""
    if _HIGH_AT_END.search(text, 0, cut):  # never part a high surrogate from the escape after it
        cut -= 6
    while cut > 0 and text[cut - 1] == "\\":  # start of the backslash run: escapes pair up from there
        cut -= 1
    return text[:cut], text[cut:]


def _fix_surrogate_escapes(text: str) -> str:
    """`\\uD8xx` not followed by `\\uDCxx`, and a `\\uDCxx` not preceded by a high one -> `\\ufffd`."""
    if not _MAYBE_SURROGATE.search(text):  # most text has no surrogate escape at all (ANSI codes are \u001b)
        return text
    out: list[str] = []
    last = 0
    tokens = list(_ESCAPE.finditer(text))
    for index, match in enumerate(tokens):
        code = match.group(1)
        if code is None:
            continue
        value = int(code, 16)
        lone = False
        if 0xD800 <= value <= 0xDBFF:
            nxt = tokens[index + 1] if index + 1 < len(tokens) else None
            paired = nxt is not None and nxt.start() == match.end() and nxt.group(1) is not None
            lone = not (paired and 0xDC00 <= int(nxt.group(1), 16) <= 0xDFFF)  # type: ignore[union-attr]
        elif 0xDC00 <= value <= 0xDFFF:
            prev = tokens[index - 1] if index else None
            paired = prev is not None and prev.end() == match.start() and prev.group(1) is not None
            lone = not (paired and 0xD800 <= int(prev.group(1), 16) <= 0xDBFF)  # type: ignore[union-attr]
        if lone:
            out.append(text[last : match.start()])
            out.append("\\ufffd")
            last = match.end()
    out.append(text[last:])
    return "".join(out)


class _DeadlineAdapter(HTTPAdapter):
    """HTTPAdapter with a total deadline per request (see the module docstring). A streamed response is
    returned unread with `_semaphore_deadline` set: its reader (`DeadlineReader`) keeps the same deadline."""

    def __init__(self, deadline: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline

    def send(
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ):  # type: ignore[override]
        ends = time.monotonic() + self.deadline
        if isinstance(timeout, tuple):
            timeout = (min(timeout[0], self.deadline), min(timeout[1], self.deadline))
        elif timeout is not None:
            timeout = min(timeout, self.deadline)
        response = super().send(request, stream=True, timeout=timeout, **kwargs)
        response._semaphore_deadline = ends  # type: ignore[attr-defined]
        if stream:
            return response
        reader = DeadlineReader(response, ends)
        chunks: list[bytes] = []
        try:
            while chunk := reader.read(65536):
                chunks.append(chunk)
        except requests.RequestException:
            response.close()
            raise
        response._content = b"".join(chunks)
        response._content_consumed = True
        return response


class _DeadlineClient(Client):
    """dlt's retrying Client whose sessions use the deadline adapter (dlt mounts a plain HTTPAdapter in
    `_make_session`; there is no parameter for the adapter, hence the override)."""

    def __init__(self, deadline: float, max_connections: int, **kwargs: Any) -> None:
        super().__init__(max_connections=max_connections, **kwargs)
        self._adapter = _DeadlineAdapter(deadline, pool_maxsize=max_connections)


class RedirectRefused(requests.RequestException):
    """A 3xx answer to an API call: never followed (it would send the request, and trust the body, elsewhere)."""


class ForeignRedirect(Exception):
    """A log redirect to another origin: not followed (nothing, not even the jwt, is sent there)."""


class _Gate:
    """After a 429, no thread sends until `not_before` (the server's Retry-After, capped)."""

    def __init__(self, max_delay: float) -> None:
        self.max_delay = max_delay
        self._not_before = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        delay = self._not_before - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def close_for(self, response: requests.Response) -> None:
        delay = retry_after_seconds(response.headers.get("Retry-After"), self.max_delay)
        if delay:
            with self._lock:
                self._not_before = max(self._not_before, time.monotonic() + delay)


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """`Retry-After` as seconds or an HTTP date, capped at `cap`; None when absent or unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(cap, seconds))


class _SemaphoreAuth(AuthBase):
    """`Authorization: <scheme> <token>` for the configured origin only; waits on the 429 gate."""

    def __init__(self, scheme: str, token: str, origin: tuple[str, str, int | None], gate: _Gate) -> None:
        self._header = f"{scheme} {token}"
        self._origin = origin
        self._gate = gate
        # A URL that starts with "<scheme>://<host>[:<port>]/" has exactly that origin (the authority ends at
        # the "/"): the common case needs no URL parsing; any other spelling is parsed and compared.
        default = {"http": 80, "https": 443}.get(origin[0])
        port = "" if origin[2] in (None, default) else f":{origin[2]}"
        self._prefix = f"{origin[0]}://{origin[1]}{port}/"

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self._gate.wait()
        url = request.url or ""
        if url.startswith(self._prefix) or origin_of(url) == self._origin:
            request.headers["Authorization"] = self._header
        else:
            request.headers.pop("Authorization", None)
        return request

    def __repr__(self) -> str:  # never show the token
        return "<SemaphoreAuth>"


class _RestClient(RESTClient):
    """RESTClient that reuses the body parsed by the retry predicate."""

    def _log_request(self, request: Any, prepared_url: str) -> None:
        # dlt formats (and sanitizes the URL of) an INFO line for every request, even with INFO off.
        if dlt_logger.isEnabledFor(logging.INFO):
            super()._log_request(request, prepared_url)

    def extract_response(self, response: requests.Response, data_selector: Any) -> list[Any]:
        body = getattr(response, _STASH, None)
        if body is None:
            body = parse_json(response)
        if data_selector in (None, "$"):
            data = body
        else:
            data = body.get(data_selector) if isinstance(body, dict) else None
        return list(data or []) if isinstance(data, list) else ([] if data is None else [data])


def parse_json(response: requests.Response) -> Any:
    """The response body as JSON, or an ApiError that says what came back instead."""
    body = getattr(response, _STASH, None)
    if body is not None:
        return body
    try:
        return json.loads(response.content)
    except ValueError:
        where = redact_url(response.url or "")
        if _looks_like_html(response.content or b""):
            raise ApiError(
                f"{where} answered HTML instead of JSON (a proxy or login page?): check base_url "
                "(SOURCES__SEMAPHORE__BASE_URL), it must be the organization URL such as "
                "https://<org>.semaphoreci.com",
                status=response.status_code,
            ) from None
        raise ApiError(
            f"{where} answered a body that is not valid JSON after retries", status=response.status_code
        ) from None


class SemaphoreClient:
    """A thread-safe client: one RESTClient (keep-alive session) per worker thread."""

    def __init__(
        self,
        base_url: str,
        api_token: str,
        auth_scheme: str = settings.DEFAULT_AUTH_SCHEME,
        *,
        request_timeout: float = settings.DEFAULT_REQUEST_TIMEOUT,
        max_attempts: int = settings.DEFAULT_MAX_ATTEMPTS,
        max_retry_delay: float = settings.DEFAULT_MAX_RETRY_DELAY,
        backoff_factor: float = settings.DEFAULT_BACKOFF_FACTOR,
        request_deadline: float | None = None,
    ) -> None:
        if auth_scheme not in settings.AUTH_SCHEMES:
            raise ConfigError(f"auth_scheme must be Token or Bearer, not {auth_scheme!r}")
        self.base_url = base_url.rstrip("/")
        self.api_url = self.base_url + settings.API_PREFIX
        self.origin = origin_of(self.base_url)
        self._token = api_token
        self.gate = _Gate(max_retry_delay)
        self.auth = _SemaphoreAuth(auth_scheme, api_token, self.origin, self.gate)
        self.max_attempts = max(1, int(max_attempts))
        self.backoff_factor = backoff_factor
        self.max_retry_delay = max_retry_delay
        self.request_deadline = float(request_deadline or settings.DEADLINE_FACTOR * float(request_timeout))
        common = {
            "request_timeout": (settings.CONNECT_TIMEOUT, float(request_timeout)),
            "raise_for_status": False,
            "request_max_attempts": self.max_attempts,
            "request_backoff_factor": backoff_factor,
            "request_max_retry_delay": max_retry_delay,
            "respect_retry_after_header": True,
            "session_attrs": {"headers": _default_headers(), **environment_once(self.base_url)},
            "exceptions": (),  # replaced by _exception_retry_condition (no retry of TLS failures)
        }
        self._api = _DeadlineClient(
            self.request_deadline,
            settings.MAX_CONNECTIONS,
            retry_condition=[_json_retry_condition, _exception_retry_condition],
            **common,
        )
        self._logs = _DeadlineClient(
            self.request_deadline,
            settings.MAX_CONNECTIONS,
            retry_condition=[_exception_retry_condition],
            **common,
        )
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self.request_count = 0
        self.requests_by_path: dict[str, int] = {}

    # --- plumbing ---------------------------------------------------------------------------------------

    def _rest(self) -> _RestClient:
        rest = getattr(self._local, "rest", None)
        if rest is None:
            rest = _RestClient(base_url=self.api_url, auth=self.auth, session=self._api.session)
            self._local.rest = rest
        return rest

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._count_lock:
            self.request_count += 1
            key = _path_kind(urlsplit(response.url or "").path)
            self.requests_by_path[key] = self.requests_by_path.get(key, 0) + 1
        if response.status_code == 429:
            self.gate.close_for(response)

    def _raise_for_status(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location") or ""
            target = redact_url(urljoin(response.url or "", location)) if location else "no Location"
            raise RedirectRefused(
                f"{response.status_code} redirect to {target} refused for {redact_url(response.url or '')}",
                response=response,
            )
        if response.status_code >= 400:
            raise requests.HTTPError(
                f"{response.status_code} for {redact_url(response.url or '')}", response=response
            )

    def _hooks(self, raise_errors: bool = True) -> dict[str, list[Any]]:
        return {"response": [self._count, self._raise_for_status] if raise_errors else [self._count]}

    def _error(self, exc: BaseException, method: str, path: str) -> Exception:
        """Translate a requests failure into our one-line, token-free error."""
        where = f"{method} {redact_url(path)}"
        if isinstance(exc, RedirectRefused):
            return ApiError(
                f"{where}: the API answered a redirect ({redact_text(str(exc), self._token)}); API calls never "
                "follow redirects: check base_url (SOURCES__SEMAPHORE__BASE_URL), it must be the organization "
                "URL itself, such as https://<org>.semaphoreci.com",
                status=exc.response.status_code if exc.response is not None else None,
            )
        if isinstance(exc, requests.exceptions.SSLError):
            return ApiError(
                f"{where}: TLS failed ({_first_line(exc)}); not retried: check the scheme and port of base_url "
                "(SOURCES__SEMAPHORE__BASE_URL): https needs a TLS server, http a plain one"
            )
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            status = exc.response.status_code
            body = redact_text(_short_body(exc.response), self._token)
            if status in (401, 403):
                return AuthError(
                    f"Semaphore answered {status} ({body or 'no reason given'}) for {where}: the API token "
                    "was refused or lacks a permission. Set a valid token in SOURCES__SEMAPHORE__API_TOKEN "
                    "(or api_token under [sources.semaphore] in .dlt/secrets.toml) and check auth_scheme "
                    "(Token or Bearer)"
                )
            if status == 404:
                return NotFoundError(f"{where} answered 404 ({body or 'Not Found'})", body=body)
            return ApiError(f"{where} answered {status} ({body}) after retries", status=status)
        if isinstance(exc, requests.RequestException):
            kind = type(exc).__name__
            return ApiError(f"{where} failed after {self.max_attempts} attempts ({kind})")
        return exc if isinstance(exc, Exception) else ApiError(str(exc))

    # --- requests ---------------------------------------------------------------------------------------

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET one JSON document (no pagination)."""
        try:
            response = self._rest().get(path, params=params, hooks=self._hooks(), allow_redirects=False)
        except (requests.RequestException, ValueError) as exc:
            raise self._error(exc, "GET", path) from None
        return parse_json(response)

    def paginate(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        paginator: BasePaginator | None = None,
        data_selector: str = "$",
    ) -> Iterator[list[Any]]:
        """Pages of items; `paginator` takes page numbers or cursors, never a `link` URL verbatim."""
        pages = self._rest().paginate(
            path,
            params=dict(params or {}),
            paginator=paginator or SinglePagePaginator(),
            data_selector=data_selector,
            hooks=self._hooks(),
            allow_redirects=False,
        )
        while True:
            try:
                page = next(pages)
            except StopIteration:
                return
            except (requests.RequestException, ValueError) as exc:
                raise self._error(exc, "GET", path) from None
            yield list(page)

    def open_log(self, job_id: str) -> tuple[requests.Response, str]:
        """GET /logs/{job_id} streamed. Follows the self-hosted redirect (`/api/v1/logs/{id}?jwt=`) by hand,
        only to the configured host (Semaphore builds it as https:// + its own host, so the scheme and port
        may differ from base_url's); another host is refused. The token goes only to our exact origin (the
        jwt authorizes the redirect), the jwt is redacted in every message. Returns (response,
        "INLINE" | "REDIRECT"); the caller checks the status and closes the response."""
        url = f"{self.api_url}/logs/{job_id}"
        source = "INLINE"
        response = self._send_log(url)
        hops = 0
        while response.is_redirect and hops < 3:
            location = response.headers.get("Location") or ""
            response.close()
            url = rebase_on_own_origin(urljoin(url, location), self.base_url)  # see redirects.py
            source = "REDIRECT"
            hops += 1
            if not same_host(url, self.base_url):
                raise ForeignRedirect(f"log redirect to another origin refused: {redact_url(url)}")
            response = self._send_log(url)
        return response, source

    def _send_log(self, url: str) -> requests.Response:
        session = self._logs.session
        try:
            response = session.get(
                url, auth=self.auth, allow_redirects=False, stream=True, hooks=self._hooks(False)
            )
        except requests.RequestException as exc:
            raise self._error(exc, "GET", url) from None
        return response


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160]


def environment_once(base_url: str) -> dict[str, Any]:
    """Session attributes that read the environment once, at start, instead of on every request.

    With `trust_env` (requests' default) every request re-reads the proxy variables and ~/.netrc
    (`merge_environment_settings`: about 0.14 ms of CPU per request, measured, of ~1 ms in all). We resolve
    the same things once for our origin, the only host the API session talks to (redirects to other
    hosts are refused, the self-hosted log redirect is rebased on our origin): the proxies the environment
    gives for it (`HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`, with `NO_PROXY` applied) and a CA bundle from
    `REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE`. A ~/.netrc entry is no longer read: it would replace our
    Authorization header with Basic auth for this host, never what the token is for."""
    attrs: dict[str, Any] = {"trust_env": False, "proxies": requests.utils.get_environ_proxies(base_url)}
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        attrs["verify"] = bundle
    return attrs


def _default_headers() -> dict[str, str]:
    return {"User-Agent": settings.USER_AGENT, "Accept": "application/json"}


def _short_body(response: requests.Response, limit: int = 200) -> str:
    try:
        text = response.text or ""
    except Exception:  # a broken body: the status says enough
        return ""
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        try:
            text = json.loads(text)
        except ValueError:
            pass
    elif text.startswith("{"):
        try:
            text = json.loads(text).get("message") or text
        except (ValueError, AttributeError):
            pass
    text = " ".join(str(text).split())
    return text[:limit]


def _path_kind(path: str) -> str:
    """`/api/v1alpha/pipelines/<uuid>` -> `pipelines/{id}` (request accounting for the CLI summary)."""
    parts = (
        [p for p in path.split("/") if p][2:] if path.startswith("/api/") else [p for p in path.split("/")]
    )
    return "/".join("{id}" if len(p) >= 20 or p.isdigit() else p for p in parts) or "/"
