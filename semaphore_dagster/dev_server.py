"""`dagster dev` as a child process that always stops with its parent's stop, and takes everything with it.

Why this module exists: `dagster dev` is a tree of processes (the dev process, its webserver, its daemon,
the code server it spawns, the run workers the daemon launches), and it stops that tree only when its own
SIGINT handler runs (it maps SIGTERM onto the SIGINT handler). Two things break that when the demo is started
by a script or a process supervisor:

- A non-interactive shell starts a background command (`cmd &`) with SIGINT set to "ignored", and an
  ignored signal stays ignored across `exec`. Python then installs no KeyboardInterrupt handler, the demo
  ignores Ctrl-C / `kill -INT`, and so does the `dagster dev` it starts (whose SIGTERM now maps to the
  inherited "ignore" too). We install real handlers before starting the child: a handled signal is reset to
  its default in the child at `exec`, so the child's Python installs its normal handler.
- Signals reach only the process they are sent to (a supervisor's SIGTERM to the demo's PID) or the
  terminal's foreground group (Ctrl-C). `dagster dev` runs in its own session, so a Ctrl-C is not delivered
  twice and a closing terminal does not cut it down mid-shutdown; the demo forwards the stop itself: SIGTERM
  to the dev process (its clean shutdown), then SIGTERM and finally SIGKILL to whatever is left in its
  process group (e.g. a run worker still loading), so nothing keeps running or holding a port.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

CODE_LOCATION = "semaphore_dagster"


def workspace_target(directory: Path) -> tuple[str, ...]:
    """`-w <workspace.yaml>` naming the code location `semaphore_dagster`, as the project's workspace.yaml
    does (`dagster dev -m` would name it after the module): one code-location name everywhere."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "workspace.yaml"
    path.write_text(
        "load_from:\n  - python_module:\n      module_name: semaphore_dagster.definitions\n"
        f"      location_name: {CODE_LOCATION}\n"
    )
    return ("-w", str(path))


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequested(KeyboardInterrupt):
    """SIGTERM / SIGHUP (or SIGINT) arrived: unwind like Ctrl-C does, running every clean-up on the way."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (`dagster dev` does not accept port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


@contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise `StopRequested` (even when SIGINT was inherited
    as ignored); the previous handlers are restored afterwards. Main thread only (Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def stop_signals_ignored() -> Iterator[None]:
    """Within the block a second Ctrl-C / SIGTERM cannot cut a clean-up short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def start_dagster_dev(
    port: int,
    env: dict[str, str],
    cwd: Path | None = None,
    target: Sequence[str] | None = None,
    **popen: object,
) -> subprocess.Popen:
    """`dagster dev` on 127.0.0.1:`port`, in its own session and process group (stop it with
    `stop_process_group`). `target` selects the code (`-m module`, `-w workspace.yaml`, ...).

    Started with SIGINT handled in this process, so the child never inherits an ignored SIGINT."""
    if target is None:
        home = env.get("DAGSTER_HOME")
        target = workspace_target(Path(home) if home else (cwd or Path.cwd()) / ".dagster_home")
    command = [sys.executable, "-m", "dagster", "dev", *target, "-h", "127.0.0.1", "-p", str(port)]
    with _sigint_not_ignored():
        return subprocess.Popen(command, env=env, cwd=cwd, start_new_session=True, **popen)  # type: ignore[call-overload]


@contextmanager
def _sigint_not_ignored() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group `pgid` still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member we may not signal: still alive
        return True
    return True


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _wait_group(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return True
        time.sleep(0.2)
    return not group_alive(pgid)


def stop_process_group(process: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop `process` (started with `start_new_session=True`, so its PID is its group id) and everything in
    its group: SIGTERM to the leader (dagster dev's own clean shutdown of its webserver, daemon and code
    server), then SIGTERM to the rest of the group (run workers), then SIGKILL. Returns once the group is
    empty or, at worst, after about `timeout` + 15 s."""
    pgid = process.pid
    if process.poll() is None:
        try:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    if group_alive(pgid):
        _signal_group(pgid, signal.SIGTERM)
        if not _wait_group(pgid, 10.0):
            _signal_group(pgid, signal.SIGKILL)
            _wait_group(pgid, 5.0)
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def serve_dagster_dev(
    port: int,
    env: dict[str, str],
    cwd: Path | None = None,
    target: Sequence[str] | None = None,
    banner: str | None = None,
    stop_timeout: float = 30.0,
) -> int:
    """Run `dagster dev` until it exits (returns 1) or this process gets SIGINT, SIGTERM or SIGHUP
    (returns 0). The handlers are in place before the child starts, so no signal can leave it orphaned;
    either way its whole process group is stopped before returning."""
    process: subprocess.Popen | None = None
    try:
        with stop_signals_raise():
            process = start_dagster_dev(port, env, cwd=cwd, target=target)
            if banner:
                print(banner, flush=True)
            while process.poll() is None:
                time.sleep(0.5)
        print(f"dagster dev exited with code {process.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C, or StopRequested from SIGTERM / SIGHUP
        print("\nStopping dagster dev and the emulator ...", flush=True)
        return 0
    finally:
        if process is not None:
            with stop_signals_ignored():
                stop_process_group(process, timeout=stop_timeout)
