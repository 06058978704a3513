"""People and access: `members` (organization and project), `roles`, `groups`, `service_accounts`.

Personal data is kept to what the API gives: display names and subject ids (no e-mail is exposed). Paging
(docs/api-behaviours.md, "People and access"): members and groups by 0-based `page_no` with `total_pages`;
project members have no `total_pages`, so they page until a short page; service accounts by
`page_token`. All full refresh: small and without change times.
"""

from collections.abc import Iterator
from typing import Any

from . import normalize
from .context import RunContext
from .enums import upper
from .optional import optional, optional_per_project
from .organization import list_projects, project_ids
from .pagination import BodyCursorPaginator

PAGE_SIZE = 500
MAX_PAGES = 1000
ROLE_SCOPES = {0: "UNSPECIFIED", 1: "ORG", 2: "PROJECT"}


def _page_no(ctx: RunContext, path: str, params: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """All rows of a `page_no` listing: until `total_pages`, or a short page when there is none."""
    rows: list[dict[str, Any]] = []
    previous: list[Any] = []
    for page_no in range(MAX_PAGES):
        body = ctx.client.get_json(path, {**params, "page_no": page_no, "page_size": PAGE_SIZE}) or {}
        items = list(body.get(key) or [])
        ids = [item.get("id") for item in items if isinstance(item, dict)]
        if ids and ids == previous:  # a server that ignores page_no: stop instead of looping
            break
        previous = ids
        rows += items
        total = body.get("total_pages")
        if (isinstance(total, int) and page_no + 1 >= total) or (total is None and len(items) < PAGE_SIZE):
            break
    return rows


def organization_id(ctx: RunContext) -> str:
    ids = [(p.get("metadata") or {}).get("org_id") for p in list_projects(ctx)]
    return next((i for i in ids if i), "organization")


def _member(raw: dict[str, Any], scope: str, scope_id: str, project_id: str | None) -> dict[str, Any]:
    row = {
        "scope": scope,
        "scope_id": scope_id,
        "project_id": project_id,
        "id": raw.get("id"),
        "subject_type": raw.get("subject_type"),
        "name": raw.get("name"),
        "roles": list(raw.get("roles") or []),
    }
    return normalize.conform(normalize.TABLES["members"], row)


def members(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def org() -> list[dict[str, Any]]:
        org_id = organization_id(ctx)
        return [
            _member(raw, "ORGANIZATION", org_id, None)
            for kind in ("user", "group", "service_account")
            for raw in _page_no(ctx, "members", {"member_type": kind}, "members")
        ]

    yield optional("members", org, [])

    def one(project_id: str) -> list[dict[str, Any]]:
        rows = _page_no(ctx, f"projects/{project_id}/members", {}, "members")
        return [_member(raw, "PROJECT", project_id, project_id) for raw in rows]

    yield from optional_per_project("project_members", ctx, one, project_ids(ctx))


def roles(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def fetch() -> list[dict[str, Any]]:
        out = []
        for raw in ctx.client.get_json("roles") or []:
            scope = raw.get("scope")
            row = {k: raw.get(k) for k in ("id", "name", "org_id", "description", "readonly")}
            row["scope"] = ROLE_SCOPES.get(scope, str(scope)) if isinstance(scope, int) else upper(scope)
            row["scope"] = {"SCOPE_ORG": "ORG", "SCOPE_PROJECT": "PROJECT"}.get(row["scope"], row["scope"])
            row["permissions"] = list(raw.get("permissions") or [])
            out.append(normalize.conform(normalize.TABLES["roles"], row))
        return out

    yield optional("roles", fetch, [])


def groups(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def fetch() -> list[dict[str, Any]]:
        return [normalize.shape("groups", raw) for raw in _page_no(ctx, "groups", {}, "groups")]

    yield optional("groups", fetch, [])


def service_accounts(ctx: RunContext) -> Iterator[list[dict[str, Any]]]:
    def fetch() -> list[dict[str, Any]]:
        paginator = BodyCursorPaginator("page_token", "next_page_token", page_size=100)
        pages = ctx.client.paginate("service_accounts", paginator=paginator, data_selector="service_accounts")
        return [normalize.shape("service_accounts", raw) for page in pages for raw in page]

    yield optional("service_accounts", fetch, [])
