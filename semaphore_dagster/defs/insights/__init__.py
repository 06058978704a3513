"""CI insights as Dagster assets (group `ci_insights`, keys `semaphore_insights/<name>`) and their checks.

Loaded by `load_from_defs_folder` through `definitions.py` (`@dg.definitions`).
"""
