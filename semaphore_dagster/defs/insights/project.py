"""The dbt project of the insights as dagster-dbt sees it, with its manifest made when missing or stale.

Everywhere (`dagster dev`, `dagster definitions validate`, a code server, every run's process, `materialize`
in tests) the manifest is parsed here when it is missing or older than a file of the project (`dbt parse`:
local, no network, a few seconds), and then read as is: importing the code location with a fresh manifest
costs only reading it. Not dagster-dbt's `prepare_if_dev()`: under `dagster dev` it parses in every process
that imports the code location, so each run paid a `dbt parse` (2.5 s of CPU on a 2-core machine) and
concurrent runs rewrote `manifest.json` while others read it. An edit to a model still shows: the file is
then newer than the manifest. One process parses at a time (a lock file beside the manifest); the others
find the manifest fresh.
"""

import fcntl
import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from semaphore_dagster.insights.dbt_project import DBT_PROJECT_DIR
from semaphore_dagster.insights.target import DBT_BASE_ENV

PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")


def newest_source_mtime(project_dir: Path = DBT_PROJECT_DIR) -> float:
    newest = 0.0
    for name in PROJECT_FILES:
        path = project_dir / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


def manifest_is_stale(project: DbtProject) -> bool:
    path = project.manifest_path
    return not path.exists() or path.stat().st_mtime < newest_source_mtime(Path(project.project_dir))


def ensure_dbt_on_path() -> None:
    """dagster-dbt runs `dbt` from PATH (its manifest preparer takes no executable). Our console script can be
    started by its full path without the environment's `bin` on PATH (`.venv/bin/semaphore-dagster demo`, a
    supervisor): then put the `dbt` installed beside this Python first on this process's PATH."""
    if shutil.which("dbt"):
        return
    bin_dir = Path(sys.executable).parent
    if (bin_dir / "dbt").exists():
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"


def ensure_manifest(project: DbtProject) -> Path:
    """Parse the project when its manifest is missing or stale; returns the manifest's path."""
    ensure_dbt_on_path()
    for key, value in DBT_BASE_ENV.items():
        os.environ.setdefault(key, value)
    if not manifest_is_stale(project):
        return project.manifest_path
    target = project.manifest_path.parent
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if manifest_is_stale(project):  # another process may have parsed while this one waited
            project.preparer.prepare(project)
    return project.manifest_path


insights_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
ensure_manifest(insights_project)
