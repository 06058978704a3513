"""semaphore-dagster: a Semaphore CI/CD organization in an analytics database, kept current by Dagster."""

__version__ = "0.1.0"
