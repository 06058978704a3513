"""The ingress auth service in front of `/api/...` (`auth/lib/auth.ex`, spec ).

* `Authorization: Token <t>` or `Authorization: Bearer <t>`; the scheme word is case-sensitive. Anything else
  (missing, other scheme, unknown token) -> 401, plain text `Unauthorized`.
* A client-sent header whose name starts with `x-semaphore` -> 404, plain text `Not Found`
  (`refuse_x_semaphore_headers.ex`), checked before the token.
"""

import threading
from collections.abc import Iterable

from semaphore_dagster.emulator import responses as r

SCHEMES = ("Token", "Bearer")


def parse_token(header: str | None) -> str | None:
    """The token of an `Authorization` value, or None when it is not exactly `Token <t>` / `Bearer <t>`."""
    if not header:
        return None
    parts = header.split(" ")
    if len(parts) != 2 or parts[0] not in SCHEMES or not parts[1]:
        return None
    return parts[1]


class TokenSet:
    """The accepted tokens; tests revoke or replace them while the server runs."""

    def __init__(self, tokens: str | Iterable[str]) -> None:
        self._lock = threading.Lock()
        self._tokens: frozenset[str] = frozenset()
        self.set(tokens)

    def set(self, tokens: str | Iterable[str]) -> None:
        with self._lock:
            self._tokens = frozenset([tokens] if isinstance(tokens, str) else tokens)

    def revoke(self) -> None:
        self.set(())

    def accepts(self, token: str | None) -> bool:
        return token is not None and token in self._tokens

    @property
    def first(self) -> str | None:
        return min(self._tokens) if self._tokens else None


def check(
    headers: Iterable[tuple[str, str]], tokens: TokenSet, require_token: bool = True
) -> r.Response | None:
    """The ingress answer for a request that must not reach a backend, or None when it may pass.

    `require_token=False` for `/api/v1/logs` (loghub2 checks its own jwt; the ingress only adds org headers),
    where the `x-semaphore*` refusal still applies (`Auth.RefuseXSemaphoreHeaders` runs for every path).
    """
    authorization = None
    for name, value in headers:
        lname = name.lower()
        if lname.startswith("x-semaphore"):
            return r.text(404, r.NOT_FOUND)
        if lname == "authorization":
            authorization = value
    if require_token and not tokens.accepts(parse_token(authorization)):
        return r.text(401, r.UNAUTHORIZED)
    return None
