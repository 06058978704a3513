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

MALLOC_ARENAS = 2  # glibc's M_ARENA_MAX for the loader's process (its default is 8 x cores)
_M_ARENA_MAX = -8  # mallopt parameter number (malloc.h)


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


_GLIBC = _glibc()
_limited = False


def limit_arenas() -> None:
    """Cap glibc's arenas at MALLOC_ARENAS for arenas made from now on (once per process)."""
    global _limited
    if _GLIBC is None or _limited or "MALLOC_ARENA_MAX" in os.environ:
        return
    _GLIBC.mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    _limited = True


def trim() -> None:
    """glibc's `malloc_trim(0)`: the free pages of every arena go back to the system."""
    if _GLIBC is not None:
        _GLIBC.malloc_trim(0)
