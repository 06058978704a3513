"""The registry: build order, clear errors, and definitions documented exactly as the SQL states them."""

from pathlib import Path

import pytest
from semaphore_dagster.insights.registry import build_order

from semaphore_dagster.insights import INSIGHTS, InsightsConfig

DOCS = Path(__file__).resolve().parents[2] / "docs" / "insights.md"


def squash(text: str) -> str:
    return " ".join(text.split())


def test_build_order_puts_needs_first() -> None:
    assert [i.name for i in build_order(["dora_summary"])] == ["dora_deployments", "dora_summary"]
    order = [i.name for i in build_order(None)]
    for insight in INSIGHTS.values():
        assert all(order.index(n) < order.index(insight.name) for n in insight.needs)


def test_unknown_insight_and_bad_config_say_what_to_fix() -> None:
    with pytest.raises(ValueError, match="unknown insight\\(s\\) nope: use one of pipeline_performance"):
        build_order(["nope"])
    with pytest.raises(ValueError, match="ci_pipeline_file must not be empty"):
        InsightsConfig(ci_pipeline_file="")


def test_config_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_CI_BRANCH", "develop")
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_CD_TARGET", "Production")
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_CI_PIPELINE_FILE", "")
    config = InsightsConfig.from_env()
    assert (config.ci_branch, config.ci_pipeline_file, config.cd_target) == (
        "develop",
        ".semaphore/semaphore.yml",
        "Production",
    )


def test_every_definition_is_documented_verbatim() -> None:
    docs = squash(DOCS.read_text(encoding="utf-8"))
    for name, insight in INSIGHTS.items():
        body = "\n".join(insight.definition.splitlines()[1:])
        assert f"### `{name}`" in docs
        assert squash(body) in docs, f"docs/insights.md is out of date for {name}"
