"""CI insights as Dagster assets (group `ci_insights`, keys `semaphore_insights/<name>`) and their checks.

`semaphore_dagster.definitions` merges `defs`.
"""

import dagster as dg

from semaphore_dagster.defs.insights.assets import GROUP, build_insight_assets, insight_key
from semaphore_dagster.defs.insights.checks import ci_insights_checks

__all__ = ["GROUP", "defs", "insight_key"]

defs = dg.Definitions(assets=build_insight_assets(), asset_checks=[ci_insights_checks])
