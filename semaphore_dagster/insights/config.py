"""What the insights compute over: the CI and CD scopes (branch, pipeline file, deployment target).

The dbt models read them as vars (`InsightsConfig.dbt_vars()`), else from the same SEMAPHORE_INSIGHTS_*
variables `from_env` reads."""

import os
from dataclasses import dataclass

DEFAULT_CI_PIPELINE_FILE = ".semaphore/semaphore.yml"
DEFAULT_STALE_SECRET_DAYS = 90
# Environment variables read by `InsightsConfig.from_env` (Dagster assets and the report use it).
ENV_PREFIX = "SEMAPHORE_INSIGHTS_"
SOURCE_SCHEMA = "semaphore"  # the dataset the loader writes (docs/tables.md)
INSIGHTS_SCHEMA = "semaphore_insights"  # where every insight table is created


@dataclass(frozen=True, slots=True)
class InsightsConfig:
    """Scopes for MTTR, last successful run and DORA.

    A branch left as None means "the project's default branch as the data shows it": `main` or `master`,
    whichever has more pipelines in the project; a project with neither uses its busiest branch.

    * CI scope: `ci_branch` + `ci_pipeline_file` (default `.semaphore/semaphore.yml`).
    * CD scope: `cd_target` (a deployment target name: the pipelines deployed to it) if set; otherwise
      `cd_branch` + `cd_pipeline_file`; with `cd_pipeline_file` None, every promoted pipeline file
      (pipelines triggered by PROMOTION or AUTO_PROMOTION) of the CD branch, one scope per file.
    * DORA uses every deployment target, or only `cd_target` when it is set.
    * `stale_secret_days`: a secret not checked out for that many days is stale (`stale_secrets`).
    """

    ci_branch: str | None = None
    ci_pipeline_file: str = DEFAULT_CI_PIPELINE_FILE
    cd_branch: str | None = None
    cd_pipeline_file: str | None = None
    cd_target: str | None = None
    stale_secret_days: int = DEFAULT_STALE_SECRET_DAYS

    def __post_init__(self) -> None:
        if not self.ci_pipeline_file:
            raise ValueError(
                "InsightsConfig.ci_pipeline_file must not be empty: e.g. '.semaphore/semaphore.yml'"
            )
        if (
            isinstance(self.stale_secret_days, bool)
            or not isinstance(self.stale_secret_days, int)
            or (self.stale_secret_days <= 0)
        ):
            raise ValueError(
                f"InsightsConfig.stale_secret_days must be a whole number of days > 0, got "
                f"{self.stale_secret_days!r} (environment: {ENV_PREFIX}STALE_SECRET_DAYS)"
            )

    def dbt_vars(self) -> dict[str, str]:
        """The dbt project's vars (models/staging/insights_config.sql): '' = the default."""
        return {
            "ci_branch": self.ci_branch or "",
            "ci_pipeline_file": self.ci_pipeline_file,
            "cd_branch": self.cd_branch or "",
            "cd_pipeline_file": self.cd_pipeline_file or "",
            "cd_target": self.cd_target or "",
            "stale_secret_days": str(self.stale_secret_days),
        }

    @classmethod
    def from_env(cls) -> "InsightsConfig":
        """`SEMAPHORE_INSIGHTS_CI_BRANCH`, `..._CI_PIPELINE_FILE`, `..._CD_BRANCH`, `..._CD_PIPELINE_FILE`,
        `..._CD_TARGET`, `..._STALE_SECRET_DAYS`; unset or empty means the default."""

        def env(key: str) -> str | None:
            return os.environ.get(ENV_PREFIX + key, "").strip() or None

        stale = env("STALE_SECRET_DAYS")
        if stale is not None and not stale.isdigit():
            raise ValueError(
                f"{ENV_PREFIX}STALE_SECRET_DAYS must be a whole number of days > 0, got {stale!r}"
            )

        return cls(
            ci_branch=env("CI_BRANCH"),
            ci_pipeline_file=env("CI_PIPELINE_FILE") or DEFAULT_CI_PIPELINE_FILE,
            cd_branch=env("CD_BRANCH"),
            cd_pipeline_file=env("CD_PIPELINE_FILE"),
            cd_target=env("CD_TARGET"),
            stale_secret_days=int(stale) if stale is not None else DEFAULT_STALE_SECRET_DAYS,
        )
