"""The dbt project of the CI insights (this directory ships in the wheel)."""

from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parent
