"""CI insights: SQL over the loaded `semaphore` dataset, written to `semaphore_insights`, plus the HTML report.

Imports nothing of this project outside this package (docs/architecture.md).
"""

from semaphore_dagster.insights.config import INSIGHTS_SCHEMA, InsightsConfig
from semaphore_dagster.insights.registry import INSIGHTS, Insight
from semaphore_dagster.insights.runner import build_insight, build_insights, connect, fetch_rows
from semaphore_dagster.insights.sources import prepare_sources

__all__ = [
    "INSIGHTS",
    "INSIGHTS_SCHEMA",
    "Insight",
    "InsightsConfig",
    "build_insight",
    "build_insights",
    "connect",
    "fetch_rows",
    "prepare_sources",
]
