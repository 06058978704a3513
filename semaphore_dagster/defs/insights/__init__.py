"""CI insights as Dagster assets: the dbt project (dagster-dbt; group `ci_insights`, keys
`semaphore_insights/<name>`, dbt tests as asset checks) and the HTML report downstream of them.

Loaded by `load_from_defs_folder` through `definitions.py` (`@dg.definitions`), like every defs/<domain>/.
The `destination` resource (semaphore_dagster.resources.DestinationResource) comes from the code location's
resources; the `dbt` resource is bound here.
"""
