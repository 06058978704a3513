import dagster as dg
from dagster_dbt import DbtCliResource

from semaphore_dagster.defs.insights.assets import ci_insights_assets
from semaphore_dagster.defs.insights.project import insights_project
from semaphore_dagster.defs.insights.report import build_report_asset


def insights_definitions() -> dg.Definitions:
    """The dbt insights, the report, and the dbt resource they run with."""
    return dg.Definitions(
        assets=dg.with_source_code_references([*ci_insights_assets(), build_report_asset()]),
        resources={"dbt": DbtCliResource(project_dir=insights_project)},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return insights_definitions()
