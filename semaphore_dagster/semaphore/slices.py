"""A run committed in slices: one dlt load per slice of the CI plan, so a long first load resumes after a kill.

dlt commits rows and source state once per load package, at the end of a `pipeline.run`. A first load of a big
organization is hours of requests; committed once, a kill at 80% loses all of it. The CI planner
(ci_activity.py) splits the pipelines newly DONE into slices of `slice_pipelines` (newest first) and writes,
into each slice's load, the state of what is loaded so far. `load_in_slices` runs the first load with every
selected resource, then one more load per remaining slice with the CI resources only (the planner, its jobs
walk and its describes carry on in this process: nothing is listed or walked twice). A kill between two
slices leaves the committed slices loaded and in state; the next run lists the same window again and
describes, walks and logs only what was not committed (docs/source.md, "Resumable loads").
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from dlt.common.pipeline import LoadInfo
from dlt.extract.resource import DltResource
from dlt.extract.source import DltSource

from .progress import LOGGER_NAME
from .source import source_planner

logger = logging.getLogger(LOGGER_NAME)

# resources that follow the planner's slices, and every transformer fed by one of them
SLICED_ROOTS = frozenset({"workflows", "pipelines", "promotions", "ci_chunks"})


@dataclass
class LoadResult:
    """Every load package a run committed, and the rows dlt normalized per table over all of them."""

    infos: list[LoadInfo] = field(default_factory=list)
    row_counts: Counter = field(default_factory=Counter)

    @property
    def last(self) -> LoadInfo:
        return self.infos[-1]

    @property
    def load_ids(self) -> list[str]:
        return [load_id for info in self.infos for load_id in (getattr(info, "loads_ids", None) or [])]


def _sliced(resource: DltResource) -> bool:
    pipe = resource._pipe
    while pipe is not None:
        if pipe.name in SLICED_ROOTS:
            return True
        pipe = pipe.parent
    return False


def next_slice(source: DltSource) -> DltSource | None:
    """`source` narrowed to its selected CI resources for the planner's next slice, or None when the run is
    complete (or was never sliced)."""
    planner = source_planner(source)
    if planner is None or not planner.advance():
        return None
    names = [name for name, resource in source.selected_resources.items() if _sliced(resource)]
    return source.with_resources(*names) if names else None


def normalized_rows(pipeline: object) -> dict[str, int]:
    trace = getattr(pipeline, "last_trace", None)
    info = trace.last_normalize_info if trace else None
    return dict(info.row_counts) if info else {}


def load_in_slices(
    pipeline: object, source: DltSource, run_one: Callable[[DltSource], LoadInfo]
) -> LoadResult:
    """Run `run_one` (one dlt load) for `source`, then for each further slice of its CI plan."""
    result = LoadResult()
    current: DltSource | None = source
    while current is not None:
        result.infos.append(run_one(current))
        result.row_counts.update(normalized_rows(pipeline))
        planner = source_planner(source)
        if planner is not None and planner.sliced:
            done = sum(len(planner.slice_ids(i)) for i in range(planner.slice + 1))
            total = sum(len(planner.slice_ids(i)) for i in range(len(planner.slices)))
            logger.info(
                "progress slices: %d/%d committed (%s of %s pipelines newly DONE)",
                planner.slice + 1,
                len(planner.slices),
                f"{done:,}",
                f"{total:,}",
            )
        current = next_slice(source)
    return result
