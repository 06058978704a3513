"""`semaphore-dagster demo --ui` stops cleanly however it is told to, leaving nothing running (slow).

Three ways a demo is stopped in real life, each with the signal sent to the demo's own PID (or, for the
terminal, to its foreground process group by the terminal itself), never to the processes it started:

- a script that started it in the background (`demo --ui &`, `nohup`): such a child inherits SIGINT as
  *ignored* (what a non-interactive shell does to `&` jobs), which Dagster also maps onto SIGTERM; then
  `kill <pid>` (SIGTERM, what supervisors and container runtimes send) or `kill -INT <pid>`;
- a person at a terminal: Ctrl-C, i.e. the terminal sends SIGINT to its foreground process group (here a
  real pseudo-terminal whose foreground group is the demo's).

While it serves, automation is on (the new-pipelines sensor and the automation sensor RUNNING). After the
demo exits: exit code 0, every process of its tree (dagster dev, the webserver, the daemon, the
code server, any run worker) gone, every port they and the emulator listened on refused.
"""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from semaphore_dagster_tests.defs.dagster_http import graphql, snapshot_tree, wait_for_location, wait_until_up

pytestmark = pytest.mark.slow

SENSORS = """query Sensors($name: String!, $repo: String!) {
  sensorsOrError(repositorySelector: {repositoryName: $repo, repositoryLocationName: $name}) {
    ... on Sensors { results { name sensorState { status } } }
  }
}"""
BANNER = re.compile(r"Dagster UI: http://127\.0\.0\.1:(\d+)")
DEMO = [sys.executable, "-m", "semaphore_dagster.cli", "demo", "--ui", "--scale", "tiny"]

# exec'd by a tiny wrapper so the demo keeps the wrapper's PID and the dispositions it set, like a shell's exec
IGNORE_SIGINT_THEN_EXEC = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])"
CONTROLLING_TTY_THEN_EXEC = "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])"


def _env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SOURCES__", "DESTINATION__", "DAGSTER_HOME", "DLT_DATA_DIR"))
    }


class _Output:
    """Collects a child's output from a file descriptor in a thread (a pty must be drained, or it blocks)."""

    def __init__(self, fd: int) -> None:
        self.text = ""
        self._fd = fd
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:  # pty closed (EIO) once every holder of the slave side is gone
                return
            if not chunk:
                return
            self.text += chunk.decode(errors="replace")

    def wait_for_port(self, deadline_s: float = 600) -> int:
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            found = BANNER.search(self.text)
            if found:
                return int(found.group(1))
            time.sleep(0.5)
        raise AssertionError(f"the demo never printed the UI address; output so far:\n{self.text[-3000:]}")


def _start(way: str, cwd: Path) -> tuple[subprocess.Popen, _Output, int | None]:
    if way == "terminal_ctrl_c":
        master, slave = os.openpty()
        process = subprocess.Popen(
            [sys.executable, "-c", CONTROLLING_TTY_THEN_EXEC, *DEMO],
            cwd=cwd,
            env=_env(),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,  # a session of its own whose controlling terminal is the pty
        )
        os.close(slave)
        return process, _Output(master), master
    prefix = [sys.executable, "-c", IGNORE_SIGINT_THEN_EXEC]
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [*prefix, *DEMO],
        cwd=cwd,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=write_end,
        stderr=write_end,
        start_new_session=True,  # nothing we send below can reach another process of the test run
    )
    os.close(write_end)
    return process, _Output(read_end), None


@pytest.mark.parametrize("way", ["background_kill_term", "background_kill_int", "terminal_ctrl_c"])
def test_demo_ui_stops_cleanly_and_leaves_nothing_running(way: str, tmp_path: Path) -> None:
    import signal

    process, output, master = _start(way, tmp_path)
    tree = None
    try:
        port = output.wait_for_port()
        wait_until_up(port, alive=lambda: process.poll() is None)
        location = wait_for_location(port)  # the code server is up too: it must go as well
        # `--ui` turns automation on: the sensor, the schedules and the automation sensor run by themselves.
        sensors = graphql(port, SENSORS, {"name": location.name, "repo": location.repository})
        states = {s["name"]: s["sensorState"]["status"] for s in sensors["sensorsOrError"]["results"]}
        assert states.get("semaphore_new_pipelines") == "RUNNING", states
        assert states.get("default_automation_condition_sensor") == "RUNNING", states
        tree = snapshot_tree(process.pid)
        assert port in tree.ports
        assert len(tree.processes) >= 4, tree.commands  # demo, dagster dev, webserver, daemon (+ code server)
        assert any("dagster_webserver" in c for c in tree.commands.values()), tree.commands
        if way == "background_kill_term":
            os.kill(process.pid, signal.SIGTERM)
        elif way == "background_kill_int":
            os.kill(process.pid, signal.SIGINT)
        else:
            os.write(master, b"\x03")  # Ctrl-C: the terminal signals its foreground process group
        code = process.wait(timeout=120)
        # what the demo left behind, judged before anything is killed; a helper that ends by itself right
        # after its parents (multiprocessing's resource tracker exits when its pipe closes) gets 10 s
        leftovers = tree.still_running()
        deadline = time.monotonic() + 10
        while leftovers and time.monotonic() < deadline:
            time.sleep(0.2)
            leftovers = tree.still_running()
    finally:
        if process.poll() is None:  # the test failed: do not leave our own tree behind
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
        if master is not None:
            os.close(master)
        if tree is not None:  # whatever the demo left behind (the failure this test guards against)
            tree.kill_leftovers()
    assert code == 0, output.text[-3000:]
    assert "Stopping dagster dev" in output.text
    assert leftovers == []
    assert tree.ports_in_use() == []
