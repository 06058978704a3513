"""The benchmark harness: `uv run python bench/run.py [--quick] [--json PATH]` (see BENCHMARKS.md)."""
