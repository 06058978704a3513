"""What the Dagster definitions (`semaphore_dagster/defs/`) are built from, kept outside `defs/` so that
`load_from_defs_folder` loads only definitions: settings, the catalog derived from the table contract, the
translator, the load runtime, the readers, the checks' rules and SQL, the sensor's logic, escaping of API
text, the docs/tables.md generator, and `materialize_all` (the demo's and the tests' full run)."""
