"""Redaction of secrets wherever a URL or a message is shown (the self-hosted log `jwt`, tokens)."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SENSITIVE_QUERY = {"jwt", "token", "access_token", "api_key", "key", "secret", "password", "signature"}
_JWT_LIKE = re.compile(r"(jwt=)[^&\s\"'>]+", re.IGNORECASE)


def redact_url(url: str) -> str:
    """Replace sensitive query values (the log `jwt` in particular) by `<redacted>`."""
    try:
        parts = urlsplit(url)
        query = [
            (k, "<redacted>" if k.lower() in SENSITIVE_QUERY else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(parts._replace(query=urlencode(query, safe="<>")))
    except ValueError:
        return redact_text(url)


def redact_text(text: str, *secrets: str) -> str:
    """Remove `jwt=...` fragments and the given secret strings from free text."""
    text = _JWT_LIKE.sub(r"\1<redacted>", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text
