"""DORA by the definers on a hand-built world: deployments V1 -> V2 -> V3 -> V1 (a rollback), a failed deploy
pipeline and a re-deploy, worked out by hand.

Project shop (parity_world.py), branch main, 2026-10-20. Commits pushed (first workflow created) at
k1 01:00, k2 02:00, k3 05:00, k4 06:00, k5 09:00, k6 13:00. Deployments to production (triggered -> the
deployed pipeline done):

  d1 03:00 V1 = k2 -> 03:10   delivers k1, k2 (first deployment: every commit up to k2)
  d2 07:00 V2 = k4 -> 07:20   delivers k3, k4
  d3 10:00 V3 = k5 -> 10:05   delivers k5
  d4 12:00 V1 = k2 -> 12:10   ROLLBACK (k2 differs from k5 and was deployed before): delivers nothing
  d5 14:00 k6, deploy pipeline FAILED 14:05: a failed deployment, not a change failure
  d6 16:00 k6 -> 16:10        delivers k6

and to staging: s1 09:30 k5 -> 09:35, delivering k1..k5.
"""

from pathlib import Path

import pytest

from semaphore_dagster_tests.insights.parity_support import rows, world_models
from semaphore_dagster_tests.insights.parity_world import SHOP, name_of, parity_world

H = 3600.0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return world_models(
        parity_world(), tmp_path_factory.mktemp("dora"), "+path:models/dora", {"cd_branch": "main"}
    )


def test_each_deployment_classified(db: Path) -> None:
    by_id = {name_of(r["deployment_id"]): r for r in rows(db, "dora_deploys") if r["project_id"] == SHOP}
    assert [by_id[d]["outcome"] for d in ("d1", "d2", "d3", "d4", "d5", "d6", "s1")] == ["SUCCEEDED"] * 4 + [
        "FAILED",
        "SUCCEEDED",
        "SUCCEEDED",
    ]
    assert [d for d, r in by_id.items() if r["is_rollback"]] == ["d4"]
    # The rollback returns to V1 (last deployed by d1): the change failure is the first deploy after d1, d2
    # (V2), not d3 (the deploy just before the rollback).
    assert [d for d, r in by_id.items() if r["is_change_failure"]] == ["d2"]
    assert name_of(by_id["d2"]["rolled_back_by"]) == "d4"
    # Recovery from d2 going live (07:20) to the rollback going live (12:10): 4 h 50 min = 17400 s.
    assert by_id["d2"]["recovery_seconds"] == 17400.0
    assert by_id["d5"]["is_change_failure"] is False and by_id["d5"]["deployed_at"] is None


def test_push_to_deploy_per_delivered_commit(db: Path) -> None:
    got = {
        (r["target_name"], name_of(r["deployment_id"]), r["commit_sha"]): r["push_to_deploy_seconds"]
        for r in rows(db, "dora_changes")
        if r["project_id"] == SHOP
    }
    assert got == {
        # production: deployed pipeline done - push
        ("production", "d1", "k1"): 2 * H + 600,  # 03:10 - 01:00 = 7800
        ("production", "d1", "k2"): 1 * H + 600,  # 03:10 - 02:00 = 4200
        ("production", "d2", "k3"): 2 * H + 1200,  # 07:20 - 05:00 = 8400
        ("production", "d2", "k4"): 1 * H + 1200,  # 07:20 - 06:00 = 4800
        ("production", "d3", "k5"): 1 * H + 300,  # 10:05 - 09:00 = 3900
        ("production", "d6", "k6"): 3 * H + 600,  # 16:10 - 13:00 = 11400 (d4 delivered nothing, d5 failed)
        # staging: one deployment at 09:35 delivering every commit up to k5
        ("staging", "s1", "k1"): 8 * H + 2100,  # 30900
        ("staging", "s1", "k2"): 7 * H + 2100,  # 27300
        ("staging", "s1", "k3"): 4 * H + 2100,  # 16500
        ("staging", "s1", "k4"): 3 * H + 2100,  # 12900
        ("staging", "s1", "k5"): 2100.0,
    }


def test_four_keys_per_target_and_per_project(db: Path) -> None:
    keys = {(r["level"], r["target_name"]): r for r in rows(db, "dora_keys") if r["project_id"] == SHOP}
    prod = keys[("target", "production")]
    # Window: production's first deployment day 10-20 to the last day the data reaches, 11-01 (project web's
    # run today): 13 days. 5 succeeded deployments (the rollback is a deploy) / 13 = 0.3846 a day.
    assert (prod["window_days"], prod["deployments"], prod["succeeded"]) == (13, 6, 5)
    assert (prod["failed_deployments"], prod["rollbacks"]) == (1, 1)
    assert prod["deployment_frequency_per_day"] == pytest.approx(5 / 13)
    # push to deploy over 3900, 4200, 4800, 7800, 8400, 11400: median (4800 + 7800) / 2 = 6300, mean 40500 / 6.
    assert (prod["changes"], prod["push_to_deploy_median_seconds"]) == (6, 6300.0)
    assert prod["push_to_deploy_mean_seconds"] == 6750.0
    # change failure rate: d2 / (5 succeeded - 1 rollback) = 1 / 4; the failed deploy d5 is not in it.
    assert (prod["change_failures"], prod["change_failure_rate"]) == (1, 0.25)
    assert (prod["recoveries"], prod["failed_deployment_recovery_median_seconds"]) == (1, 17400.0)
    staging = keys[("target", "staging")]
    assert (staging["changes"], staging["push_to_deploy_median_seconds"]) == (5, 16500.0)
    project = keys[("project", None)]
    # The project row is recomputed from the 11 change rows: sorted 2100, 3900, 4200, 4800, 7800, 8400,
    # 11400, 12900, 16500, 27300, 30900 -> median 8400 (a median of the targets' medians would be 11400).
    assert (project["changes"], project["push_to_deploy_median_seconds"]) == (11, 8400.0)
    assert (project["deployments"], project["succeeded"], project["rollbacks"]) == (7, 6, 1)
    # 1 change failure / (6 succeeded - 1 rollback) = 0.2.
    assert project["change_failure_rate"] == pytest.approx(0.2)
    assert project["deployment_frequency_per_day"] == pytest.approx(6 / 13)


def test_restricted_to_cd_target(tmp_path: Path) -> None:
    db = world_models(
        parity_world(), tmp_path, "+path:models/dora", {"cd_branch": "main", "cd_target": "staging"}
    )
    assert {r["target_name"] for r in rows(db, "dora_deploys")} == {"staging"}
    assert {(r["level"], r["target_name"]) for r in rows(db, "dora_keys")} == {
        ("target", "staging"),
        ("project", None),
    }
