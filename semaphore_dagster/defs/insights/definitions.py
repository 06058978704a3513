import shutil
import sys
from functools import cached_property
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from semaphore_dagster.defs.insights.assets import ci_insights_assets
from semaphore_dagster.defs.insights.project import insights_project
from semaphore_dagster.defs.insights.report import build_report_asset


class InsightsDbtResource(DbtCliResource):
    """dagster-dbt's resource, without its `dbt --version`: before each process's first `dbt build` it starts
    the dbt executable to learn its version, a Python start that imports dbt (3 s of CPU on a 2-core machine,
    in every run that builds the insights). When the `dbt` it runs is the one installed beside this Python
    (`project.ensure_dbt_on_path`), that version is the installed dbt-core package's, read from its metadata;
    any other executable is asked as before."""

    @cached_property
    def _cli_version(self) -> version.Version:
        found = shutil.which(self.dbt_executable)
        if found and Path(found).absolute().parent == Path(sys.executable).absolute().parent:
            try:
                return version.parse(package_version("dbt-core"))
            except PackageNotFoundError:
                pass
        return super()._cli_version


def insights_definitions() -> dg.Definitions:
    """The dbt insights, the report, and the dbt resource they run with."""
    return dg.Definitions(
        assets=dg.with_source_code_references([*ci_insights_assets(), build_report_asset()]),
        resources={"dbt": InsightsDbtResource(project_dir=insights_project)},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return insights_definitions()
