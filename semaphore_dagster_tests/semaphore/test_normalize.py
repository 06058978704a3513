"""Row shaping without a server: timestamps, enums, flattening, redaction, link parsing, durations."""

from datetime import UTC, datetime, timedelta

import pytest

from semaphore_dagster.semaphore import normalize
from semaphore_dagster.semaphore.client import retry_after_seconds
from semaphore_dagster.semaphore.pagination import next_page_from_link
from semaphore_dagster.semaphore.redaction import redact_text, redact_url
from semaphore_dagster.semaphore.timestamps import parse_duration, to_utc

T = datetime(2025, 4, 17, 19, 6, 12, 81227, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"seconds": 1744916772, "nanos": 81227999}, T),  # truncated to the microsecond
        ("2025-04-17 19:06:12.081227Z", T),
        ("2025-04-17T19:06:12.081227Z", T),
        ("2025-04-17T21:06:12.081227+02:00", T),
        ("1744916772", T.replace(microsecond=0)),
        (1744916772, T.replace(microsecond=0)),
        ({"seconds": 0, "nanos": 0}, None),
        ("1970-01-01 00:00:00.000000Z", None),
        ("0", None),
        ("", None),
        (None, None),
        (0, None),
    ],
)
def test_timestamps(value, expected) -> None:
    assert to_utc(value) == expected


def test_pipeline_list_and_describe_agree() -> None:
    listed = {
        "ppl_id": "p", "state": "DONE", "result": "PASSED", "result_reason": "TEST",
        "created_at": {"seconds": 1744916772, "nanos": 81227000}, "stopping_at": {"seconds": 0, "nanos": 0},
        "queue": {"type": "USER_GENERATED", "queue_id": "q"}, "switch_id": "", "promotion_of": "",
        "triggerer": {"wf_triggered_by": "API", "ppl_triggered_by": "PARTIAL_RE_RUN"},
        "working_directory": ".semaphore", "yaml_file_name": "semaphore.yml", "env_vars": [],
    }  # fmt: skip
    described = {
        **listed, "state": "done", "result": "passed", "result_reason": "test",
        "created_at": "2025-04-17 19:06:12.081227Z", "stopping_at": "1970-01-01 00:00:00.000000Z",
        "queue": {"type": 1, "queue_id": "q"}, "triggerer": {"wf_triggered_by": 2, "ppl_triggered_by": 3},
    }  # fmt: skip
    a, b = normalize.pipeline(listed), normalize.pipeline(described)
    assert a == b
    assert a["state"] == "DONE" and a["queue__type"] == "USER_GENERATED" and a["switch_id"] is None
    assert a["triggerer__ppl_triggered_by"] == "PARTIAL_RE_RUN" and a["stopping_at"] is None
    assert a["pipeline_file"] == ".semaphore/semaphore.yml" and a["created_at"] == T


def test_not_done_pipeline_has_no_result() -> None:
    row = normalize.pipeline({"ppl_id": "p", "state": "running", "result": "passed"})
    assert row["state"] == "RUNNING" and row["result"] is None and row["result_reason"] is None


def test_job_keeps_names_only_and_maps_none() -> None:
    raw = {
        "metadata": {"id": "j", "name": "RSpec", "create_time": "1744916772", "start_time": "0"},
        "spec": {"project_id": "pr", "agent": {"machine": {"type": "e1", "os_image": "u"}},
                 "secrets": [{"name": "aws"}], "env_vars": [{"name": "A", "value": "secret-value"}],
                 "commands": ["make"]},
        "status": {"result": "NONE", "state": "RUNNING", "agent": {"ip": "1.2.3.4", "name": ""}},
    }  # fmt: skip
    row = normalize.job({"job_id": "j", "ppl_id": "p", "block_id": "b", "name": "RSpec", "index": 0},
                        normalize.job_details(raw))  # fmt: skip
    assert row["env_vars"] == ["A"] and row["secrets"] == ["aws"] and "secret-value" not in str(row)
    assert row["result"] is None and row["start_time"] is None and row["agent_name"] is None
    assert row["machine_type"] == "e1" and row["create_time"] == T.replace(microsecond=0)


def test_agent_type_drops_registration_token() -> None:
    raw = {"metadata": {"name": "s1-x", "create_time": "", "update_time": 1644963451},
           "spec": {"agent_name_settings": {"assignment_origin": "assignment_origin_agent", "aws": None}},
           "status": {"total_agent_count": 2}, "registration_token": "reg-secret"}  # fmt: skip
    row = normalize.agent_type(raw, T)
    assert "reg-secret" not in str(row) and row["create_time"] is None
    assert row["agent_name_settings__assignment_origin"] == "ASSIGNMENT_ORIGIN_AGENT"


def test_deployment_values_redacted() -> None:
    raw = {"id": "d", "env_vars": [{"name": "TOKEN", "value": "v"}], "prev_pipeline_id": ""}
    assert normalize.deployment(raw)["env_vars"] == [{"name": "TOKEN", "value": "<redacted>"}]
    assert normalize.deployment(raw, store_values=True)["env_vars"] == [{"name": "TOKEN", "value": "v"}]
    assert normalize.deployment(raw)["prev_pipeline_id"] is None


def test_link_header_next_page_ignores_the_host() -> None:
    link = (
        '<http://other.example/api/v1alpha/pipelines?page=3&page_size=100&project_id=x>; rel="next", '
        '<http://other.example/api/v1alpha/pipelines?page=1&page_size=100>; rel="prev", '
        '<http://other.example/x?page=1>; rel="first", <http://other.example/x?page=9>; rel="last"'
    )
    assert next_page_from_link(link) == 3
    assert next_page_from_link('<http://h/x?page=1>; rel="first", <http://h/x?page=1>; rel="last"') is None


def test_redaction() -> None:
    url = "http://h/api/v1/logs/j?jwt=eyJhbGciOi.abc.def&token=5"
    assert "eyJ" not in redact_url(url) and "jwt=<redacted>" in redact_url(url)
    assert redact_text("failed at /logs/x?jwt=abc.def for tok-1", "tok-1") == (
        "failed at /logs/x?jwt=<redacted> for <redacted>"
    )


def test_retry_after_and_durations() -> None:
    assert retry_after_seconds("3", 60) == 3 and retry_after_seconds("86400", 60) == 60
    assert retry_after_seconds(None, 60) is None and retry_after_seconds("soon", 60) is None
    assert 0 <= retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 60) <= 60
    assert parse_duration("3d") == timedelta(days=3) and parse_duration("90m") == timedelta(minutes=90)
