"""CI insights as Dagster assets: the dbt project (dagster-dbt; group `ci_insights`, keys
`semaphore_insights/<name>`, dbt tests as asset checks) and the HTML report downstream of them.

Module-level `defs` for the code location (`load_from_defs_folder` over defs/<domain>/). The `destination`
resource (semaphore_dagster.resources.DestinationResource) comes from the code location's resources.
"""

import dagster as dg
from dagster_dbt import DbtCliResource

from semaphore_dagster.defs.insights.assets import GROUP, ci_insights_dbt, destination_target, insight_key
from semaphore_dagster.defs.insights.project import insights_project
from semaphore_dagster.defs.insights.report import REPORT_KEY, semaphore_report

__all__ = ["GROUP", "REPORT_KEY", "defs", "destination_target", "insight_key"]

defs = dg.Definitions(
    assets=[ci_insights_dbt, semaphore_report],
    resources={"dbt": DbtCliResource(project_dir=insights_project)},
)
