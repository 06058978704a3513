"""What the checks verify, derived from the table contract (`semaphore/endpoints.py`): keys, references,
enum domains. Only the timestamp orders are stated here (they are rules about time, not columns)."""

from dataclasses import dataclass

from semaphore_dagster.semaphore.endpoints import TABLES
from semaphore_dagster.semaphore.settings import REDACTED

__all__ = [
    "ENUMS",
    "PRIMARY_KEYS",
    "REDACTED",
    "REFERENCES",
    "TIMESTAMP_ORDERS",
    "Reference",
    "enums",
    "primary_keys",
    "references",
]


@dataclass(frozen=True)
class Reference:
    """`child.column` must name an existing `parent.parent_column` (when not NULL)."""

    child: str
    column: str
    parent: str
    parent_column: str

    @property
    def name(self) -> str:
        return f"{self.child}_{self.column}_references_{self.parent}"


def primary_keys() -> dict[str, tuple[str, ...]]:
    return {name: spec.primary_key for name, spec in TABLES.items()}


def references() -> tuple[Reference, ...]:
    return tuple(
        Reference(name, column, parent, parent_column)
        for name, spec in TABLES.items()
        for column, (parent, parent_column) in spec.references.items()
    )


def enums() -> dict[str, dict[str, tuple[str, ...]]]:
    return {name: dict(spec.enum_values) for name, spec in TABLES.items() if spec.enum_values}


# As the contract is at import (the check builder calls the functions, so it sees later additions).
PRIMARY_KEYS = primary_keys()
REFERENCES = references()
ENUMS = enums()

# (table, [timestamp columns in the order they must happen]).
TIMESTAMP_ORDERS: dict[str, tuple[str, ...]] = {
    "pipelines": ("created_at", "running_at", "done_at"),
    "jobs": ("create_time", "start_time", "finish_time"),
}
