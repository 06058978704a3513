"""What glibc's malloc keeps, handed back: fewer arenas, and a trim when a dlt step ends.

Python never asks glibc to give memory back, and glibc gives each thread that allocates its own arena (up to
eight per core). The loader's threads (describes, logs, dlt's pools) each left holes in an arena of their own
among the rows the run still held, so the resident size crept up slice after slice though the Python heap
stayed flat (measured at `medium`: extract level 403 -> 445 MiB over 9 slices, flat at about 415 with two
arenas, with no loss of speed; BENCHMARKS.md). A user's own `MALLOC_ARENA_MAX` is left as it is. Elsewhere
than glibc (musl, macOS) both are no-ops.
"""

import ctypes
import os
from collections.abc import Callable

MALLOC_ARENAS = 2  # glibc's M_ARENA_MAX for the loader's process (its default is 8 x cores)
_M_ARENA_MAX = -8  # mallopt parameter number (malloc.h)


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018  (glibc has both)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()
_limited = False


def limit_arenas() -> None:
    """Cap glibc's arenas at MALLOC_ARENAS for arenas made from now on (once per process)."""
    global _limited
    if _LIBC is None or _limited or "MALLOC_ARENA_MAX" in os.environ:
        return
    _LIBC.mallopt.argtypes, _LIBC.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _LIBC.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    _limited = True


def _trimmer() -> Callable[[], object]:
    if _LIBC is None:
        return lambda: None
    trim = _LIBC.malloc_trim
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: trim(0)


trim = _trimmer()
trim.__doc__ = "glibc's `malloc_trim(0)`: free pages of every arena go back to the system."
