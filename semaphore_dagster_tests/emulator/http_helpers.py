"""A raw HTTP client for the emulator tests: no redirects followed, every header and byte visible."""

import http.client
import json
import socket
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from semaphore_dagster_tests.conftest import TEST_TOKEN


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def header_names(self) -> list[str]:
        return [k for k, _ in self.headers]


def get(
    base_url: str,
    path: str,
    params: dict | list | None = None,
    *,
    token: str | None = TEST_TOKEN,
    scheme: str = "Token",
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    """GET `path` (with `params` form-encoded) with `Authorization: <scheme> <token>` unless token is None."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"{scheme} {token}")
        conn.request("GET", path + query, headers=sent)
        resp = conn.getresponse()
        body = resp.read()
        return Reply(resp.status, resp.getheaders(), body)
    finally:
        conn.close()


def raw_exchange(base_url: str, request: bytes, timeout: float = 5.0) -> tuple[bytes, BaseException | None]:
    """Send raw request bytes; return whatever came back before EOF, a reset or a timeout (and that error)."""
    url = urlsplit(base_url)
    data = b""
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return data, None
                data += chunk
        except (ConnectionResetError, TimeoutError, OSError) as exc:
            return data, exc


def request_bytes(path: str, token: str = TEST_TOKEN, host: str = "127.0.0.1") -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Token {token}\r\nConnection: close\r\n\r\n"
    ).encode()
