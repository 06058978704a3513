"""CI insights: a dbt project over the loaded `semaphore` dataset (dbt_project/), built into
`semaphore_insights`, plus the HTML report.

Imports nothing of this project outside this package (docs/architecture.md).
"""

from semaphore_dagster.insights.config import INSIGHTS_SCHEMA, InsightsConfig
from semaphore_dagster.insights.runner import BuildResult, build_insights, connect, insight_names, run_dbt
from semaphore_dagster.insights.target import DbtTarget, dbt_env, target_from_destination

__all__ = [
    "INSIGHTS_SCHEMA",
    "BuildResult",
    "DbtTarget",
    "InsightsConfig",
    "build_insights",
    "connect",
    "dbt_env",
    "insight_names",
    "run_dbt",
    "target_from_destination",
]
