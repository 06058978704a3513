"""A local emulator of Semaphore's public API v1alpha: a synthetic organization (`World`) and its HTTP server.

Imports nothing of ours outside this package and only the standard library.
"""

from typing import TYPE_CHECKING, Any

from semaphore_dagster.emulator.config import WorldConfig
from semaphore_dagster.emulator.world import World

if TYPE_CHECKING:  # pragma: no cover
    from semaphore_dagster.emulator.faults import FaultSpec
    from semaphore_dagster.emulator.server import EmulatorServer

__all__ = ["EmulatorServer", "FaultSpec", "World", "WorldConfig"]


def __getattr__(name: str) -> Any:
    """Load the HTTP side lazily, so the world can be used (and imported) without it."""
    if name == "EmulatorServer":
        from semaphore_dagster.emulator.server import EmulatorServer

        return EmulatorServer
    if name == "FaultSpec":
        from semaphore_dagster.emulator.faults import FaultSpec

        return FaultSpec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
