"""DORA edge cases: a hotfix deployed from another branch before it reaches the CD branch (a non-positive
push-to-deploy time, dropped), and a redeploy of the current version (not a rollback)."""

from pathlib import Path

import duckdb

from semaphore_dagster_tests.insights.parity_support import dbt_build, rows
from semaphore_dagster_tests.insights.tables import at, pipeline, write_tables


def world() -> dict[str, list[dict]]:
    """Minutes after T0. Commit A pushed to main at 0; hotfix H pushed to branch hotfix at 10 and to main at 60.
    d1 05 A -> deploy pipeline done 8; d2 20 H (from the hotfix branch) -> done 30; d3 40 H again -> done 45."""
    workflows = [
        {"wf_id": "wA", "project_id": "p1", "branch_name": "main", "commit_sha": "A", "created_at": at(0)},
        {"wf_id": "wH", "project_id": "p1", "branch_name": "hotfix", "commit_sha": "H", "created_at": at(10)},
        {"wf_id": "wH2", "project_id": "p1", "branch_name": "main", "commit_sha": "H", "created_at": at(60)},
    ]
    pipelines = [
        pipeline("sA", created=0, running=1, done=4, result="PASSED", commit="A", wf="wA", branch="main"),
        pipeline(
            "sH", created=10, running=11, done=15, result="PASSED", commit="H", wf="wH", branch="hotfix"
        ),
    ]
    deploys = []
    for i, (src, commit, wf, t, done) in enumerate(
        (("sA", "A", "wA", 5, 8), ("sH", "H", "wH", 20, 30), ("sH", "H", "wH", 40, 45)), 1
    ):
        pipelines.append(
            pipeline(
                f"p{i}",
                created=t,
                running=t,
                done=done,
                result="PASSED",
                commit=commit,
                wf=wf,
                file=".semaphore/production.yml",
                triggered_by="PROMOTION",
            )
        )
        deploys.append(
            {
                "id": f"d{i}",
                "target_id": "t1",
                "target_name": "production",
                "prev_pipeline_id": src,
                "pipeline_id": f"p{i}",
                "triggered_at": at(t),
                "state": "STARTED",
            }
        )
    targets = [{"id": "t1", "name": "production", "project_id": "p1"}]
    return {
        "workflows": workflows,
        "pipelines": pipelines,
        "deployments": deploys,
        "deployment_targets": targets,
    }


def test_hotfix_and_redeploy(tmp_path: Path) -> None:
    db = tmp_path / "semaphore_ci.duckdb"
    with duckdb.connect(str(db)) as con:
        write_tables(con, world())
    dbt_build(db, tmp_path, "+path:models/dora", {"cd_branch": "main"})
    deploys = {r["deployment_id"]: r for r in rows(db, "dora_deploys")}
    # d3 redeploys the current version H: not a rollback (Datadog: the version must differ from the previous).
    assert [d for d, r in deploys.items() if r["is_rollback"]] == []
    changes = {
        (r["deployment_id"], r["commit_sha"]): r["push_to_deploy_seconds"] for r in rows(db, "dora_changes")
    }
    # d1 delivers A: 8 - 0 min = 480 s. d2 delivers H, first seen on main at 60 min, after it went live at 30:
    # -30 min, not positive: dropped (NULL). d3 delivers nothing new.
    assert changes == {("d1", "A"): 480.0, ("d2", "H"): None}
    (keys,) = [r for r in rows(db, "dora_keys") if r["level"] == "target"]
    assert (keys["changes"], keys["push_to_deploy_median_seconds"], keys["rollbacks"]) == (2, 480.0, 0)
    assert (keys["succeeded"], keys["change_failures"], keys["change_failure_rate"]) == (3, 0, 0.0)
