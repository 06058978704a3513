"""Run `semaphore-dagster load` and send this process a signal at a chosen point of dlt's work.

`python -m semaphore_dagster_tests.semaphore.kill_at <point> <KILL|TERM> -- <load arguments>`

Polling a subprocess from outside cannot hit "after the agents load job ran, before dlt recorded it": the
tiny world's load step lasts a fraction of a second. So this wrapper patches a few functions of dlt (and of
requests) to signal the process at exactly that point, then runs the real CLI. Nothing of ours is patched.
Exit code 86 means the point was never reached (the test fails on it: a kill that did not happen).
"""

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

NOT_REACHED = 86
FIRED: list[int] = []


def _kill(sig: int) -> None:
    FIRED.append(sig)
    os.kill(os.getpid(), sig)  # SIGTERM: Python's default ends the process; dlt may delay it to a safe point


def _before(owner: Any, name: str, sig: int, nth: int = 1, when: Callable[..., bool] | None = None) -> None:
    """Signal when `owner.name` is entered for the `nth` time (matching `when`)."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if when is None or when(*args, **kwargs):
            calls[0] += 1
            if calls[0] == nth:
                _kill(sig)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)


def _after(owner: Any, name: str, sig: int, nth: int = 1, when: Callable[..., bool] | None = None) -> None:
    """Signal when `owner.name` returns for the `nth` time (matching `when`)."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if when is None or when(*args, **kwargs):
            calls[0] += 1
            if calls[0] == nth:
                _kill(sig)
        return result

    setattr(owner, name, wrapper)


def _committed(prefix: str = "") -> Callable[..., bool]:
    """`RunnableLoadJob._release(job, "completed")`: the destination committed the job's rows, dlt has not
    yet written the marker that lets a resumed package skip it (the window of the duplicate `agents`)."""

    def when(job: Any, next_state: str, *args: Any, **kwargs: Any) -> bool:
        return next_state == "completed" and os.path.basename(job.file_name()).startswith(prefix)

    return when


# point -> what it means (docs/reliability.md lists them)
POINTS = {
    "extract": "during extract: after the 40th HTTP response",
    "after_extract": "extract done, normalize not started",
    "normalize": "during normalize: the 3rd extracted file being normalized",
    "load_start": "normalized package, no load job started",
    "job_1": "load: the 1st job committed in the destination, dlt has not recorded it",
    "job_4": "load: between tables: the 4th job committed, not recorded, others pending",
    "job_4_recorded": "load: between tables: the 4th job committed and recorded",
    "agents_job": "load: the agents job committed, dlt has not recorded it (the duplicate-row kill)",
    "before_complete": "load: every job done, `_dlt_loads` row not written",
    "after_complete": "load: `_dlt_loads` row committed, package not yet archived",
}
# points of a load committed in slices (test_sliced_loads.py): never reached by a one-slice load
SLICE_POINTS = {
    "slice_4": "during the 4th slice's extract: 5 HTTP responses after the 3rd load package completed",
}


def arm(point: str, sig: int) -> None:
    import requests.adapters
    from dlt.common.destination.client import RunnableLoadJob
    from dlt.common.storages.load_storage import LoadStorage
    from dlt.load.load import Load
    from dlt.normalize.items_normalizers.base import ItemsNormalizer
    from dlt.normalize.normalize import Normalize

    if point == "extract":
        _after(requests.adapters.HTTPAdapter, "send", sig, nth=40)
    elif point == "after_extract":
        _before(Normalize, "run", sig)
    elif point == "normalize":
        normalizers = [ItemsNormalizer, *ItemsNormalizer.__subclasses__()]
        counter = [0]
        for cls in normalizers:
            if "__call__" in vars(cls):
                original = cls.__call__

                def wrapper(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
                    counter[0] += 1
                    if counter[0] == 3:
                        _kill(sig)
                    return _original(self, *args, **kwargs)

                cls.__call__ = wrapper
    elif point == "load_start":
        _before(Load, "start_new_jobs", sig)
    elif point == "job_1":
        _before(RunnableLoadJob, "_release", sig, nth=1, when=_committed())
    elif point == "job_4":
        _before(RunnableLoadJob, "_release", sig, nth=4, when=_committed())
    elif point == "job_4_recorded":
        _after(RunnableLoadJob, "run_managed", sig, nth=4)
    elif point == "agents_job":
        _before(RunnableLoadJob, "_release", sig, when=_committed("agents."))
    elif point == "before_complete":
        _before(Load, "complete_package", sig)
    elif point == "after_complete":
        _before(LoadStorage, "complete_load_package", sig)
    elif point == "slice_4":
        committed = [0]
        original = LoadStorage.complete_load_package

        def complete(self: Any, *args: Any, **kwargs: Any) -> Any:
            committed[0] += 1
            return original(self, *args, **kwargs)

        LoadStorage.complete_load_package = complete
        _after(requests.adapters.HTTPAdapter, "send", sig, nth=5, when=lambda *a, **k: committed[0] >= 3)
    else:
        raise SystemExit(f"unknown point {point!r}; one of {', '.join([*POINTS, *SLICE_POINTS])}")


def main(argv: list[str]) -> int:
    point, sig_name, sep, *rest = argv
    assert sep == "--"
    arm(point, getattr(signal, f"SIG{sig_name}"))
    from semaphore_dagster.cli import main as cli_main

    code = cli_main(["load", *rest])
    return NOT_REACHED if not FIRED else code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
