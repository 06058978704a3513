"""The HTML report as an asset downstream of every insight; its path is in the materialization metadata."""

import os
from pathlib import Path

import dagster as dg

from semaphore_dagster.defs.insights.assets import destination_target
from semaphore_dagster.defs.insights.translator import GROUP, insight_key
from semaphore_dagster.insights import InsightsConfig, insight_names
from semaphore_dagster.insights.report import DEFAULT_OUT, render_from, write_html
from semaphore_dagster.resources.destination import DestinationResource

REPORT_KEY = dg.AssetKey(["semaphore_insights_report"])
# Where the asset writes the report (relative to the process's working directory); default semaphore_report.html.
REPORT_PATH_VAR = "SEMAPHORE_REPORT_PATH"


def build_report_asset() -> dg.AssetsDefinition:
    """The report asset (built by a function: `load_from_defs_folder` collects module-level assets, and the
    folder's `definitions.py` adds this one once)."""

    @dg.asset(
        key=REPORT_KEY,
        group_name=GROUP,
        deps=[insight_key(n) for n in insight_names()],
        kinds={"html", "altair"},
        automation_condition=dg.AutomationCondition.eager(),
        description=(
            "The self-contained HTML report of the CI insights (charts drawn with Altair, rendered offline to "
            f"inline SVG), read from the built insight tables. Written to ${REPORT_PATH_VAR} (default "
            f"{DEFAULT_OUT}); the path is in the `path` metadata."
        ),
    )
    def semaphore_report(destination: DestinationResource) -> dg.MaterializeResult:
        out = Path(os.environ.get(REPORT_PATH_VAR, "").strip() or DEFAULT_OUT).expanduser().absolute()
        html = render_from(destination_target(destination), InsightsConfig.from_env())
        path = write_html(html, out)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "bytes": dg.MetadataValue.int(len(html.encode())),
            }
        )

    return semaphore_report
