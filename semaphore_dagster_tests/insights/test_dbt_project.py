"""The dbt project: its sources equal the table contract, each insight's description is its definition (and
docs/insights.md states it verbatim), the profile switches target from the environment, and the project
builds by itself with the dbt command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from semaphore_dagster.insights import (
    DbtTarget,
    InsightsConfig,
    dbt_env,
    insight_names,
    target_from_destination,
)
from semaphore_dagster.insights.dbt_project import DBT_PROJECT_DIR
from semaphore_dagster_tests.insights import contract_sources
from semaphore_dagster_tests.insights.backends import duckdb_target
from semaphore_dagster_tests.insights.tables import pipeline

DOCS = Path(__file__).resolve().parents[2] / "docs" / "insights.md"
MODELS = DBT_PROJECT_DIR / "models" / "insights"


def squash(text: str) -> str:
    return " ".join(text.split())


def header(name: str) -> str:
    lines = []
    for line in (MODELS / f"{name}.sql").read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[3:] if line.startswith("-- ") else line[2:])
    return "\n".join(lines).strip()


def described() -> dict[str, str]:
    doc = yaml.safe_load((MODELS / "insights.yml").read_text(encoding="utf-8"))
    return {m["name"]: m["description"].strip() for m in doc["models"]}


def test_sources_equal_the_table_contract() -> None:
    assert contract_sources.SOURCES_YML.read_text(encoding="utf-8") == contract_sources.render(), (
        "models/sources.yml is out of date with semaphore/endpoints.py: "
        "uv run python -m semaphore_dagster_tests.insights.contract_sources"
    )


def test_twenty_two_insights_each_described_by_its_definition() -> None:
    names = insight_names()
    assert len(names) == 22
    descriptions = described()
    assert set(descriptions) == set(names)
    docs = squash(DOCS.read_text(encoding="utf-8"))
    for name in names:
        assert descriptions[name] == header(name), f"insights.yml description of {name} != its SQL header"
        assert header(name).startswith(f"{name}: ")
        assert f"### `{name}`" in docs
        body = "\n".join(header(name).splitlines()[1:])
        assert squash(body) in docs, f"docs/insights.md is out of date for {name}"


def test_config_from_env_and_bad_config_say_what_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_CI_BRANCH", "develop")
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_CD_TARGET", "Production")
    monkeypatch.setenv("SEMAPHORE_INSIGHTS_CI_PIPELINE_FILE", "")
    config = InsightsConfig.from_env()
    assert config.dbt_vars() == {
        "ci_branch": "develop",
        "ci_pipeline_file": ".semaphore/semaphore.yml",
        "cd_branch": "",
        "cd_pipeline_file": "",
        "cd_target": "Production",
        "stale_secret_days": "90",
    }
    with pytest.raises(ValueError, match="ci_pipeline_file must not be empty"):
        InsightsConfig(ci_pipeline_file="")
    with pytest.raises(ValueError, match="DESTINATION__POSTGRES__CREDENTIALS"):
        target_from_destination("postgres", postgres_credentials=None)
    with pytest.raises(ValueError, match="use duckdb or postgres"):
        target_from_destination("bigquery")
    with pytest.raises(ValueError, match="plain SQL identifier"):
        DbtTarget(dataset="semaphore; drop")


def test_profile_env_from_destination_fields() -> None:
    duck = dbt_env(target_from_destination("duckdb", "x/ci.duckdb", dataset="raw", insights_schema="ins"))
    assert duck["SEMAPHORE_DBT_TARGET"] == "duckdb"
    assert duck["SEMAPHORE_DBT_DUCKDB_PATH"] == str(Path("x/ci.duckdb").absolute())
    assert (duck["SEMAPHORE_DBT_SOURCE_SCHEMA"], duck["SEMAPHORE_DBT_INSIGHTS_SCHEMA"]) == ("raw", "ins")
    assert duck["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    pg = target_from_destination("postgres", postgres_credentials="postgresql://u:p%40ss@db.local:6543/ci")
    env = dbt_env(pg)
    assert (env["SEMAPHORE_DBT_PG_HOST"], env["SEMAPHORE_DBT_PG_PORT"]) == ("db.local", "6543")
    assert (env["SEMAPHORE_DBT_PG_USER"], env["SEMAPHORE_DBT_PG_DBNAME"]) == ("u", "ci")
    # dbt scrubs DBT_ENV_SECRET_* values from its logs; the password is in no other variable
    assert env["DBT_ENV_SECRET_SEMAPHORE_PG_PASSWORD"] == "p@ss"
    assert [k for k, v in env.items() if "p@ss" in v] == ["DBT_ENV_SECRET_SEMAPHORE_PG_PASSWORD"]
    assert "p@ss" not in repr(pg)


@pytest.mark.slow
def test_dbt_build_by_itself(tmp_path: Path) -> None:
    """`dbt build --project-dir ... --profiles-dir ...` with the DuckDB profile, as a user runs it."""
    rows = [
        pipeline(f"p{i}", created=i, done=i + 3, result="PASSED" if i % 3 else "FAILED") for i in range(9)
    ]
    target = duckdb_target({"pipelines": rows}, tmp_path / "semaphore_ci.duckdb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEMAPHORE_DBT_")}
    env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    dbt = Path(sys.executable).parent / "dbt"
    args = ["build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    args += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    # the profile's default path, semaphore_ci.duckdb, relative to the working directory
    done = subprocess.run(
        [str(dbt), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Completed successfully" in done.stdout
    import duckdb

    con = duckdb.connect(target.duckdb_path, read_only=True)
    try:
        assert con.execute(
            "SELECT sum(all_count) FROM semaphore_insights.pipeline_reliability"
        ).fetchall() == [(9,)]
    finally:
        con.close()


def test_the_manifest_is_parsed_again_only_when_a_project_file_is_newer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `dagster dev` does at each reload and in each run's process: a fresh manifest is read as is
    (no `dbt parse`); an edited model makes it stale, and the next import parses it again, under
    `dagster dev` too (DAGSTER_IS_DEV_CLI set)."""
    import shutil

    from dagster_dbt import DbtProject

    from semaphore_dagster.defs.insights.project import ensure_manifest, manifest_is_stale

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "__pycache__"))
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    project = DbtProject(project_dir=copy, profiles_dir=copy)
    manifest = ensure_manifest(project)
    assert manifest.exists() and not manifest_is_stale(project)
    made = manifest.stat().st_mtime_ns
    ensure_manifest(project)
    assert manifest.stat().st_mtime_ns == made  # fresh: not parsed again, even under dagster dev
    model = next((copy / "models").rglob("*.sql"))
    os.utime(model, ns=(made + 10**9, made + 10**9))
    assert manifest_is_stale(project)
    ensure_manifest(project)
    assert manifest.stat().st_mtime_ns > made and not manifest_is_stale(project)
