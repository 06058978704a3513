"""The insights: one SQL file each (`sql/<name>.sql`), what it reads, and its definition text.

Each SQL file is a single SELECT whose leading `--` comment block states the exact definition; that text
is also the Dagster asset's description. The SELECT reads the typed temp views `src_<table>` (see
sources.py) and, for roll-ups, other insight tables as `semaphore_insights.<name>`.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"


@dataclass(frozen=True, slots=True)
class Insight:
    name: str
    reads: tuple[str, ...]  # tables of the `semaphore` dataset
    needs: tuple[str, ...] = ()  # other insight tables (built first)

    @property
    def sql_path(self) -> Path:
        return SQL_DIR / f"{self.name}.sql"

    @property
    def sql(self) -> str:
        return _read(self.sql_path)

    @property
    def title(self) -> str:
        """The first comment line without the `<name>: ` prefix."""
        first = self.definition.splitlines()[0]
        return first.split(":", 1)[1].strip() if ":" in first else first

    @property
    def definition(self) -> str:
        """The leading comment block of the SQL file, without the `-- ` markers."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[3:] if line.startswith("-- ") else line[2:])
        return "\n".join(lines).strip()


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# In build order: an insight comes after the insights it needs.
INSIGHTS: dict[str, Insight] = {
    i.name: i
    for i in (
        Insight("pipeline_performance", ("pipelines",)),
        Insight("pipeline_reliability", ("pipelines",)),
        Insight("pipeline_frequency", ("pipelines",)),
        Insight("mttr", ("pipelines", "deployments")),
        Insight("pipeline_stages", ("pipelines",)),
        Insight("pipeline_stage_summary", (), needs=("pipeline_stages",)),
        Insight("job_queue_wait", ("jobs", "agent_types")),
        Insight("flaky_jobs", ("jobs", "pipelines")),
        Insight("flaky_job_summary", (), needs=("flaky_jobs",)),
        Insight("dora_deployments", ("deployments", "deployment_targets", "pipelines", "workflows")),
        Insight("dora_summary", ("pipelines",), needs=("dora_deployments",)),
        Insight("agent_utilization", ("agents", "agent_types", "jobs")),
        Insight("failing_commands", ("job_log_events", "jobs")),
    )
}


def build_order(names: list[str] | None = None) -> list[Insight]:
    """The insights to build for `names` (None = all), with the insights they need, in build order."""
    if names is None:
        return list(INSIGHTS.values())
    unknown = sorted(set(names) - set(INSIGHTS))
    if unknown:
        raise ValueError(f"unknown insight(s) {', '.join(unknown)}: use one of {', '.join(INSIGHTS)}")
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in wanted:
            wanted.add(name)
            stack.extend(INSIGHTS[name].needs)
    return [i for i in INSIGHTS.values() if i.name in wanted]
