"""The insight checks (semaphore_dagster/insights/checks.py) as Dagster asset checks, in one step.

One `@multi_asset_check` runs every selected check over a single read-only connection: on a 2-core machine
one step per check would cost more than the checks. A file locked by a load turns into failed WARN results
that say to re-run.
"""

import dagster as dg

from semaphore_dagster.dagster_layer.readers import DuckDBLockedError
from semaphore_dagster.dagster_layer.settings import DUCKDB_POOL
from semaphore_dagster.defs.insights.assets import insight_key
from semaphore_dagster.insights.checks import CHECKS, CheckOutcome, run_checks
from semaphore_dagster.resources import DestinationResource


def _spec_key(check) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(insight_key(check.insight), check.name)


def _result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    metadata: dict[str, object] = {
        "offending_rows": dg.MetadataValue.int(outcome.offending),
        "offending_sample": dg.MetadataValue.json(outcome.sample),
    }
    if outcome.note:
        metadata["note"] = dg.MetadataValue.text(outcome.note)
    return dg.AssetCheckResult(
        asset_key=insight_key(outcome.check.insight),
        check_name=outcome.check.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


@dg.multi_asset_check(
    name="ci_insights_checks",
    specs=[
        dg.AssetCheckSpec(c.name, asset=insight_key(c.insight), description=c.description) for c in CHECKS
    ],
    can_subset=True,
    pool=DUCKDB_POOL,
)
def ci_insights_checks(context: dg.AssetCheckExecutionContext, destination: DestinationResource):
    selected = [c for c in CHECKS if _spec_key(c) in context.selected_asset_check_keys]
    try:
        with destination.read() as reader:
            outcomes = run_checks(reader.rows, selected)
    except DuckDBLockedError as exc:
        for check in selected:
            yield dg.AssetCheckResult(
                asset_key=insight_key(check.insight),
                check_name=check.name,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"note": dg.MetadataValue.text(f"{exc}; re-run the check")},
            )
        return
    for outcome in outcomes:
        yield _result(outcome)
