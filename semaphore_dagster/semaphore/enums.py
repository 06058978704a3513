"""One spelling per enum column: UPPERCASE, whatever the endpoint sent (lowercase, uppercase, integer code)."""

from typing import Any

# Integer-coded nested enums (the pipeline describe leaves structs unconverted; the workflow list sends ints).
INTEGER_CODES: dict[str, dict[int, str]] = {
    "triggered_by": {0: "HOOK", 1: "SCHEDULE", 2: "API", 3: "MANUAL_RUN"},  # workflows
    "triggerer__wf_triggered_by": {0: "HOOK", 1: "SCHEDULE", 2: "API", 3: "MANUAL_RUN"},
    "triggerer__ppl_triggered_by": {0: "WORKFLOW", 1: "PROMOTION", 2: "AUTO_PROMOTION", 3: "PARTIAL_RE_RUN"},
    "queue__type": {0: "IMPLICIT", 1: "USER_GENERATED"},
}


def upper(value: Any, column: str | None = None) -> Any:
    """UPPERCASE a string enum, map an integer code by column; None and "" become None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        codes = INTEGER_CODES.get(column or "")
        return codes.get(value, str(value)) if codes else str(value)
    if isinstance(value, str):
        if value.isdigit() and column in INTEGER_CODES:
            return INTEGER_CODES[column].get(int(value), value)
        return value.upper()
    if isinstance(value, list):
        return [upper(v) for v in value]
    return value
