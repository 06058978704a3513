"""Hold the Semaphore-parity models against the emulator's insights endpoints (Semaphore's shapes).

The expected answers are built from the model rows only: the daily rows as DAILY entries, the page summary
as RANGE entries; the emulator computes its answers from its world independently (emulator/insights.py).
"""

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path

from semaphore_dagster_tests.conftest import TEST_TOKEN
from semaphore_dagster_tests.insights.parity_support import rows

STATS = (
    "count",
    "mean_seconds",
    "median_seconds",
    "min_seconds",
    "max_seconds",
    "std_dev_seconds",
    "p95_seconds",
)
Key = tuple[str, str, str]  # (project_id, pipeline_file_name, branch_name)


def _ts(day: date | str) -> str:
    return f"{day} 00:00:00Z"


class ParityModels:
    """The semaphore_* model rows of one DuckDB file, as the endpoints would answer them."""

    def __init__(self, db: Path | Callable[[str], list[dict]], before: date) -> None:
        """Models read from the DuckDB file `db` (or by `db(model)`); only days before `before` (Semaphore
        computes a day once it is over)."""
        read = (lambda model: rows(db, model)) if isinstance(db, Path) else db
        self.perf = [r for r in read("semaphore_pipeline_performance") if r["day"] < before]
        self.rel = [r for r in read("semaphore_pipeline_reliability") if r["day"] < before]
        self.freq = [r for r in read("semaphore_pipeline_frequency") if r["day"] < before]
        self.summary = read("semaphore_project_summary")

    def keys(self) -> list[Key]:
        return sorted({(r["project_id"], r["pipeline_file_name"], r["branch_name"]) for r in self.perf})

    def days(self) -> list[date]:
        return sorted({r["day"] for r in self.perf})

    @staticmethod
    def _of(table: list[dict], key: Key) -> list[dict]:
        return sorted(
            (r for r in table if (r["project_id"], r["pipeline_file_name"], r["branch_name"]) == key),
            key=lambda r: r["day"],
        )

    def performance(self, key: Key) -> dict:
        return {
            outcome: [
                {**{k: r[k] for k in STATS}, "from_date": _ts(r["day"]), "to_date": _ts(r["day"])}
                for r in self._of(self.perf, key)
                if r["outcome"] == outcome
            ]
            for outcome in ("all", "failed", "passed")
        }

    def reliability(self, key: Key) -> dict:
        columns = ("all_count", "failed_count", "passed_count")
        return {
            "metrics": [
                {**{c: r[c] for c in columns}, "from_date": _ts(r["day"]), "to_date": _ts(r["day"])}
                for r in self._of(self.rel, key)
            ]
        }

    def frequency(self, key: Key) -> dict:
        return {
            "metrics": [
                {"all_count": r["all_count"], "from_date": _ts(r["day"]), "to_date": _ts(r["day"])}
                for r in self._of(self.freq, key)
            ]
        }

    def range_answers(self, s: dict) -> dict[str, dict]:
        """The RANGE answers of each kind for one semaphore_project_summary row."""
        dates = {"from_date": _ts(s["range_from"]), "to_date": _ts(s["range_to"])}
        zero = dict.fromkeys(STATS, 0)

        def perf(prefix: str) -> list[dict]:
            return [
                {
                    **zero,
                    "mean_seconds": s[f"{prefix}mean_seconds"],
                    "std_dev_seconds": s[f"{prefix}std_dev_seconds"],
                }
                | dates
            ]

        return {
            "performance": {"all": perf(""), "failed": perf("failed_"), "passed": perf("passed_")},
            "reliability": {
                "metrics": [
                    {
                        "all_count": s["all_count"],
                        "failed_count": s["failed_count"],
                        "passed_count": s["passed_count"],
                    }
                    | dates
                ]
            },
            "frequency": {"metrics": [{"all_count": s["runs"]} | dates]},
        }


def fetch(base_url: str, project: str, kind: str, query: dict[str, str]) -> tuple[int, bytes]:
    """GET the emulator's insights endpoint over HTTP: (status, body)."""
    params = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
    url = f"{base_url}/api/v1alpha/projects/{project}/insights/{kind}?{params}"
    req = urllib.request.Request(url, headers={"Authorization": f"Token {TEST_TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def fetch_json(base_url: str, project: str, kind: str, query: dict[str, str]) -> object:
    status, body = fetch(base_url, project, kind, query)
    assert status == 200, (status, body)
    return json.loads(body)


def assert_endpoints_agree(answer, models: ParityModels) -> int:
    """Every (project, file, branch) key's DAILY answers, and every summary row's RANGE answers, equal the
    models. `answer(project, kind, query) -> JSON`. Returns the number of DAILY performance entries compared."""
    compared = 0
    for key in models.keys():
        project, file, branch = key
        query = {"pipeline_file": file, "branch": branch}
        performance = answer(project, "performance", query)
        assert performance == models.performance(key), key
        compared += sum(len(v) for v in performance.values())
        assert answer(project, "reliability", query) == models.reliability(key), key
        assert answer(project, "frequency", query) == models.frequency(key), key
    for s in models.summary:
        query = {
            "pipeline_file": s["pipeline_file_name"],
            "branch": s["branch_name"],
            "from": s["range_from"].isoformat(),
            "to": s["range_to"].isoformat(),
            "aggregate": "range",
        }
        for kind, expected in models.range_answers(s).items():
            assert answer(s["project_id"], kind, query) == expected, (s["project_id"], s["scope"], kind)
    return compared
