"""Every timestamp format the API uses, to a UTC `datetime` at microsecond precision (or None).

Formats (docs/api-behaviours.md, "Timestamps"): `{seconds, nanos}` objects, `"YYYY-MM-DD HH:MM:SS.ffffffZ"` strings, unix
seconds as integers or decimal strings, ISO-8601 strings. Epoch zero, `"0"`, `""` and `null` mean unset.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"^-?\d+(\.\d+)?$")


def to_utc(value: Any) -> datetime | None:
    """Normalise one API timestamp; unset values (epoch zero, "0", "", None) become None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        result = value if value.tzinfo else value.replace(tzinfo=UTC)
        result = result.astimezone(UTC)
    elif isinstance(value, dict):
        seconds = int(value.get("seconds") or 0)
        nanos = int(value.get("nanos") or 0)
        result = EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
    elif isinstance(value, int | float):
        result = EPOCH + timedelta(seconds=int(value), microseconds=int(round((value % 1) * 1e6)))
    elif isinstance(value, str):
        text = value.strip()
        if _DIGITS.match(text):
            return to_utc(float(text) if "." in text else int(text))
        result = _parse_text(text)
    else:
        raise ValueError(f"unsupported timestamp value of type {type(value).__name__}")
    return None if result == EPOCH else result


def _parse_text(text: str) -> datetime:
    iso = text.replace(" ", "T", 1)
    if iso.endswith("Z"):
        iso = iso[:-1] + "+00:00"
    parsed = datetime.fromisoformat(iso)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_unix_seconds(value: datetime) -> int:
    return int(value.timestamp())


def to_unix_micros(value: datetime) -> int:
    return int((value - EPOCH) / timedelta(microseconds=1))


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """`"3d"`, `"12h"`, `"30m"`, `"45s"`, `"1w"` or a number of seconds -> timedelta."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 3d, 12h, 30m)")
    amount = float(match.group(1))
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[match.group(2)]
    return timedelta(seconds=amount * unit)


def parse_date(value: str | datetime) -> datetime:
    """A start date given as ISO date/datetime text or datetime -> aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return _parse_text(str(value).strip())
