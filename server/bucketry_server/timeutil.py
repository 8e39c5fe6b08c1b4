"""UTC time helpers: the database stores naive UTC, the API speaks RFC 3339."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC 'now' with millisecond precision (portable across SQLite and PostgreSQL)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def iso(value: datetime | None) -> str | None:
    """RFC 3339 with a ``Z`` suffix, or None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def parse_iso(value: str) -> datetime:
    """Parse an RFC 3339 time into naive UTC. Raises ValueError for text that is not such a
    time, and for a time whose UTC value falls outside years 1-9999 (e.g. ``9999-12-31T23:00-10:00``)."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(UTC).replace(tzinfo=None)
        except OverflowError as exc:
            raise ValueError(f"{value!r} is out of the range of UTC times") from exc
    return dt
