"""The pagination styles as pure functions (the HTTP conformance tests cover them on the wire too)."""

import pytest

from semaphore_dagster.emulator import pagination as pg


def _links(header: str) -> list[tuple[str, str]]:
    out = []
    for part in header.split(", "):
        url, rel = part.split("; ")
        out.append((rel.removeprefix('rel="').removesuffix('"'), url.strip("<>")))
    return out


@pytest.mark.parametrize(
    ("page", "total", "rels"),
    [
        (1, 5, ["next", "first", "last"]),
        (2, 5, ["next", "prev", "first", "last"]),
        (3, 5, ["prev", "first", "last"]),
        (1, 0, ["first", "last"]),
        (9, 5, ["first", "last"]),  # past the end: only first and last
    ],
)
def test_style_a_link_order_and_rels(page: int, total: int, rels: list[str]) -> None:
    items = list(range(total))
    p = pg.scrivener_page(items, page, 2)
    headers = dict(pg.scrivener_headers(p, "http://h", "/api/v1alpha/pipelines", [("project_id", "x")]))
    assert [rel for rel, _ in _links(headers["link"])] == rels
    assert headers["total"] == str(total)
    assert headers["per-page"] == "2"
    assert headers["total-pages"] == str(max(1, -(-total // 2)))
    assert headers["page-number"] == str(page)


def test_style_a_link_query_sorted_form_encoded_page_replaced_last_value_wins() -> None:
    p = pg.scrivener_page(list(range(3)), 1, 1)
    query = [("page_size", "1"), ("branch_name", "a b&c"), ("page", "1"), ("branch_name", "feat/x y")]
    link = dict(pg.scrivener_headers(p, "http://org.example", "/api/v1alpha/plumber-workflows", query))[
        "link"
    ]
    first_rel, first_url = _links(link)[0]
    assert first_rel == "next"
    assert (
        first_url
        == "http://org.example/api/v1alpha/plumber-workflows?branch_name=feat%2Fx+y&page=2&page_size=1"
    )


def test_lenient_and_strict_ints() -> None:
    assert pg.lenient_int("abc", 30) == 30
    assert pg.lenient_int("0", 30) == 30
    assert pg.lenient_int("-3", 30) == 30
    assert pg.lenient_int("7", 30) == 7
    assert pg.strict_int("7", 10, "page_size") == 7
    with pytest.raises(pg.PageParamError) as err:
        pg.strict_int("x", 10, "page_size")
    assert str(err.value) == "Invalid value of 'page_size' param: \"x\" - needs to be integer."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("1", 1),
        ("100", 100),
        ("0", "page must be at least 1"),
        ("101", "page must be at most 100"),
        ("x", "page must be a number"),
    ],
)
def test_projects_page_validation(value: str | None, expected: object) -> None:
    if isinstance(expected, int):
        assert pg.projects_page_number(value) == expected
    else:
        with pytest.raises(pg.PageParamError, match=str(expected)):
            pg.projects_page_number(value)


def test_jobs_keyset_walks_everything_once() -> None:
    items = [(100 - i // 3, f"id-{i:03d}") for i in range(70)]  # ties on seconds, broken by id desc
    items.sort(reverse=True)
    seen, token, pages = [], "", 0
    while True:
        rows, token = pg.keyset_page(items, lambda x: x, 30, token)
        seen += rows
        pages += 1
        if not token:
            break
    assert seen == items and pages == 3
    with pytest.raises(pg.PageParamError):
        pg.keyset_page(items, lambda x: x, 30, "!!not-a-token!!")


def test_agents_cursor_is_next_first_ms_and_filters_ge() -> None:
    ms = [1000, 1000, 2000, 3000, 4000, 5000, 6000]
    rows, cursor = pg.agents_page(ms, lambda x: x, 5, "")
    assert rows == ms[:5] and cursor == "5000"
    rows, cursor = pg.agents_page(ms, lambda x: x, 5, cursor)
    assert rows == [5000, 6000] and cursor == ""
    assert pg.agents_page_size("0") == 200 and pg.agents_page_size(None) == 200
    for bad in ("4", "201", "-1"):
        with pytest.raises(
            pg.PageParamError,
            match=f"page size of {bad} is invalid: must be greater than 0 and between 5-200",
        ):
            pg.agents_page_size(bad)


def test_history_walk_back_and_forth() -> None:
    newest_first = list(range(1_000_000 + 25 * 1000, 1_000_000, -1000))  # 25 items, µs
    first = pg.history_page(newest_first, lambda x: x, "FIRST", 0)
    assert first.entries == newest_first[:10]
    assert first.cursor_after == 0 and first.cursor_before == newest_first[9]
    second = pg.history_page(newest_first, lambda x: x, "BEFORE", first.cursor_before)
    assert second.entries == newest_first[10:20]
    assert second.cursor_before == newest_first[19] and second.cursor_after == newest_first[10]
    third = pg.history_page(newest_first, lambda x: x, "BEFORE", second.cursor_before)
    assert third.entries == newest_first[20:] and third.cursor_before == 0
    # Going forward from the third page lands on the second page.
    back = pg.history_page(newest_first, lambda x: x, "AFTER", third.cursor_after)
    assert back.entries == newest_first[10:20]
    # An AFTER that lands on the latest page quietly becomes FIRST.
    latest = pg.history_page(newest_first, lambda x: x, "AFTER", second.cursor_after)
    assert latest == first
    # A BEFORE past the newest item is FIRST too.
    assert pg.history_page(newest_first, lambda x: x, "BEFORE", newest_first[0] + 1) == first
