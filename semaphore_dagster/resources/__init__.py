"""Dagster resources of the code location (outside `defs/`, so `load_from_defs_folder` finds only definitions).

- `DestinationResource` (`destination.py`): where the tables go (DuckDB file by default, or PostgreSQL).
- `SemaphoreResource` (`semaphore.py`): the Semaphore connection and the source settings users tune.
"""

from semaphore_dagster.resources.destination import DestinationResource
from semaphore_dagster.resources.semaphore import SemaphoreResource

__all__ = ["DestinationResource", "SemaphoreResource"]
