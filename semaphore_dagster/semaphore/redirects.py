"""The self-hosted log redirect, followed against our own origin (docs/api-behaviours.md, "Job logs").

Semaphore answers a self-hosted job's log with a 302 to `https://<its own host>/api/v1/logs/<id>?jwt=...`:
its backend builds the URL from the host name alone (TLS ends at its ingress), so the scheme and port are
not the ones the client used. When the Location names our configured host, the loader follows it on the
configured origin (its scheme and port); any other host is refused by the caller (nothing, not even the
jwt, is sent there).
"""

from urllib.parse import urlsplit, urlunsplit


def rebase_on_own_origin(url: str, base_url: str) -> str:
    """`url` on the origin of `base_url` when it names our host without a port (Semaphore's shape), else
    `url` unchanged: a Location with another host, or with an explicit port of its own, is another origin."""
    target, base = urlsplit(url), urlsplit(base_url)
    if (target.hostname or "").lower() != (base.hostname or "").lower():
        return url
    try:
        port = target.port
    except ValueError:
        return url
    if port is not None and (target.scheme, port) != (
        base.scheme,
        base.port or _DEFAULT_PORTS.get(base.scheme),
    ):
        return url
    return urlunsplit(target._replace(scheme=base.scheme, netloc=base.netloc))


_DEFAULT_PORTS = {"http": 80, "https": 443}
