"""The image parses the insights' dbt manifest at build time: the Dockerfile's own `RUN python -c ...` line,
run in a fresh copy of the package as `COPY semaphore_dagster` leaves it (no `target/`), writes the manifest
inside that copy, and a second start (a code server, a run pod) reads it without parsing again.
No container runtime here, so the line runs as the image's shell would run it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _build_step() -> str:
    """The Dockerfile's manifest step (its command after `RUN`)."""
    steps = [
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("RUN python -c")
    ]
    assert len(steps) == 1, steps
    return steps[0].removeprefix("RUN ")


@pytest.mark.slow
def test_the_image_build_step_writes_the_manifest_a_start_then_reads(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(
        ROOT / "semaphore_dagster",
        app / "semaphore_dagster",
        ignore=shutil.ignore_patterns("target", "logs", "__pycache__", ".user.yml"),
    )
    manifest = app / "semaphore_dagster" / "insights" / "dbt_project" / "target" / "manifest.json"
    assert not manifest.exists()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SEMAPHORE_", "DAGSTER_", "DBT_"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",  # the image's PATH
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    step = _build_step()
    built = subprocess.run(["sh", "-c", step], cwd=app, env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert Path(built.stdout.strip().splitlines()[-1]) == manifest  # the copy's own, not the checkout's
    assert manifest.stat().st_size > 0
    parsed_at = manifest.stat().st_mtime_ns

    started = subprocess.run(
        ["sh", "-c", step], cwd=app, env=env, capture_output=True, text=True, timeout=300
    )
    assert started.returncode == 0, started.stderr[-2000:]
    assert manifest.stat().st_mtime_ns == parsed_at, "a start with a fresh manifest must not parse again"
