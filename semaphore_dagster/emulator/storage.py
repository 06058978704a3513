"""The artifact store's signed URLs, served on a second loopback port (docs/api-behaviours.md, "Artifacts").

`GET /artifacts/signed_url` answers a storage-provider pre-signed URL on another host, shaped like a GCS V2
signed URL (`GoogleAccessId`, `Expires`, `Signature`, and `response-content-type` appended). The store:

* refuses any request that carries an `Authorization` header (400: a signed URL is its own credential),
* refuses an expired URL (400 `ExpiredToken`, 20 minutes after signing by default) and a bad signature (403),
* serves the object's bytes as stored: a gzip `.json` comes back as gzip bytes with `application/json` and no
  `Content-Encoding`, so a reader must sniff the magic bytes.

Standard library only, like the rest of the emulator.
"""

import hashlib
import hmac
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

SIGNED_URL_TTL_S = 20 * 60  # artifacthub's SignedURLExpireInMinutes
BUCKET = "semaphore-artifacts"
ACCESS_ID = "artifacthub@emulator.iam.gserviceaccount.com"


def _xml_error(code: str, message: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()


class UrlSigner:
    """Signs and checks the store's URLs (HMAC over the object path and the expiry)."""

    def __init__(self, ttl_s: float = SIGNED_URL_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._key = secrets.token_bytes(32)
        self.base = ""  # http://127.0.0.1:<port>, set when the store starts

    def _signature(self, object_path: str, expires: int) -> str:
        return hmac.new(self._key, f"{object_path}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def sign(self, scope: str, scope_id: str, path: str) -> str:
        object_path = f"/{BUCKET}/artifacts/{scope}/{scope_id}/{quote(path)}"
        expires = int(time.time() + self.ttl_s)
        query = urlencode(
            {
                "GoogleAccessId": ACCESS_ID,
                "Expires": str(expires),
                "Signature": self._signature(object_path, expires),
                "response-content-type": "application/json"
                if path.endswith(".json")
                else "application/octet-stream",
            }
        )
        return f"{self.base}{object_path}?{query}"

    def check(self, object_path: str, query: dict[str, str]) -> tuple[int, bytes] | None:
        """None when the URL is valid now, else the store's (status, XML body)."""
        try:
            expires = int(query.get("Expires", ""))
        except ValueError:
            return 400, _xml_error("InvalidArgument", "Missing or malformed Expires")
        expected = self._signature(object_path, expires)
        if not hmac.compare_digest(expected, query.get("Signature", "")):
            return 403, _xml_error(
                "SignatureDoesNotMatch", "The request signature we calculated does not match"
            )
        if time.time() > expires:
            return 400, _xml_error("ExpiredToken", "The provided token has expired.")
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: "_StoreHTTPServer"

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a signed URL is a credential."""

    def version_string(self) -> str:
        return "emulated-object-store"

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        store = self.server.store
        store.count()
        url = urlsplit(self.path)
        status, body, content_type = store.answer(url.path, dict(parse_qsl(url.query)), dict(self.headers))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET


# socketserver's listen backlog is 5: a client opening more connections at once than that has its SYNs
# dropped and retried after a second (a stall no real server shows: measured as 1 s gaps without a request in
# a run with nothing new, BENCHMARKS.md). The API server (server.py) and the artifact store both use this.
LISTEN_BACKLOG = 128


class _StoreHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], store: "ArtifactStore") -> None:
        self.store = store
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up are normal here."""


class ArtifactStore:
    """The object store behind the signed URLs: `files(scope, scope_id)` gives a scope's objects."""

    def __init__(self, world: Any, signer: UrlSigner, host: str = "127.0.0.1") -> None:
        from semaphore_dagster.emulator.test_reports import scope_files

        self.world = world
        self.signer = signer
        self.host = host
        self._files = scope_files
        self._httpd: _StoreHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.requests = 0
        self.refused_with_authorization = 0

    def count(self) -> None:
        with self._lock:
            self.requests += 1

    def start(self) -> None:
        self._httpd = _StoreHTTPServer((self.host, 0), self)
        port = self._httpd.server_address[1]
        self.signer.base = f"http://{self.host}:{port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="emulator-store", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> tuple[int, bytes, str]:
        xml = "application/xml; charset=UTF-8"
        if any(k.lower() == "authorization" for k in headers):
            with self._lock:
                self.refused_with_authorization += 1
            return (
                400,
                _xml_error("InvalidArgument", "A signed URL must not carry an Authorization header"),
                xml,
            )
        problem = self.signer.check(path, query)
        if problem is not None:
            return problem[0], problem[1], xml
        parts = path.split("/", 5)  # "", bucket, "artifacts", scope, id, object path
        if len(parts) < 6 or parts[1] != BUCKET or parts[2] != "artifacts":
            return 404, _xml_error("NoSuchKey", "The specified key does not exist."), xml
        scope, scope_id, rest = parts[3], parts[4], unquote(parts[5])
        with self.world.lock:
            files = self._files(self.world, scope, scope_id) or {}
            data = files.get(rest)
        if data is None:
            return 404, _xml_error("NoSuchKey", "The specified key does not exist."), xml
        return 200, data, query.get("response-content-type") or "application/octet-stream"
