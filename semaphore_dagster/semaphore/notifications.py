"""`notifications`: rules without credentials (docs/api-behaviours.md, "Notifications").

A Slack incoming-webhook URL and a webhook endpoint are bearer credentials, the webhook's `secret` names the
secret that signs payloads, and e-mail cc/bcc lists are personal data: all are dropped as each page is parsed.
"""

from collections.abc import Iterator
from typing import Any

from . import normalize
from .context import RunContext
from .optional import optional
from .pagination import BodyCursorPaginator

KEEP = {
    "slack": ("channels", "message", "status"),
    "email": ("subject", "content", "status"),
    "webhook": ("timeout", "action", "retries", "status"),
}


def sanitize_rule(rule: dict[str, Any]) -> dict[str, Any]:
    notify = rule.get("notify") or {}
    return {
        "name": rule.get("name"),
        "filter": rule.get("filter"),
        "notify": {
            kind: None if not isinstance(notify.get(kind), dict) else {k: notify[kind].get(k) for k in keys}
            for kind, keys in KEEP.items()
        },
    }


def notifications(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def fetch() -> list[dict[str, Any]]:
        paginator = BodyCursorPaginator("page_token", "next_page_token", page_size=100)
        rows = []
        for page in ctx.client.paginate("notifications", paginator=paginator, data_selector="notifications"):
            for raw in page:
                spec = raw.pop("spec", None) or {}
                meta = raw.get("metadata") or {}
                row = {k: meta.get(k) for k in ("id", "name", "creator_id", "create_time", "update_time")}
                row["rules"] = [sanitize_rule(r) for r in spec.get("rules") or [] if isinstance(r, dict)]
                rows.append(normalize.conform(normalize.TABLES["notifications"], row))
        return rows

    yield optional("notifications", fetch, [])
