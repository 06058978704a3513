"""The Dagster definitions, one folder per domain, each loaded by `dg.load_from_defs_folder`.

Each folder's `definitions.py` holds one `@dg.definitions` function; the helpers they call live in
`semaphore_dagster.dagster_layer`, the resources in `semaphore_dagster.resources`. Nothing else belongs
here: every Python module under `defs/` is loaded as definitions.
"""
