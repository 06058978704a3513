"""A throwaway PostgreSQL server for tests: Debian's PostgreSQL 15 binaries, a fresh cluster in a temp dir,
listening on 127.0.0.1 only, on a free port, run as a non-root user, stopped by its own PID.

PostgreSQL refuses to run as root; when the tests run as root the cluster is initialised and run as the
`postgres` system user (created by Debian's `postgresql` package) through `runuser`.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
RUN_AS = "postgres"
SUPERUSER = "semaphore"
PASSWORD = "pg-test-password-3b71"  # a throwaway cluster's password, never a real credential


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing: `apt-get install postgresql` (CI does)."""


def pg_bin() -> Path:
    for candidate in PG_BIN_CANDIDATES:
        if (Path(candidate) / "postgres").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("PostgreSQL server binaries not found: apt-get install -y postgresql")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str
    pid: int

    def url(self, database: str | None = None) -> str:
        """A libpq/SQLAlchemy style URL, as dlt's DESTINATION__POSTGRES__CREDENTIALS takes it."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database or self.database}"

    def create_database(self, name: str) -> str:
        """A fresh database on this server; returns its URL."""
        import psycopg2

        con = psycopg2.connect(self.url())
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        con.close()
        return self.url(name)


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", RUN_AS, "--", *cmd]


@contextmanager
def postgres_server(base_dir: Path | None = None, timeout_s: float = 30.0) -> Iterator[PostgresServer]:
    """Start a fresh cluster under `base_dir` (default: a new temp dir); yield it; stop the postmaster by
    PID (and only it); remove the directory when we made it.

    As root the cluster lives in a fresh directory directly under the system temp dir, owned by the
    `postgres` user: pytest's own temp dirs are private to root and the server could not enter them.
    """
    binaries = pg_bin()
    made_here = base_dir is None or os.geteuid() == 0
    if made_here:
        base_dir = Path(tempfile.mkdtemp(prefix="semaphore-pg-"))
    assert base_dir is not None
    base_dir.mkdir(parents=True, exist_ok=True)
    data, sock = base_dir / "data", base_dir / "sock"
    sock.mkdir(exist_ok=True)
    pwfile = base_dir / "pwfile"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(base_dir, RUN_AS)
        shutil.chown(sock, RUN_AS)
        shutil.chown(pwfile, RUN_AS)
        os.chmod(base_dir, 0o700)
    subprocess.run(
        _as_owner(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        ),
        check=True,
        capture_output=True,
    )
    port = free_port()
    log = open(base_dir / "postgres.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        _as_owner(
            [
                str(binaries / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
                str(sock),
                "-c",
                "fsync=off",
                "-c",
                "max_connections=100",
            ]
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(base_dir / 'postgres.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError("postgres did not start listening in time") from None
                time.sleep(0.1)
        # Accepting TCP is not yet accepting logins: wait for a real connection.
        import psycopg2

        while True:
            try:
                psycopg2.connect(
                    host="127.0.0.1", port=port, user=SUPERUSER, password=PASSWORD, dbname="postgres"
                ).close()
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield PostgresServer("127.0.0.1", port, SUPERUSER, PASSWORD, "postgres", proc.pid)
    finally:
        # `runuser` execs nothing itself: proc is runuser, whose child is the postmaster. Signal the process
        # group we created (start_new_session) — only processes we started are in it.
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGINT)  # postgres "fast shutdown"
                proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
        if made_here:
            shutil.rmtree(base_dir, ignore_errors=True)
