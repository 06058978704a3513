"""The Dagster layer: one folder per domain, each exposing `build_defs(settings) -> dg.Definitions`.

`semaphore_dagster.definitions` merges them into the code location `defs`.
"""
