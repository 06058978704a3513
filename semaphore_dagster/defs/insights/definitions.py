import dagster as dg

from semaphore_dagster.defs.insights.assets import build_insight_assets
from semaphore_dagster.defs.insights.checks import ci_insights_checks


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=build_insight_assets(), asset_checks=[ci_insights_checks])
