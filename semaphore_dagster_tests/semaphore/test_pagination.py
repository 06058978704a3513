"""Paginator guards (fed real `requests.Response` objects) and style B over several project pages."""

import json
from pathlib import Path

import pytest
from requests import Request, Response

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster.semaphore.pagination import (
    BodyCursorPaginator,
    HasMorePaginator,
    PageLinkPaginator,
    TimeCursorPaginator,
)
from semaphore_dagster_tests.conftest import TEST_TOKEN

from .conftest import assert_equals_ground_truth, load


def _response(headers: dict[str, str] | None = None, body: object = None) -> Response:
    response = Response()
    response.status_code = 200
    response.headers.update(headers or {})
    response._content = json.dumps(body if body is not None else []).encode()
    response.url = "http://127.0.0.1/api/v1alpha/x"
    return response


def _link(page: int) -> str:
    return f'<http://elsewhere.example/api/v1alpha/x?page={page}>; rel="next"'


def test_page_link_follows_the_page_number_not_the_host() -> None:
    paginator, request = PageLinkPaginator(), Request("GET", "http://127.0.0.1/api/v1alpha/x")
    paginator.init_request(request)
    assert request.params == {"page": 1, "page_size": 100}
    paginator.update_state(_response({"link": _link(2), "total": "150"}))
    paginator.update_request(request)
    assert (
        paginator.has_next_page and request.params["page"] == 2 and request.url.startswith("http://127.0.0.1")
    )
    assert paginator.total == 150


def test_page_link_that_does_not_advance_stops() -> None:
    paginator = PageLinkPaginator()
    paginator.update_state(_response({"link": _link(2)}))
    paginator.update_state(_response({"link": _link(2)}))  # page 2 says next is page 2 again
    assert not paginator.has_next_page


def test_empty_page_with_a_next_link_continues() -> None:
    paginator = PageLinkPaginator()
    paginator.update_state(_response({"link": _link(2)}, []), [])
    assert paginator.has_next_page and paginator.page == 2


def test_has_more_trusts_the_header_not_the_count() -> None:
    paginator = HasMorePaginator()
    paginator.update_state(_response({"x-has-more": "true"}, []), [])  # permission-filtered empty page
    assert paginator.has_next_page and paginator.page == 2
    paginator.update_state(_response({"x-has-more": "false"}, [{"id": 1}]))
    assert not paginator.has_next_page


def test_has_more_stops_at_the_last_allowed_page() -> None:
    paginator = HasMorePaginator()
    paginator.page = 100
    paginator.update_state(_response({"x-has-more": "true"}))
    assert not paginator.has_next_page


@pytest.mark.parametrize(("param", "key"), [("page_token", "next_page_token"), ("cursor", "cursor")])
def test_body_cursor_repeating_stops(param: str, key: str) -> None:
    paginator = BodyCursorPaginator(param, key)
    paginator.update_state(_response(body={key: "abc"}))
    assert paginator.has_next_page
    paginator.update_state(_response(body={key: "abc"}))
    assert not paginator.has_next_page
    last = BodyCursorPaginator(param, key)
    last.update_state(_response(body={key: ""}))
    assert not last.has_next_page


def test_time_cursor_must_move_back() -> None:
    paginator, request = TimeCursorPaginator(), Request("GET", "http://127.0.0.1/x")
    paginator.init_request(request)
    assert request.params == {"cursor_type": "FIRST"}
    paginator.update_state(_response(body={"deployments": [], "cursor_before": 200, "cursor_after": 0}))
    paginator.update_request(request)
    assert request.params == {"cursor_type": "BEFORE", "cursor_value": 200}
    paginator.update_state(_response(body={"deployments": [], "cursor_before": 200, "cursor_after": 0}))
    assert not paginator.has_next_page


def test_projects_over_several_pages(tiny_world, duckdb_path: Path, pipelines_dir: Path) -> None:
    with EmulatorServer(tiny_world, token=TEST_TOKEN, projects_page_size=1) as server:
        load(server, duckdb_path, pipelines_dir)
        assert server.request_counts["projects.list"] >= 2
    assert_equals_ground_truth(duckdb_path, tiny_world)
