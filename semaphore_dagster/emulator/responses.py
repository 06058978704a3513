"""What a route answers (`Response`) and the error-body shapes of Semaphore's backends.

Semaphore's public API is served by several backends that each format errors their own way
(docs/api-behaviours.md). The helpers here name those shapes so a route says which
backend it imitates:

* `text`: the ingress and authorization plugs (`Unauthorized`, `Not Found`), plain, no quotes;
* `json_string`: plumber-public's `{:user|:not_found|:internal, msg}` errors, a JSON-*encoded string* (quotes);
* `message`: projecthub's `{"message": "..."}`;
* `grpc_error`: the grpc-gateway's `{"code": n, "message": "...", "details": []}` with `application/json`.

Plumber-public and projecthub send no `Content-Type` (Plug's `send_resp` without one); only the logs endpoint
and the grpc-gateway set `application/json`.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

JSON_CT = "application/json"


def dumps(obj: object) -> bytes:
    """Compact JSON as Poison and protojson write it (no spaces, UTF-8 unescaped)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class Response:
    """A response before faults are applied.

    `body` is bytes (sent with a Content-Length) or an iterator of byte chunks (sent chunked, never
    materialised: a 100 MB log streams). `page` is the style-A page this response is for (for faults that
    address a page).
    """

    status: int
    body: bytes | Iterable[bytes] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = None
    is_json: bool = False  # a JSON body sent without Content-Type (see EmulatorServer(json_content_type=...))

    @property
    def streamed(self) -> bool:
        return not isinstance(self.body, bytes | bytearray)

    def iter_body(self) -> Iterator[bytes]:
        if isinstance(self.body, bytes | bytearray):
            yield bytes(self.body)
        else:
            yield from self.body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def ok(
    obj: object, headers: list[tuple[str, str]] | None = None, content_type: str | None = None
) -> Response:
    """200 with a JSON body and, like plumber-public and projecthub, no Content-Type unless given."""
    return Response(200, dumps(obj), headers or [], content_type, is_json=True)


def text(status: int, body: str, content_type: str | None = None) -> Response:
    return Response(status, body.encode("utf-8"), [], content_type)


def json_string(status: int, msg: str) -> Response:
    """plumber-public's `respond/3` error: the message JSON-encoded as a string, quotes included."""
    return Response(status, dumps(msg), is_json=True)


def message(status: int, msg: str) -> Response:
    """projecthub's `{"message": "..."}` error body."""
    return Response(status, dumps({"message": msg}), is_json=True)


def grpc_error(status: int, code: int, msg: str) -> Response:
    """grpc-gateway v2 error body (with Content-Type: application/json)."""
    return Response(status, dumps({"code": code, "message": msg, "details": []}), [], JSON_CT)


NOT_FOUND = "Not Found"
UNAUTHORIZED = "Unauthorized"
