"""Test results: the day-partitioned `semaphore/test_reports`, `semaphore/test_suites`, `semaphore/test_cases`.

Not merged into the code location by this folder alone: add `test_results` to the folders of
`semaphore_dagster/definitions.py` (`build_definitions`) to serve them.
"""

import dagster as dg

from semaphore_dagster.defs.settings import DagsterSettings
from semaphore_dagster.defs.test_results.assets import build_test_result_assets


def build_defs(settings: DagsterSettings) -> dg.Definitions:
    return dg.Definitions(assets=[build_test_result_assets(settings.logs_start_date)])
